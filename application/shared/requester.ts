export const ROLES = ['user', 'admin', 'service'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, as the edge authenticated them. */
export interface Requester {
  readonly userId: string;
  readonly role: Role;
}

/** What the request says about where the user is, for choosing a new account's gateway. */
export interface SignupSignals {
  /** The `country` claim of the caller's token, if any. */
  readonly claimedCountry?: string | undefined;
  /** Cloudflare's `CF-IPCountry` header, if any; trusted only where the deployment says so. */
  readonly cfIpCountry?: string | undefined;
}
