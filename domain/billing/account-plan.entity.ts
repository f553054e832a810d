import { ConflictError, invariant } from '../shared/errors.ts';
import type { Country } from './country.value-object.ts';
import { selectPaymentGateway } from './gateway-selection.policy.ts';
import { periodEnd } from './plan-catalogue.ts';
import { PAID_TIERS } from './plan-catalogue.ts';
import { planChangeTiming, type PlanChangeTiming } from './plan-change.policy.ts';
import {
  BILLING_INTERVALS,
  isOneOf,
  PAYMENT_GATEWAY_NAMES,
  PLAN_STATUSES,
  PLAN_TIERS,
  type BillingInterval,
  type PaidPlan,
  type PaidPlanTier,
  type PaymentGatewayName,
  type PlanStatus,
  type PlanTier,
  type ScheduledPlanChange,
  type SubscriptionState,
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
  /** Since when renewal payments have been failing; the grace period runs from here. */
  private _pastDueSince: Date | null;
  /** The plan the provider has scheduled the subscription to move to (a downgrade at the period's end), and when, as it last said. */
  private _scheduledTier: PaidPlanTier | null;
  private _scheduledBillingInterval: BillingInterval | null;
  private _scheduledChangeAt: Date | null;

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
    this._pastDueSince = null;
    this._scheduledTier = null;
    this._scheduledBillingInterval = null;
    this._scheduledChangeAt = null;
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

  /** The change to another plan the provider will make at the end of the period, if one is scheduled. */
  get scheduledChange(): ScheduledPlanChange | null {
    if (!this._scheduledTier || !this._scheduledBillingInterval || !this._scheduledChangeAt) return null;
    return { plan: { tier: this._scheduledTier, billingInterval: this._scheduledBillingInterval }, effectiveAt: this._scheduledChangeAt };
  }

  /**
   * Whether a paid subscription is running (or failing to renew) that a new checkout would
   * duplicate. A past-due plan with no subscription at its provider (a Razorpay Payment Link whose
   * period ended) is not: it renews by being bought again.
   */
  hasLiveSubscription(): boolean {
    if (this._tier === 'free') return false;
    return this._status === 'active' || (this._status === 'past_due' && this._providerSubscriptionId !== null);
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
    this._pastDueSince = null;
    this._providerCustomerId = input.providerCustomerId ?? this._providerCustomerId;
    this._providerSubscriptionId = input.providerSubscriptionId ?? this._providerSubscriptionId;
    this.followScheduledChange(null);
    this.touch(input.now);
  }

  /**
   * Stops renewal. The tier stays until the paid period ends; the provider's end-of-subscription
   * event (or the period running out) moves the account to free.
   */
  cancelRenewal(now: Date): void {
    this.renewalCancellation();
    this._status = 'canceled';
    this.touch(now);
  }

  /**
   * What stopping renewal takes, changing nothing: the subscription to stop at the provider (null
   * for a plan paid once, with none there). Refused unless a subscription is running.
   */
  renewalCancellation(): { readonly subscriptionId: string | null } {
    if (!this.hasLiveSubscription()) {
      throw new ConflictError(`there is no running subscription to cancel (plan ${this._tier}, status ${this._status})`);
    }
    return { subscriptionId: this._providerSubscriptionId };
  }

  /**
   * What moving the running subscription to `plan` takes: the subscription to change at the
   * provider, and when the change takes effect (planChangeTiming). Only a paid, active plan with a
   * subscription at its provider can change; the plan it is on already is no change.
   */
  planChangeTo(plan: PaidPlan): { readonly subscriptionId: string; readonly timing: PlanChangeTiming } {
    if (this._tier === 'free' || !this._billingInterval) {
      throw new ConflictError('there is no paid subscription to change: start a plan checkout for the plan instead');
    }
    if (this._status !== 'active') {
      throw new ConflictError(
        this._status === 'canceled'
          ? 'renewal of this subscription was stopped: it ends with its period, and a new plan is bought by a plan checkout then'
          : `the subscription is ${this._status}: its renewal must be paid before the plan can change`,
      );
    }
    if (!this._providerSubscriptionId) {
      throw new ConflictError('this plan was paid once, with no subscription at the provider to change: buy the new plan when this period ends');
    }
    return { subscriptionId: this._providerSubscriptionId, timing: planChangeTiming({ tier: this._tier, billingInterval: this._billingInterval }, plan) };
  }

  /**
   * An admin's complimentary or corrected plan: `plan` until `until`, renewing never and billed by
   * no provider, shown as `canceled` (it ends with its period) and ended like any plan whose renewal
   * was stopped, by the period check once `until` has passed. Refused while a provider subscription
   * is linked: its events would overwrite the plan, and the provider would go on charging for the
   * plan it holds while another is served. Returns whether anything changed (the same grant again
   * changes nothing).
   */
  grantPlan(input: { readonly plan: PaidPlan; readonly until: Date; readonly now: Date }): boolean {
    if (this._providerSubscriptionId !== null) {
      throw new ConflictError(
        `user ${this.userId} is linked to subscription ${this._providerSubscriptionId} at ${this.paymentGateway}, which bills for the plan it holds ` +
          '(and its events would overwrite a plan set here): end it at the provider first, or move it with changePlan',
      );
    }
    invariant(input.until > input.now, 'a granted plan ends in the future');
    const before = JSON.stringify(this.providerFacingState());
    this._tier = input.plan.tier;
    this._billingInterval = input.plan.billingInterval;
    this._status = 'canceled';
    this._currentPeriodEnd = input.until;
    this._pastDueSince = null;
    this.followScheduledChange(null);
    if (JSON.stringify(this.providerFacingState()) === before) return false;
    this.touch(input.now);
    return true;
  }

  /** Switches between monthly and yearly billing of the same tier. */
  changeBillingInterval(interval: BillingInterval, now: Date): void {
    this.billingIntervalChangeTo(interval);
    this._billingInterval = interval;
    this.touch(now);
  }

  /**
   * What moving to `interval` takes, changing nothing: the tier to price it for and the
   * subscription to move at the provider (null for a plan paid once). Refused unless a subscription
   * is running on another interval.
   */
  billingIntervalChangeTo(interval: BillingInterval): { readonly tier: PaidPlanTier; readonly subscriptionId: string | null } {
    if (this._tier === 'free' || !this.hasLiveSubscription()) {
      throw new ConflictError('only a running paid subscription can change its billing interval');
    }
    if (this._billingInterval === interval) {
      throw new ConflictError(`the subscription is already billed ${interval}`);
    }
    return { tier: this._tier, subscriptionId: this._providerSubscriptionId };
  }

  /**
   * The end of the period the provider bills now, after it moved the subscription to another
   * interval: a yearly end left on a monthly plan would keep it paid for, unchecked, long after a
   * monthly renewal failed. One the provider does not name changes nothing.
   */
  followPeriodEnd(currentPeriodEnd: Date | null, now: Date): void {
    if (!currentPeriodEnd || this._tier === 'free') return;
    this._currentPeriodEnd = currentPeriodEnd;
    this.touch(now);
  }

  /**
   * Applies the account's subscription as the provider holds it now (read after any event about
   * it, so order, duplicates and ties do not matter). A tier comes only from a paying subscription,
   * or a failing one within the grace period counted from when it was first seen failing; a lapsed
   * one (the provider gave up retrying, or paused it) and one whose first payment never went
   * through grant none; an ended one takes the account back to free and unlinks it. Returns
   * whether anything changed.
   */
  applySubscriptionState(input: SubscriptionState & { readonly now: Date; readonly graceMs: number }): boolean {
    invariant(this._providerSubscriptionId === input.subscriptionId, `subscription ${input.subscriptionId} is not the one account ${this.userId} holds`);
    const before = JSON.stringify(this.providerFacingState());
    this._providerCustomerId = input.customerId ?? this._providerCustomerId;
    switch (input.standing) {
      case 'ended':
        this.endSubscription();
        break;
      case 'unpaid':
        this.fallBackToFree('incomplete');
        break;
      case 'lapsed':
        // Not paid for: no tier, but still linked, so a payment the provider later takes restores it.
        this._pastDueSince ??= input.now;
        this.fallBackToFree('active');
        break;
      case 'paying':
        this._pastDueSince = null;
        this.keepPaidTier(input.plan, input.renews === false || (input.renews === null && this._status === 'canceled') ? 'canceled' : 'active', input.currentPeriodEnd);
        break;
      case 'failing':
        this._pastDueSince ??= input.now;
        if (input.now.getTime() - this._pastDueSince.getTime() < input.graceMs) this.keepPaidTier(input.plan, 'past_due', input.currentPeriodEnd);
        else this.fallBackToFree('active');
        break;
    }
    if (this._tier !== 'free' && input.scheduledChange !== undefined) this.followScheduledChange(input.scheduledChange);
    if (JSON.stringify(this.providerFacingState()) === before) return false;
    this.touch(input.now);
    return true;
  }

  /**
   * The provider's subscription was ended so that its unpaid period is paid once, by a one-time
   * payment instead (a renewal link): the plan keeps its tier and standing, linked to nothing, and
   * renews by such payments or a new subscription. Returns whether it held that subscription.
   */
  detachSubscription(subscriptionId: string, now: Date): boolean {
    if (this._providerSubscriptionId !== subscriptionId) return false;
    this._providerSubscriptionId = null;
    this.touch(now);
    return true;
  }

  /**
   * The period the subscription did not renew, paid by a one-time payment (the renewal link a
   * past-due plan offers): the plan runs one more period from where the paid one ended, active
   * again. A payment for another plan than the account is on now is not applied (false): a
   * person settles it.
   */
  payRenewal(input: { readonly tier: PaidPlanTier; readonly billingInterval: BillingInterval; readonly now: Date }): boolean {
    if (this._tier !== input.tier || this._billingInterval !== input.billingInterval || !this._currentPeriodEnd) return false;
    this._currentPeriodEnd = periodEnd(this._currentPeriodEnd, input.billingInterval);
    this._status = 'active';
    this._pastDueSince = null;
    this.touch(input.now);
    return true;
  }

  /** On the subscription's plan (or the tier the account already has, when the provider names none of ours). */
  private keepPaidTier(plan: PaidPlan | null, status: PlanStatus, currentPeriodEnd: Date | null): void {
    if (plan) {
      this._tier = plan.tier;
      this._billingInterval = plan.billingInterval;
    }
    if (this._tier !== 'free') this._status = status;
    this._currentPeriodEnd = currentPeriodEnd ?? this._currentPeriodEnd;
  }

  /** Free again, linked to no subscription. */
  private endSubscription(): void {
    this.fallBackToFree('active');
    this._currentPeriodEnd = null;
    this._providerSubscriptionId = null;
    this._pastDueSince = null;
  }

  private fallBackToFree(status: PlanStatus): void {
    this._tier = 'free';
    this._billingInterval = null;
    this._status = status;
    this.followScheduledChange(null);
  }

  /** Keeps the change the provider has scheduled; one to the plan the account is on already is no change. */
  private followScheduledChange(change: ScheduledPlanChange | null): void {
    const pending = change && (change.plan.tier !== this._tier || change.plan.billingInterval !== this._billingInterval) ? change : null;
    this._scheduledTier = pending?.plan.tier ?? null;
    this._scheduledBillingInterval = pending?.plan.billingInterval ?? null;
    this._scheduledChangeAt = pending?.effectiveAt ?? null;
  }

  private providerFacingState(): unknown[] {
    return [
      this._tier,
      this._billingInterval,
      this._status,
      this._currentPeriodEnd?.getTime(),
      this._providerCustomerId,
      this._providerSubscriptionId,
      this._pastDueSince?.getTime(),
      this._scheduledTier,
      this._scheduledBillingInterval,
      this._scheduledChangeAt?.getTime(),
    ];
  }

  get pastDueSince(): Date | null {
    return this._pastDueSince;
  }

  /**
   * The paid period ended with no renewal the provider confirmed: a plan whose renewal was stopped
   * ends; any other goes past due from the period's end, its grace period counted from there.
   * Returns whether anything changed.
   */
  lapseUnrenewedPeriod(now: Date): boolean {
    if (this._tier === 'free' || !this._currentPeriodEnd || this._currentPeriodEnd > now) return false;
    if (this._status === 'canceled') this.endSubscription();
    else if (this._status === 'active') {
      this._status = 'past_due';
      this._pastDueSince = this._currentPeriodEnd;
    } else return false;
    this.touch(now);
    return true;
  }

  /**
   * A plan whose renewal has kept failing past the grace period falls back to free. The provider
   * subscription stays linked, and the time it started failing is kept, so a later read of it
   * still failing grants nothing; if a later payment succeeds, the read of it restores the plan.
   */
  endGracePeriod(now: Date, graceMs: number): boolean {
    if (this._status !== 'past_due' || this._tier === 'free' || !this._pastDueSince || now.getTime() - this._pastDueSince.getTime() < graceMs) return false;
    this.fallBackToFree('active');
    this.touch(now);
    return true;
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
    invariant(isOneOf(PAYMENT_GATEWAY_NAMES, this.paymentGateway), `unknown gateway ${this.paymentGateway}`);
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
    const scheduled = [this._scheduledTier, this._scheduledBillingInterval, this._scheduledChangeAt].filter((field) => field !== null).length;
    invariant(scheduled === 0 || (scheduled === 3 && this._tier !== 'free'), 'a scheduled plan change names its tier, interval and time, on a paid plan');
    if (this._scheduledTier) invariant(isOneOf(PAID_TIERS, this._scheduledTier), `unknown scheduled tier ${this._scheduledTier}`);
    if (this._scheduledBillingInterval) invariant(isOneOf(BILLING_INTERVALS, this._scheduledBillingInterval), `unknown scheduled interval ${this._scheduledBillingInterval}`);
  }
}
