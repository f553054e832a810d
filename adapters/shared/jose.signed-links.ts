import { hkdfSync } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import type { LinkPurpose, SignedLinks } from '../../application/shared/signed-links.port.ts';
import type { Clock } from '../../application/shared/clock.port.ts';
import { UnauthenticatedError } from '../../domain/shared/errors.ts';

const ISSUER = 'billing-service/links';
const MAX_LINK_LENGTH = 2_048;

/**
 * Signed links as compact HS256 JWTs (jose, which the service already verifies its callers' tokens
 * with): subject the user, audience the purpose, and an expiry. The key is derived (HKDF-SHA256)
 * from a secret the deployment already has, under a label of its own, so a link key is never a
 * key used for anything else.
 */
export class JoseSignedLinks implements SignedLinks {
  private readonly key: Uint8Array;
  private readonly clock: Clock;

  constructor(secret: string, clock: Clock) {
    this.key = new Uint8Array(hkdfSync('sha256', secret, 'billing-service', 'signed links v1', 32));
    this.clock = clock;
  }

  sign(input: { readonly purpose: LinkPurpose; readonly userId: string; readonly ttlMs: number }): Promise<string> {
    const now = this.clock.now().getTime();
    return new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(input.purpose)
      .setSubject(input.userId)
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor((now + input.ttlMs) / 1000))
      .sign(this.key);
  }

  async verify(link: string, purpose: LinkPurpose): Promise<{ readonly userId: string; readonly expiresAt: Date }> {
    if (link.length > MAX_LINK_LENGTH) throw new UnauthenticatedError('the link is not one of ours');
    try {
      const { payload } = await jwtVerify(link, this.key, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience: purpose,
        currentDate: this.clock.now(),
        requiredClaims: ['sub', 'exp'],
      });
      return { userId: payload.sub!, expiresAt: new Date(payload.exp! * 1000) };
    } catch {
      throw new UnauthenticatedError('the link is not valid, or it has expired: open it again from the app');
    }
  }
}
