import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { ROLES, type Requester, type Role } from '../../application/shared/requester.ts';
import { MAX_USER_ID_LENGTH } from '../../domain/billing/account-plan.entity.ts';
import { UnauthenticatedError } from '../../domain/shared/errors.ts';
import type { JwtConfig } from '../config.ts';

/** Algorithms are pinned: the token's own `alg` header never chooses how it is checked. */
const SECRET_ALGORITHMS = ['HS256'];
const JWKS_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];
const CLOCK_TOLERANCE_SECONDS = 5;
const MAX_TOKEN_LENGTH = 8_192;

export interface AuthenticatedRequester extends Requester {
  /** The token's `country` claim, if it has one: a signup signal, not yet validated. */
  readonly claimedCountry: string | undefined;
}

export class JwtVerifier {
  private readonly key: Uint8Array | JWTVerifyGetKey;
  private readonly options: JWTVerifyOptions;

  constructor(config: JwtConfig) {
    this.key = config.kind === 'secret' ? new TextEncoder().encode(config.secret) : createRemoteJWKSet(config.jwksUrl);
    this.options = {
      algorithms: config.kind === 'secret' ? SECRET_ALGORITHMS : JWKS_ALGORITHMS,
      requiredClaims: ['exp', 'sub'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
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
    let payload;
    try {
      ({ payload } = typeof this.key === 'function' ? await jwtVerify(token, this.key, this.options) : await jwtVerify(token, this.key, this.options));
    } catch (error) {
      throw new UnauthenticatedError(`invalid token: ${describe(error)}`);
    }
    const userId = payload.sub ?? '';
    if (userId.length === 0 || userId.length > MAX_USER_ID_LENGTH) {
      throw new UnauthenticatedError(`invalid token: sub must be 1 to ${MAX_USER_ID_LENGTH} characters`);
    }
    const role = payload['role'] ?? 'user';
    if (!(ROLES as readonly unknown[]).includes(role)) {
      throw new UnauthenticatedError(`invalid token: role must be one of ${ROLES.join(', ')}`);
    }
    const country = payload['country'];
    return { userId, role: role as Role, claimedCountry: typeof country === 'string' ? country : undefined };
  }
}

function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `claim "${error.claim}" ${error.reason === 'missing' ? 'is missing' : 'is not accepted'}`;
  if (error instanceof errors.JOSEAlgNotAllowed) return 'signing algorithm is not accepted';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature does not verify';
  if (error instanceof errors.JOSEError) return error.code.replace(/^ERR_/, '').toLowerCase().replaceAll('_', ' ');
  return 'not a valid JWT';
}
