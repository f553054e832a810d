import { isOneOf, PAYMENT_GATEWAY_NAMES, type PaymentGatewayName } from '../billing/plan.value-objects.ts';
import { invariant, restoring } from '../shared/errors.ts';
import type { FxSnapshot } from '../shared/fx-rate.value-object.ts';
import type { Money } from '../shared/money.value-object.ts';
import { WALLET_CURRENCY } from '../wallet/wallet-rules.ts';

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
    const payout = new Payout(fields, { status: 'pending', providerTransferId: null, failureReason: null, updatedAt: fields.createdAt });
    payout.assertInvariants();
    return payout;
  }

  /** As it was stored; its invariants are checked again, since a row may break them (CorruptRecordError). */
  static restore(fields: PayoutFields, state: PayoutState): Payout {
    return restoring('Payout', fields.id, () => {
      const payout = new Payout(fields, state);
      payout.assertInvariants();
      return payout;
    });
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

  /** Checked when a payout is made, before it is written and after it is read. */
  assertInvariants(): void {
    invariant(this.id.length > 0 && this.creatorId.length > 0, 'a payout names its id and creator');
    invariant(isOneOf(PAYMENT_GATEWAY_NAMES, this.gateway), `unknown gateway ${this.gateway}`);
    invariant(this.providerAccountId.length > 0, 'a payout names the provider account it pays');
    invariant(this.amount.currency === WALLET_CURRENCY, `a payout is taken in ${WALLET_CURRENCY}, not ${this.amount.currency}`);
    invariant(this.amount.amountMinor > 0 && this.payoutAmount.amountMinor > 0, 'a payout moves a positive amount');
    if (this.fx === null) {
      invariant(this.payoutAmount.currency === this.amount.currency && this.payoutAmount.amountMinor === this.amount.amountMinor, 'a payout without an FX snapshot pays what it takes');
    } else {
      invariant(this.payoutAmount.currency !== this.amount.currency, 'only a converted payout keeps an FX snapshot');
      invariant(this.fx.baseAmountMinor === this.amount.amountMinor, 'the FX snapshot converts what the payout takes');
    }
    invariant(this.retryOf !== this.id, 'a payout does not retry itself');
    invariant(isOneOf(PAYOUT_STATUSES, this._status), `unknown payout status ${this._status}`);
    if (this._status === 'pending') invariant(this._providerTransferId === null, 'a pending payout has no transfer yet');
    if (this._status === 'in_transit' || this._status === 'paid') invariant(this._providerTransferId !== null, `a payout ${this._status} names its provider transfer`);
    if (this._status === 'failed') invariant(this._failureReason !== null, 'a failed payout says why');
    else if (this._status !== 'canceled') invariant(this._failureReason === null, `a payout ${this._status} has no failure reason`);
  }
}
