import { invariant } from '../shared/errors.ts';
import { CURRENCIES, type Currency } from '../shared/money.value-object.ts';
import { isOneOf, PAYMENT_GATEWAY_NAMES, type PaymentGatewayName } from './plan.value-objects.ts';

export const DUPLICATE_SUBSCRIPTION_STATUSES = ['pending', 'done', 'failed'] as const;
export type DuplicateSubscriptionStatus = (typeof DUPLICATE_SUBSCRIPTION_STATUSES)[number];

export interface NewDuplicateSubscription {
  readonly id: string;
  readonly userId: string;
  readonly gateway: PaymentGatewayName;
  readonly keptSessionId: string;
  readonly canceledSessionId: string;
  readonly subscriptionId: string;
  readonly paymentId: string | null;
  readonly amountMinor: number;
  readonly currency: Currency;
  readonly now: Date;
}

/** The longest provider error kept on a record. */
const MAX_ERROR_LENGTH = 1_000;

/**
 * A second subscription an account paid for, and how it is settled: two plan checkouts of one
 * account were both paid (both before the earlier one could be closed at the provider), the
 * later-opened one stands, and the earlier one's subscription is canceled at once and its payment
 * refunded in full through the provider. The decision is recorded when the second completion is
 * applied (under the account's lock); the provider calls are made afterwards, outside any lock,
 * each at most once in effect (idempotent at the provider), and their outcome recorded here.
 *
 * `pending` until both are done (`done`); a provider that fails leaves it pending with its error
 * and a time to try again; one that keeps failing, or a refund that cannot be made at all, ends it
 * `failed` with the provider's error, for a person.
 */
export class DuplicateSubscription {
  readonly id: string;
  readonly userId: string;
  readonly gateway: PaymentGatewayName;
  /** The later-opened checkout: its subscription is the account's. */
  readonly keptSessionId: string;
  /** The earlier-opened checkout, paid as well: its subscription is canceled and its payment refunded. */
  readonly canceledSessionId: string;
  /** The provider's subscription to cancel at once. */
  readonly subscriptionId: string;
  /** The provider's payment to refund; null when the provider never named one (nothing can be refunded automatically). */
  readonly paymentId: string | null;
  /** What the earlier checkout charged, in minor units of `currency`. */
  readonly amountMinor: number;
  readonly currency: Currency;
  readonly createdAt: Date;
  private _status: DuplicateSubscriptionStatus;
  private _attempts: number;
  private _lastError: string | null;
  /** When a pending one is due to be tried (again). */
  private _nextAttemptAt: Date | null;
  /** Until when a runner holds it; none other tries it meanwhile. */
  private _leasedUntil: Date | null;
  private _subscriptionCanceledAt: Date | null;
  private _refundId: string | null;
  /** What the provider refunded, in minor units of `currency`. */
  private _refundedMinor: number | null;
  private _refundedAt: Date | null;
  private _settledAt: Date | null;
  private _updatedAt: Date;

  private constructor(fields: NewDuplicateSubscription) {
    this.id = fields.id;
    this.userId = fields.userId;
    this.gateway = fields.gateway;
    this.keptSessionId = fields.keptSessionId;
    this.canceledSessionId = fields.canceledSessionId;
    this.subscriptionId = fields.subscriptionId;
    this.paymentId = fields.paymentId;
    this.amountMinor = fields.amountMinor;
    this.currency = fields.currency;
    this.createdAt = fields.now;
    this._status = 'pending';
    this._attempts = 0;
    this._lastError = null;
    this._nextAttemptAt = fields.now;
    this._leasedUntil = null;
    this._subscriptionCanceledAt = null;
    this._refundId = null;
    this._refundedMinor = null;
    this._refundedAt = null;
    this._settledAt = null;
    this._updatedAt = fields.now;
  }

  /** The decision, due at once: cancel `subscriptionId` now and refund `paymentId` in full. */
  static record(fields: NewDuplicateSubscription): DuplicateSubscription {
    const record = new DuplicateSubscription(fields);
    record.assertInvariants();
    return record;
  }

  get status(): DuplicateSubscriptionStatus {
    return this._status;
  }
  get attempts(): number {
    return this._attempts;
  }
  get lastError(): string | null {
    return this._lastError;
  }
  get nextAttemptAt(): Date | null {
    return this._nextAttemptAt;
  }
  get subscriptionCanceledAt(): Date | null {
    return this._subscriptionCanceledAt;
  }
  get refundId(): string | null {
    return this._refundId;
  }
  get refundedMinor(): number | null {
    return this._refundedMinor;
  }
  get refundedAt(): Date | null {
    return this._refundedAt;
  }
  get settledAt(): Date | null {
    return this._settledAt;
  }
  get updatedAt(): Date {
    return this._updatedAt;
  }

  /**
   * Takes it for one attempt until `leasedUntil`, if it is pending, due and held by no other
   * runner; returns whether it was taken.
   */
  claim(now: Date, leasedUntil: Date): boolean {
    if (this._status !== 'pending' || (this._nextAttemptAt && this._nextAttemptAt > now) || (this._leasedUntil && this._leasedUntil > now)) return false;
    this._leasedUntil = leasedUntil;
    this.touch(now);
    return true;
  }

  /** The provider ended the subscription (or says it had ended already). */
  subscriptionCanceled(now: Date): void {
    this._subscriptionCanceledAt ??= now;
    this.touch(now);
  }

  /** The provider refunded the payment: `refundId` null when nothing was left to refund (all of it given back already). */
  refunded(refund: { readonly refundId: string | null; readonly refundedMinor: number }, now: Date): void {
    invariant(Number.isSafeInteger(refund.refundedMinor) && refund.refundedMinor >= 0, 'a refunded amount is a non-negative whole number');
    if (this._refundedAt) return;
    this._refundId = refund.refundId;
    this._refundedMinor = refund.refundedMinor;
    this._refundedAt = now;
    this.touch(now);
  }

  /**
   * Ends an attempt and lets go of the lease: done once the subscription is canceled and the
   * payment refunded; otherwise, with the provider's error, pending until `retryAt`, or failed
   * when `retryAt` is null (no more attempts, or none could help).
   */
  finishAttempt(now: Date, failure: { readonly error: string; readonly retryAt: Date | null } | null): void {
    if (this._status !== 'pending') return;
    this._leasedUntil = null;
    this._attempts += 1;
    if (this._subscriptionCanceledAt && this._refundedAt) {
      this._status = 'done';
      this._lastError = null;
      this._nextAttemptAt = null;
      this._settledAt = now;
    } else if (failure) {
      this._lastError = failure.error.length > MAX_ERROR_LENGTH ? `${failure.error.slice(0, MAX_ERROR_LENGTH)}…` : failure.error;
      this._nextAttemptAt = failure.retryAt;
      if (!failure.retryAt) {
        this._status = 'failed';
        this._settledAt = now;
      }
    } else {
      this._nextAttemptAt = now;
    }
    this.touch(now);
  }

  private touch(now: Date): void {
    this._updatedAt = now > this._updatedAt ? now : this._updatedAt;
    this.assertInvariants();
  }

  /** Checked after every change and every load (the ORM hydrates without the constructor). */
  assertInvariants(): void {
    invariant(this.id.length > 0 && this.userId.length > 0, 'a duplicate subscription names its record and user');
    invariant(isOneOf(PAYMENT_GATEWAY_NAMES, this.gateway), `unknown gateway ${this.gateway}`);
    invariant(this.keptSessionId !== this.canceledSessionId, 'the checkout kept is not the one canceled');
    invariant(this.subscriptionId.length > 0, 'a duplicate subscription names the subscription to cancel');
    invariant(Number.isSafeInteger(this.amountMinor) && this.amountMinor > 0, 'a duplicate subscription names what was charged');
    invariant(isOneOf(CURRENCIES, this.currency), `unknown currency ${this.currency}`);
    invariant(isOneOf(DUPLICATE_SUBSCRIPTION_STATUSES, this._status), `unknown status ${this._status}`);
    invariant((this._status === 'pending') === (this._settledAt === null), 'settled exactly when no longer pending');
    invariant(this._status !== 'done' || (this._subscriptionCanceledAt !== null && this._refundedAt !== null), 'done only once canceled and refunded');
    invariant(this._status === 'pending' || this._leasedUntil === null, 'only a pending one is held');
    invariant(Number.isSafeInteger(this._attempts) && this._attempts >= 0, `attempts are a non-negative whole number, got ${this._attempts}`);
    invariant(this._refundedMinor === null || (Number.isSafeInteger(this._refundedMinor) && this._refundedMinor >= 0), 'a refunded amount is a non-negative whole number');
  }
}
