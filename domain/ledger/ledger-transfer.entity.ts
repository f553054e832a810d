import { invariant } from '../shared/errors.ts';
import type { FxSnapshot } from '../shared/fx-rate.value-object.ts';
import type { Currency } from '../shared/money.value-object.ts';
import type { LedgerAccount } from './ledger-account.ts';

export const TRANSFER_KINDS = ['deposit', 'tool_charge', 'adjustment', 'deposit_reversal', 'payout', 'payout_return'] as const;
export type TransferKind = (typeof TRANSFER_KINDS)[number];

/** Upper bound on entries in one transfer; every kind we write has at most four. */
export const MAX_ENTRIES_PER_TRANSFER = 8;

export interface LedgerEntry {
  readonly account: LedgerAccount;
  /** Signed minor units: positive adds to the account's balance, negative takes from it. */
  readonly amountMinor: number;
}

/**
 * One movement of money: entries that sum to zero, so money is only ever moved, never made or
 * lost. Immutable once built; corrections are new transfers, never edits.
 */
export class LedgerTransfer {
  readonly id: string;
  readonly kind: TransferKind;
  readonly currency: Currency;
  readonly entries: readonly LedgerEntry[];
  /** What caused it: a checkout session, a tool charge, a payout. */
  readonly reference: string;
  /** Who did it, for corrections by an admin. */
  readonly actorId: string | null;
  readonly reason: string | null;
  readonly fx: FxSnapshot | null;
  readonly createdAt: Date;
  /**
   * The one user whose accounts this transfer moves, which it is stored under: the wallet's owner
   * (the consumer of a charge, the depositor), else the creator (payouts and their returns).
   */
  readonly ownerId: string;

  private constructor(fields: Omit<LedgerTransfer, 'assertBalanced' | 'entryFor' | 'ownerId'>) {
    this.ownerId = ownerOf(fields.id, fields.entries);
    this.id = fields.id;
    this.kind = fields.kind;
    this.currency = fields.currency;
    this.entries = fields.entries;
    this.reference = fields.reference;
    this.actorId = fields.actorId;
    this.reason = fields.reason;
    this.fx = fields.fx;
    this.createdAt = fields.createdAt;
  }

  static create(fields: {
    id: string;
    kind: TransferKind;
    currency: Currency;
    entries: readonly LedgerEntry[];
    reference: string;
    actorId?: string | null;
    reason?: string | null;
    fx?: FxSnapshot | null;
    createdAt: Date;
  }): LedgerTransfer {
    const transfer = new LedgerTransfer({
      ...fields,
      // An entry of zero (a fee of 0 bps) moves nothing and is left out.
      entries: fields.entries.filter((entry) => entry.amountMinor !== 0),
      actorId: fields.actorId ?? null,
      reason: fields.reason ?? null,
      fx: fields.fx ?? null,
    });
    transfer.assertBalanced();
    return transfer;
  }

  /** The amount this transfer moved into (or out of) one account; 0 when it does not touch it. */
  entryFor(account: LedgerAccount): number {
    return this.entries.filter((entry) => entry.account.key === account.key).reduce((sum, entry) => sum + entry.amountMinor, 0);
  }

  assertBalanced(): void {
    invariant(this.entries.length >= 2 && this.entries.length <= MAX_ENTRIES_PER_TRANSFER, `transfer ${this.id} has ${this.entries.length} entries`);
    let sum = 0;
    for (const entry of this.entries) {
      invariant(Number.isSafeInteger(entry.amountMinor), `entry of transfer ${this.id} is not a whole number of minor units`);
      sum += entry.amountMinor;
    }
    invariant(sum === 0, `transfer ${this.id} does not balance: its entries sum to ${sum}`);
  }
}

const CREATOR_ACCOUNTS: ReadonlySet<string> = new Set(['creator_balance', 'payouts_in_flight']);

function ownerOf(transferId: string, entries: readonly LedgerEntry[]): string {
  const wallets = new Set(entries.filter((entry) => entry.account.type === 'wallet').map((entry) => entry.account.ownerId!));
  invariant(wallets.size <= 1, `transfer ${transferId} moves the wallets of ${wallets.size} users`);
  const owner = [...wallets][0] ?? entries.find((entry) => CREATOR_ACCOUNTS.has(entry.account.type))?.account.ownerId;
  invariant(owner, `transfer ${transferId} moves no user's account`);
  return owner;
}
