import { token } from './token.ts';

/** What a signed link of ours opens: each verifies only for its own purpose. */
export type LinkPurpose = 'billing-portal' | 'plan-renewal';

/**
 * Short-lived links a browser opens without a token (an email, a redirect, a dashboard's button):
 * the link itself carries who it is for and until when, signed by this service. A forged, altered,
 * expired or other-purpose link is an UnauthenticatedError.
 */
export interface SignedLinks {
  /** A link for `userId` and `purpose`, good for `ttlMs` by real time (never a test clock). */
  sign(input: { readonly purpose: LinkPurpose; readonly userId: string; readonly ttlMs: number }): Promise<string>;
  verify(link: string, purpose: LinkPurpose): Promise<{ readonly userId: string; readonly expiresAt: Date }>;
}

export const SIGNED_LINKS = token<SignedLinks>('SignedLinks');
