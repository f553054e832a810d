import { invariant } from '../shared/errors.ts';

/**
 * The accounts money moves between. A user's wallet and a creator's balance belong to a user;
 * the others are the platform's own. Balances follow the owner's view: a wallet of +2,500 holds
 * $25.00 for the user; the provider clearing account goes negative by what providers owe us.
 */
export const LEDGER_ACCOUNT_TYPES = [
  'wallet',
  'creator_balance',
  'platform_fees',
  'provider_clearing',
  'payouts_in_flight',
  'corrections',
] as const;
export type LedgerAccountType = (typeof LEDGER_ACCOUNT_TYPES)[number];

const OWNED: ReadonlySet<LedgerAccountType> = new Set(['wallet', 'creator_balance', 'payouts_in_flight']);

export class LedgerAccount {
  readonly type: LedgerAccountType;
  /** The user for owned accounts, the provider for clearing, null for the platform's accounts. */
  readonly ownerId: string | null;

  private constructor(type: LedgerAccountType, ownerId: string | null) {
    invariant(OWNED.has(type) || type === 'provider_clearing' ? !!ownerId : ownerId === null, `account ${type} owner mismatch`);
    this.type = type;
    this.ownerId = ownerId;
  }

  static wallet(userId: string): LedgerAccount {
    return new LedgerAccount('wallet', userId);
  }
  static creatorBalance(creatorId: string): LedgerAccount {
    return new LedgerAccount('creator_balance', creatorId);
  }
  static payoutsInFlight(creatorId: string): LedgerAccount {
    return new LedgerAccount('payouts_in_flight', creatorId);
  }
  static providerClearing(provider: string): LedgerAccount {
    return new LedgerAccount('provider_clearing', provider);
  }
  static readonly platformFees = new LedgerAccount('platform_fees', null);
  static readonly corrections = new LedgerAccount('corrections', null);

  /** The stable key entries are stored under: `wallet:alice`, `platform_fees`. */
  get key(): string {
    return this.ownerId === null ? this.type : `${this.type}:${this.ownerId}`;
  }

  static fromKey(key: string): LedgerAccount {
    const colon = key.indexOf(':');
    const type = (colon < 0 ? key : key.slice(0, colon)) as LedgerAccountType;
    invariant((LEDGER_ACCOUNT_TYPES as readonly string[]).includes(type), `unknown ledger account ${key}`);
    return new LedgerAccount(type, colon < 0 ? null : key.slice(colon + 1));
  }
}
