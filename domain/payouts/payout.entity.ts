import type { PaymentGatewayName } from '../billing/plan.value-objects.ts';
import type { FxSnapshot } from '../shared/fx-rate.value-object.ts';
import type { Money } from '../shared/money.value-object.ts';

export const PAYOUT_STATUSES = ['pending', 'in_transit', 'paid', 'failed', 'canceled'] as const;
export type PayoutStatus = (typeof PAYOUT_STATUSES)[number];

export interface PayoutFields {
  readonly id: string;
  readonly creatorId: string;
  readonly gateway: PaymentGatewayName;
  readonly providerAccountId: string;
  /** What leaves the developer balance, in US cents. */
  readonly amount: Money;
  /** What the creator receives, in the gateway's payout currency (USD, or INR at the quoted rate). */
  readonly payoutAmount: Money;
  readonly fx: FxSnapshot | null;
  /** The schedule period it pays (`weekly:2026-W48`, `monthly:2026-11`); null for one asked for by hand. */
  readonly period: string | null;
  /** The failed payout an admin retried with this one. */
  readonly retryOf: string | null;
  readonly createdAt: Date;
}

/** What changes as a payout moves along. */
export interface PayoutState {
  readonly status: PayoutStatus;
  readonly providerTransferId: string | null;
  readonly failureReason: string | null;
  readonly updatedAt: Date;
}

/**
 * Money on its way from a creator's balance to their bank: `pending` until the provider answers,
 * `in_transit` once it has taken the transfer, then `paid`, or `failed` (refused, reversed) with
 * the provider's reason, the money back on the balance. Each change happens at most once,
 * whichever path (the request, a provider event, a retry) sees it first.
 */
export class Payout {
  readonly id: string;
  readonly creatorId: string;
  readonly gateway: PaymentGatewayName;
  readonly providerAccountId: string;
  readonly amount: Money;
  readonly payoutAmount: Money;
  readonly fx: FxSnapshot | null;
  readonly period: string | null;
  readonly retryOf: string | null;
  readonly createdAt: Date;
  private _status: PayoutStatus;
  private _providerTransferId: string | null;
  private _failureReason: string | null;
  private _updatedAt: Date;

  private constructor(fields: PayoutFields, state: PayoutState) {
    this.id = fields.id;
    this.creatorId = fields.creatorId;
    this.gateway = fields.gateway;
    this.providerAccountId = fields.providerAccountId;
    this.amount = fields.amount;
    this.payoutAmount = fields.payoutAmount;
    this.fx = fields.fx;
    this.period = fields.period;
    this.retryOf = fields.retryOf;
    this.createdAt = fields.createdAt;
    this._status = state.status;
    this._providerTransferId = state.providerTransferId;
    this._failureReason = state.failureReason;
    this._updatedAt = state.updatedAt;
  }

  static request(fields: PayoutFields): Payout {
    return new Payout(fields, { status: 'pending', providerTransferId: null, failureReason: null, updatedAt: fields.createdAt });
  }

  static restore(fields: PayoutFields, state: PayoutState): Payout {
    return new Payout(fields, state);
  }

  get status(): PayoutStatus {
    return this._status;
  }
  get providerTransferId(): string | null {
    return this._providerTransferId;
  }
  get failureReason(): string | null {
    return this._failureReason;
  }
  get updatedAt(): Date {
    return this._updatedAt;
  }

  /** The provider took the transfer: settled at once (Stripe, the sandbox) or on its later event. Returns whether it changed. */
  recordTransfer(transferId: string, settled: boolean, now: Date): boolean {
    if (this._status !== 'pending' && this._status !== 'in_transit') return false;
    this._providerTransferId = transferId;
    const next = settled ? 'paid' : 'in_transit';
    if (next === this._status) return false;
    this._status = next;
    this._updatedAt = now;
    return true;
  }

  /**
   * The provider refused, failed or reversed the transfer. Returns the status it failed from (its
   * money is in flight, or already with the provider when it was paid), or null when it had
   * already failed or was canceled: the money went back once, never twice.
   */
  fail(reason: string, now: Date): 'pending' | 'in_transit' | 'paid' | null {
    const from = this._status;
    if (from === 'failed' || from === 'canceled') return null;
    this._status = 'failed';
    this._failureReason = reason;
    this._updatedAt = now;
    return from;
  }

  /** Sent again without an answer: the time of the latest attempt, so the next goes to the back of the line. */
  recordUnansweredAttempt(now: Date): void {
    if (this._status === 'pending') this._updatedAt = now;
  }
}
