import type { SignupSignals } from '../../application/shared/requester.ts';
import type { AuthenticatedRequester, JwtVerifier } from '../auth/jwt-verifier.ts';

/** Resolves the caller when a route or field first asks, once per request; throws if unauthenticated. */
export type RequireRequester = () => Promise<AuthenticatedRequester>;

export function lazyRequester(verifier: JwtVerifier, request: Request): RequireRequester {
  let verified: Promise<AuthenticatedRequester> | undefined;
  return () => (verified ??= verifier.verifyAuthorization(request.headers.get('authorization')));
}

export function signupSignals(requester: AuthenticatedRequester, request: Request): SignupSignals {
  return {
    claimedCountry: requester.claimedCountry,
    cfIpCountry: request.headers.get('cf-ipcountry') ?? undefined,
  };
}
