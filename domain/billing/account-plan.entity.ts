import { invariant } from '../shared/errors.ts';
import type { Country } from './country.value-object.ts';
import { selectPaymentGateway } from './gateway-selection.policy.ts';
import {
  BILLING_INTERVALS,
  isOneOf,
  PAYMENT_GATEWAYS,
  PLAN_STATUSES,
  PLAN_TIERS,
  type BillingInterval,
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
