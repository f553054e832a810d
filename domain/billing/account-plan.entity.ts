import { ConflictError, invariant } from '../shared/errors.ts';
import type { Country } from './country.value-object.ts';
import { selectPaymentGateway } from './gateway-selection.policy.ts';
import {
  BILLING_INTERVALS,
  isOneOf,
  PAYMENT_GATEWAYS,
  PLAN_STATUSES,
  PLAN_TIERS,
  type BillingInterval,
  type PaidPlanTier,
  type PaymentGatewayName,
  type PlanStatus,
  type PlanTier,
} from './plan.value-objects.ts';

export const MAX_USER_ID_LENGTH = 255;

/**
 * A user's billing account: the plan they are on and the payment gateway every billing flow of
 * theirs goes through. The gateway is chosen from the country at registration and never changes.
 *
 * State that changes is held in underscored fields behind getters, so nothing outside the
 * entity can assign it; the persistence mapping reads and writes those fields directly.
 */
export class AccountPlan {
  readonly userId: string;
  readonly country: Country;
  readonly paymentGateway: PaymentGatewayName;
  readonly createdAt: Date;
  private _tier: PlanTier;
  private _billingInterval: BillingInterval | null;
  private _status: PlanStatus;
  private _currentPeriodEnd: Date | null;
  private _providerCustomerId: string | null;
  private _providerSubscriptionId: string | null;
  private _updatedAt: Date;
  /** When the provider's latest subscription state we applied happened: older events are ignored. */
  private _providerStateAt: Date | null;
  /** Since when renewal payments have been failing; the grace period runs from here. */
  private _pastDueSince: Date | null;

  private constructor(userId: string, country: Country, now: Date) {
    this.userId = userId;
    this.country = country;
    this.paymentGateway = selectPaymentGateway(country);
    this.createdAt = now;
    this._tier = 'free';
    this._billingInterval = null;
    this._status = 'active';
    this._currentPeriodEnd = null;
    this._providerCustomerId = null;
    this._providerSubscriptionId = null;
    this._updatedAt = now;
    this._providerStateAt = null;
    this._pastDueSince = null;
  }

  /** A new account starts on the free plan, active, with the gateway its country selects. */
  static register(input: { readonly userId: string; readonly country: Country; readonly now: Date }): AccountPlan {
    const plan = new AccountPlan(input.userId, input.country, input.now);
    plan.assertInvariants();
    return plan;
  }

  get tier(): PlanTier {
    return this._tier;
  }
  get billingInterval(): BillingInterval | null {
    return this._billingInterval;
  }
  get status(): PlanStatus {
    return this._status;
  }
  get currentPeriodEnd(): Date | null {
    return this._currentPeriodEnd;
  }
  get providerCustomerId(): string | null {
    return this._providerCustomerId;
  }
  get providerSubscriptionId(): string | null {
    return this._providerSubscriptionId;
  }
  get updatedAt(): Date {
    return this._updatedAt;
  }

  /** Whether a paid subscription is running (or failing to renew) that a new checkout would duplicate. */
  hasLiveSubscription(): boolean {
    return this._tier !== 'free' && (this._status === 'active' || this._status === 'past_due');
  }

  /**
   * Moves the account onto a paid plan after a payment: tier, interval, the new period, and the
   * provider's ids for the customer and subscription where the provider has them.
   */
  activatePaidPlan(input: {
    readonly tier: PaidPlanTier;
    readonly billingInterval: BillingInterval;
    readonly currentPeriodEnd: Date;
    readonly providerCustomerId: string | null;
    readonly providerSubscriptionId: string | null;
    readonly now: Date;
  }): void {
    this._tier = input.tier;
    this._billingInterval = input.billingInterval;
    this._status = 'active';
    this._currentPeriodEnd = input.currentPeriodEnd;
    this._providerCustomerId = input.providerCustomerId ?? this._providerCustomerId;
    this._providerSubscriptionId = input.providerSubscriptionId ?? this._providerSubscriptionId;
    this.touch(input.now);
  }

  /**
   * Stops renewal. The tier stays until the paid period ends; the provider's end-of-subscription
   * event (or the period running out) moves the account to free.
   */
  cancelRenewal(now: Date): void {
    if (!this.hasLiveSubscription()) {
      throw new ConflictError(`there is no running subscription to cancel (plan ${this._tier}, status ${this._status})`);
    }
    this._status = 'canceled';
    this.touch(now);
  }

  /** Switches between monthly and yearly billing of the same tier. */
  changeBillingInterval(interval: BillingInterval, now: Date): void {
    if (!this.hasLiveSubscription()) {
      throw new ConflictError('only a running paid subscription can change its billing interval');
    }
    if (this._billingInterval === interval) {
      throw new ConflictError(`the subscription is already billed ${interval}`);
    }
    this._billingInterval = interval;
    this.touch(now);
  }

  /**
   * Applies the subscription as the provider last saw it (a renewal, a failed payment, a change
   * made in the provider's dashboard). Events arrive late and out of order: one older than the
   * newest already applied changes nothing and returns false.
   */
  applyProviderSubscription(input: {
    readonly subscriptionId: string;
    readonly customerId: string | null;
    readonly tier: PaidPlanTier | null;
    readonly billingInterval: BillingInterval | null;
    readonly status: PlanStatus;
    readonly currentPeriodEnd: Date | null;
    readonly occurredAt: Date;
    readonly now: Date;
  }): boolean {
    if (!this.acceptsProviderState(input.occurredAt)) return false;
    if (input.tier && input.billingInterval) {
      this._tier = input.tier;
      this._billingInterval = input.billingInterval;
    }
    if (this._tier !== 'free') {
      if (input.status === 'past_due' && this._status !== 'past_due') this._pastDueSince = input.occurredAt;
      if (input.status !== 'past_due') this._pastDueSince = null;
      this._status = input.status;
    }
    this._currentPeriodEnd = input.currentPeriodEnd ?? this._currentPeriodEnd;
    this._providerSubscriptionId = input.subscriptionId;
    this._providerCustomerId = input.customerId ?? this._providerCustomerId;
    this._providerStateAt = input.occurredAt;
    this.touch(input.now);
    return true;
  }

  /** The provider ended the subscription: the account is back on the free plan. */
  endSubscription(input: { readonly occurredAt: Date; readonly now: Date }): boolean {
    if (!this.acceptsProviderState(input.occurredAt)) return false;
    this._tier = 'free';
    this._billingInterval = null;
    this._status = 'active';
    this._currentPeriodEnd = null;
    this._providerSubscriptionId = null;
    this._pastDueSince = null;
    this._providerStateAt = input.occurredAt;
    this.touch(input.now);
    return true;
  }

  get pastDueSince(): Date | null {
    return this._pastDueSince;
  }

  /**
   * A plan whose renewal has kept failing past the grace period falls back to free. The provider
   * subscription is left as it is: if a later payment succeeds, its event restores the plan.
   */
  endGracePeriod(now: Date, graceMs: number): boolean {
    if (this._status !== 'past_due' || !this._pastDueSince || now.getTime() - this._pastDueSince.getTime() < graceMs) return false;
    this._tier = 'free';
    this._billingInterval = null;
    this._status = 'active';
    this._pastDueSince = null;
    this.touch(now);
    return true;
  }

  private acceptsProviderState(occurredAt: Date): boolean {
    return this._providerStateAt === null || occurredAt.getTime() >= this._providerStateAt.getTime();
  }

  private touch(now: Date): void {
    this._updatedAt = now > this._updatedAt ? now : this._updatedAt;
    this.assertInvariants();
  }

  /**
   * Checked after every change and after every load: the ORM hydrates without running the
   * constructor, so a row that breaks a rule must be caught here rather than acted on.
   */
  assertInvariants(): void {
    invariant(this.userId.length > 0 && this.userId.length <= MAX_USER_ID_LENGTH, 'user id must be 1..255 characters');
    invariant(isOneOf(PAYMENT_GATEWAYS, this.paymentGateway), `unknown gateway ${this.paymentGateway}`);
    invariant(
      this.paymentGateway === selectPaymentGateway(this.country),
      `account ${this.userId} in ${this.country.code} is on ${this.paymentGateway}, which its country does not select`,
    );
    invariant(isOneOf(PLAN_TIERS, this._tier), `unknown tier ${this._tier}`);
    invariant(isOneOf(PLAN_STATUSES, this._status), `unknown status ${this._status}`);
    if (this._tier === 'free') {
      invariant(this._billingInterval === null, 'the free plan has no billing interval');
    } else {
      invariant(isOneOf(BILLING_INTERVALS, this._billingInterval), `a paid plan needs a billing interval`);
    }
    invariant(this._updatedAt.getTime() >= this.createdAt.getTime(), 'updated before created');
  }
}
