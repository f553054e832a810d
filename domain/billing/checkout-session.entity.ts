import { ConflictError, invariant } from '../shared/errors.ts';
import type { FxRate, FxSnapshot } from '../shared/fx-rate.value-object.ts';
import { CURRENCIES, Money, type Currency } from '../shared/money.value-object.ts';
import { PAID_TIERS } from './plan-catalogue.ts';
import { BILLING_INTERVALS, isOneOf, PAYMENT_GATEWAY_NAMES, type BillingInterval, type PaidPlanTier, type PaymentGatewayName } from './plan.value-objects.ts';

/**
 * `plan`: a new subscription; `deposit`: a one-time payment into the wallet; `plan_change`: a
 * subscriber confirming, on the provider's page, a move of their running subscription to another
 * plan (its tier and interval are the plan it moves to, its amount that plan's price per period);
 * `renewal`: a one-time payment of the period a past-due subscription did not renew (its tier and
 * interval are the plan it renews).
 */
export const CHECKOUT_PURPOSES = ['plan', 'deposit', 'plan_change', 'renewal'] as const;
/** The purposes that name a plan (a tier and an interval). */
const PLAN_PURPOSES: ReadonlySet<CheckoutPurpose> = new Set(['plan', 'plan_change', 'renewal']);
export type CheckoutPurpose = (typeof CHECKOUT_PURPOSES)[number];
export const CHECKOUT_STATUSES = ['open', 'completed', 'expired', 'canceled'] as const;
export type CheckoutStatus = (typeof CHECKOUT_STATUSES)[number];

/** What a deposit's session records of the money taken back, in the US cents it credited. */
export interface DepositReversal {
  readonly creditedUsdCents: number;
  readonly refundedUsdCents: number;
  /** Held or taken by disputes now. */
  readonly disputedUsdCents: number;
}

/**
 * One hosted checkout at the user's provider: a plan subscription or a wallet deposit. It is
 * stored before the provider is called (its id is the provider idempotency key), learns the
 * provider's session id once created, and completes at most once, whichever path sees the
 * payment first.
 */
export class CheckoutSession {
  readonly id: string;
  readonly userId: string;
  readonly purpose: CheckoutPurpose;
  readonly gateway: PaymentGatewayName;
  readonly tier: PaidPlanTier | null;
  readonly billingInterval: BillingInterval | null;
  readonly amountMinor: number;
  readonly currency: Currency;
  readonly fx: FxSnapshot | null;
  readonly successUrl: string;
  readonly cancelUrl: string;
  readonly createdAt: Date;
  private _providerSessionId: string | null;
  private _status: CheckoutStatus;
  private _completedAt: Date | null;
  private _providerPaymentId: string | null;
  /** The provider's subscription a paid plan checkout started: how a second subscription is traced back to its checkout. */
  private _providerSubscriptionId: string | null;
  /** US cents of a deposit taken back: refunded so far, and under dispute now. */
  private _refundedUsdCents: number;
  private _disputedUsdCents: number;
  /**
   * What each dispute the provider reads one at a time (Razorpay's) holds, in the charge's
   * currency, by dispute id: one payment can have several (a chargeback, then pre-arbitration).
   */
  private _disputeHolds: Record<string, number>;
  /** Why a person should look at this checkout (paid after it was closed here, a second subscription), or null. */
  private _reviewReason: string | null;

  private constructor(fields: {
    id: string;
    userId: string;
    purpose: CheckoutPurpose;
    gateway: PaymentGatewayName;
    tier: PaidPlanTier | null;
    billingInterval: BillingInterval | null;
    amount: Money;
    fx: FxSnapshot | null;
    successUrl: string;
    cancelUrl: string;
    now: Date;
  }) {
    this.id = fields.id;
    this.userId = fields.userId;
    this.purpose = fields.purpose;
    this.gateway = fields.gateway;
    this.tier = fields.tier;
    this.billingInterval = fields.billingInterval;
    this.amountMinor = fields.amount.amountMinor;
    this.currency = fields.amount.currency;
    this.fx = fields.fx;
    this.successUrl = fields.successUrl;
    this.cancelUrl = fields.cancelUrl;
    this.createdAt = fields.now;
    this._providerSessionId = null;
    this._status = 'open';
    this._completedAt = null;
    this._providerPaymentId = null;
    this._providerSubscriptionId = null;
    this._refundedUsdCents = 0;
    this._disputedUsdCents = 0;
    this._disputeHolds = {};
    this._reviewReason = null;
  }

  static forPlan(input: {
    id: string;
    userId: string;
    gateway: PaymentGatewayName;
    tier: PaidPlanTier;
    billingInterval: BillingInterval;
    amount: Money;
    fx: FxRate | null;
    baseAmount: Money;
    successUrl: string;
    cancelUrl: string;
    now: Date;
  }): CheckoutSession {
    const session = new CheckoutSession({ ...input, purpose: 'plan', fx: input.fx?.snapshot(input.baseAmount) ?? null });
    session.assertInvariants();
    return session;
  }

  /** A subscriber confirming a change of their running subscription to `tier` and `billingInterval` at the provider. */
  static forPlanChange(input: Parameters<typeof CheckoutSession.forPlan>[0]): CheckoutSession {
    const session = new CheckoutSession({ ...input, purpose: 'plan_change', fx: input.fx?.snapshot(input.baseAmount) ?? null });
    session.assertInvariants();
    return session;
  }

  /** A one-time payment of the next period of the plan a past-due subscription did not renew. */
  static forRenewal(input: Parameters<typeof CheckoutSession.forPlan>[0]): CheckoutSession {
    const session = new CheckoutSession({ ...input, purpose: 'renewal', fx: input.fx?.snapshot(input.baseAmount) ?? null });
    session.assertInvariants();
    return session;
  }

  static forDeposit(input: {
    id: string;
    userId: string;
    gateway: PaymentGatewayName;
    amount: Money;
    fx: FxRate | null;
    credit: Money;
    successUrl: string;
    cancelUrl: string;
    now: Date;
  }): CheckoutSession {
    const session = new CheckoutSession({
      ...input,
      purpose: 'deposit',
      tier: null,
      billingInterval: null,
      fx: input.fx?.snapshot(input.credit) ?? null,
    });
    session.assertInvariants();
    return session;
  }

  get providerSessionId(): string | null {
    return this._providerSessionId;
  }
  get status(): CheckoutStatus {
    return this._status;
  }
  get completedAt(): Date | null {
    return this._completedAt;
  }
  get amount(): Money {
    return Money.of(this.amountMinor, this.currency);
  }

  /** The US-dollar amount behind the charge: what a deposit credits to the wallet. */
  get usdAmount(): Money {
    return Money.of(this.fx ? this.fx.baseAmountMinor : this.amountMinor, 'USD');
  }

  /** Records the provider's id for this checkout; set once. */
  attachProviderSession(providerSessionId: string): void {
    invariant(this._providerSessionId === null || this._providerSessionId === providerSessionId, 'provider session id is set once');
    invariant(providerSessionId.length > 0, 'provider session id must not be empty');
    this._providerSessionId = providerSessionId;
  }

  /**
   * Marks the checkout paid. Returns false, changing nothing, when it was completed before: the
   * caller applies the payment's effect only on true, which is what makes completion happen once.
   * A checkout closed here (expired, canceled) that the provider then confirms paid still
   * completes, once, with a reason for a person to review: the money was taken.
   */
  complete(now: Date, providerPaymentId: string | null = null, providerSubscriptionId: string | null = null): boolean {
    if (this._status === 'completed') return false;
    if (this._status !== 'open') this._reviewReason = `paid at the provider after it was ${this._status} here`;
    this._status = 'completed';
    this._completedAt = now;
    this._providerPaymentId = providerPaymentId;
    this._providerSubscriptionId = providerSubscriptionId;
    this.assertInvariants();
    return true;
  }

  get reviewReason(): string | null {
    return this._reviewReason;
  }

  /** Keeps a reason for a person to look at this checkout; the first one stays, later ones are added to it. */
  flagForReview(reason: string): void {
    this._reviewReason = this._reviewReason ? `${this._reviewReason}; ${reason}` : reason;
  }

  get providerPaymentId(): string | null {
    return this._providerPaymentId;
  }

  get providerSubscriptionId(): string | null {
    return this._providerSubscriptionId;
  }

  /** Whether this checkout was opened before `other`: by creation time, then by id (ours are time-ordered), so two never tie. */
  openedBefore(other: CheckoutSession): boolean {
    const byTime = this.createdAt.getTime() - other.createdAt.getTime();
    return byTime !== 0 ? byTime < 0 : this.id < other.id;
  }

  /**
   * Records what the provider has taken back of a paid deposit as it holds it now, in the charge's
   * currency: the refunded total, and what disputes hold, either all of them at once
   * (`disputed`, where the provider lists them by payment) or one dispute (`dispute`, where it
   * reads them one at a time; the others keep what they held). Returns the US cents to take from
   * the wallet now (negative: to give back), never more in all than the deposit credited; the
   * same state twice returns 0. An amount in another currency is the caller's to refuse first.
   */
  recordReversal(state: { readonly refunded?: Money; readonly disputed?: Money; readonly dispute?: { readonly id: string; readonly held: Money } }): number {
    invariant(this.purpose === 'deposit' && this._status === 'completed', 'only a completed deposit can be reversed');
    const before = this.reversedUsdCents();
    if (state.refunded !== undefined) this._refundedUsdCents = this.toUsdCents(state.refunded);
    if (state.dispute) {
      this._disputeHolds = { ...this._disputeHolds, [state.dispute.id]: this.chargedMinor(state.dispute.held) };
      this._disputedUsdCents = this.toUsdCents(Money.of(Object.values(this._disputeHolds).reduce((sum, held) => sum + held, 0), this.currency));
    } else if (state.disputed !== undefined) {
      this._disputedUsdCents = this.toUsdCents(state.disputed);
    }
    return this.reversedUsdCents() - before;
  }

  /** What has been taken back of this deposit so far, as recorded: refunds, and what disputes hold now. */
  get depositReversal(): DepositReversal {
    return { creditedUsdCents: this.usdAmount.amountMinor, refundedUsdCents: this._refundedUsdCents, disputedUsdCents: this._disputedUsdCents };
  }

  private reversedUsdCents(): number {
    return Math.min(this.usdAmount.amountMinor, this._refundedUsdCents + this._disputedUsdCents);
  }

  /**
   * The one rounding rule for taking back part of a converted charge: the same share of the US
   * cents credited, rounded half up, so a full refund takes back exactly what was credited.
   */
  private toUsdCents(reversed: Money): number {
    const chargeMinor = this.chargedMinor(reversed);
    const credited = BigInt(this.usdAmount.amountMinor);
    const charged = BigInt(this.amountMinor);
    return Number((BigInt(Math.min(chargeMinor, this.amountMinor)) * credited * 2n + charged) / (2n * charged));
  }

  /** A reversed amount in the minor units of the charge, whose currency it must be in. */
  private chargedMinor(reversed: Money): number {
    invariant(reversed.currency === this.currency, `a reversal of checkout session ${this.id} is in ${this.currency}, not ${reversed.currency}`);
    invariant(reversed.amountMinor >= 0, 'a reversed amount is a non-negative whole number');
    return reversed.amountMinor;
  }

  /** The provider says it will never be paid: expired, or abandoned by the user. */
  close(status: 'expired' | 'canceled'): void {
    if (this._status === 'open') this._status = status;
  }

  /**
   * Checked after every change and after every load: the ORM hydrates without running the
   * constructor, so a row that breaks a rule must be caught here rather than acted on.
   */
  assertInvariants(): void {
    invariant(this.id.length > 0 && this.userId.length > 0, 'checkout session needs an id and a user');
    invariant(isOneOf(CHECKOUT_PURPOSES, this.purpose), `unknown checkout purpose ${this.purpose}`);
    invariant(isOneOf(PAYMENT_GATEWAY_NAMES, this.gateway), `unknown gateway ${this.gateway}`);
    invariant(isOneOf(CHECKOUT_STATUSES, this._status), `unknown checkout status ${this._status}`);
    invariant(Number.isSafeInteger(this.amountMinor) && this.amountMinor > 0, 'checkout amount must be positive');
    invariant(isOneOf(CURRENCIES, this.currency), `unknown currency ${this.currency}`);
    for (const cents of [this._refundedUsdCents, this._disputedUsdCents]) {
      invariant(Number.isSafeInteger(cents) && cents >= 0, `an amount taken back is a non-negative whole number of cents, got ${cents}`);
    }
    if (PLAN_PURPOSES.has(this.purpose)) {
      invariant(this.tier !== null && this.billingInterval !== null, 'a plan checkout names its tier and interval');
      invariant(isOneOf(PAID_TIERS, this.tier) && isOneOf(BILLING_INTERVALS, this.billingInterval), `unknown plan ${this.tier} ${this.billingInterval}`);
    } else {
      invariant(this.tier === null && this.billingInterval === null, 'a deposit names no tier');
    }
    invariant((this.currency === 'USD') === (this.fx === null), 'exactly the non-USD checkouts keep an FX snapshot');
    invariant((this._status === 'completed') === (this._completedAt !== null), 'completed exactly when it has a completion time');
  }
}
