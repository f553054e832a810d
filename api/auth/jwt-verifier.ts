import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import type { Clock } from '../../application/shared/clock.port.ts';
import { ROLES, type Requester, type Role } from '../../application/shared/requester.ts';
import { UnauthenticatedError } from '../../domain/shared/errors.ts';
import { IDENTIFIER_RULE, isIdentifier } from '../../domain/shared/text.ts';
import type { JwtConfig } from '../config.ts';

/** Algorithms are pinned: the token's own `alg` header never chooses how it is checked. */
const SECRET_ALGORITHMS = ['HS256'];
const JWKS_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];
const CLOCK_TOLERANCE_SECONDS = 5;
const MAX_TOKEN_LENGTH = 8_192;
/**
 * Verified tokens are remembered, so a service that sends the same token on every call pays for
 * one signature check, not thousands. Bounded in size and age; expiry is checked on every use.
 */
const VERIFIED_CACHE_SIZE = 10_000;
const VERIFIED_CACHE_MAX_AGE_MS = 60_000;

interface CachedVerification {
  readonly requester: AuthenticatedRequester;
  readonly expiresAtMs: number;
  readonly cachedAtMs: number;
}

export interface AuthenticatedRequester extends Requester {
  /** The token's `country` claim, if it has one: a signup signal, not yet validated. */
  readonly claimedCountry: string | undefined;
}

export class JwtVerifier {
  private readonly key: Uint8Array | JWTVerifyGetKey;
  private readonly options: JWTVerifyOptions;
  private readonly maxTtlSeconds: number;
  private readonly verified = new Map<string, CachedVerification>();

  private readonly clock: Clock;

  constructor(config: JwtConfig, clock: Clock) {
    this.clock = clock;
    this.maxTtlSeconds = config.maxTtlSeconds;
    this.key = config.kind === 'secret' ? new TextEncoder().encode(config.secret) : createRemoteJWKSet(config.jwksUrl);
    this.options = {
      algorithms: config.kind === 'secret' ? SECRET_ALGORITHMS : JWKS_ALGORITHMS,
      requiredClaims: ['exp', 'sub'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      // Makes `iat` required and refuses one in the future (beyond the tolerance): a token's
      // lifetime is judged from its issue, and one without `iat` cannot be judged.
      maxTokenAge: config.maxTtlSeconds,
      ...(config.issuer ? { issuer: config.issuer } : {}),
      ...(config.audience ? { audience: config.audience } : {}),
    };
  }

  /** Reads `Authorization: Bearer <jwt>`; throws UnauthenticatedError saying what is wrong. */
  async verifyAuthorization(header: string | null | undefined): Promise<AuthenticatedRequester> {
    if (!header) throw new UnauthenticatedError('missing Authorization header: send "Authorization: Bearer <token>"');
    const match = /^Bearer ([A-Za-z0-9_\-.]+)$/.exec(header.trim());
    if (!match?.[1] || match[1].length > MAX_TOKEN_LENGTH) {
      throw new UnauthenticatedError('malformed Authorization header: expected "Bearer <token>"');
    }
    return this.verify(match[1]);
  }

  async verify(token: string): Promise<AuthenticatedRequester> {
    const nowMs = this.clock.now().getTime();
    const cached = this.verified.get(token);
    if (cached && nowMs < cached.expiresAtMs && nowMs - cached.cachedAtMs < VERIFIED_CACHE_MAX_AGE_MS) return cached.requester;
    if (cached) this.verified.delete(token);
    return this.verifyUncached(token);
  }

  private async verifyUncached(token: string): Promise<AuthenticatedRequester> {
    let payload;
    try {
      // Expiry is judged by our Clock, like every other time in the service.
      const options = { ...this.options, currentDate: this.clock.now() };
      ({ payload } = typeof this.key === 'function' ? await jwtVerify(token, this.key, options) : await jwtVerify(token, this.key, options));
    } catch (error) {
      throw new UnauthenticatedError(`invalid token: ${describe(error)}`);
    }
    const { sub: userId, iat, exp } = payload as { sub: unknown; iat: number; exp: number };
    if (!isIdentifier(userId)) throw new UnauthenticatedError(`invalid token: sub must be a string of ${IDENTIFIER_RULE}`);
    if (exp - iat > this.maxTtlSeconds) {
      throw new UnauthenticatedError(`invalid token: it lives ${describeSeconds(exp - iat)} from iat to exp; the most this service accepts is ${this.maxTtlSeconds} s (JWT_MAX_TTL_SECONDS)`);
    }
    const role = payload['role'] ?? 'user';
    if (!(ROLES as readonly unknown[]).includes(role)) {
      throw new UnauthenticatedError(`invalid token: role must be one of ${ROLES.join(', ')}`);
    }
    const country = payload['country'];
    const requester = { userId, role: role as Role, claimedCountry: typeof country === 'string' ? country : undefined };
    this.remember(token, requester, exp * 1000 + CLOCK_TOLERANCE_SECONDS * 1000);
    return requester;
  }

  private remember(token: string, requester: AuthenticatedRequester, expiresAtMs: number): void {
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { requester, expiresAtMs, cachedAtMs: this.clock.now().getTime() });
  }
}

function describeSeconds(seconds: number): string {
  return Number.isSafeInteger(seconds) ? `${seconds} s` : 'longer than any clock';
}

function describe(error: unknown): string {
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'iat' && error.reason === 'check_failed') return 'claim "iat" is in the future';
  if (error instanceof errors.JWTExpired) return 'token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `claim "${error.claim}" ${error.reason === 'missing' ? 'is missing' : 'is not accepted'}`;
  if (error instanceof errors.JOSEAlgNotAllowed) return 'signing algorithm is not accepted';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature does not verify';
  if (error instanceof errors.JOSEError) return error.code.replace(/^ERR_/, '').toLowerCase().replaceAll('_', ' ');
  return 'not a valid JWT';
}
