import { InvalidInputError } from '../shared/errors.ts';

export const PLAN_TIERS = ['free', 'starter', 'pro', 'business'] as const;
export type PlanTier = (typeof PLAN_TIERS)[number];
export type PaidPlanTier = Exclude<PlanTier, 'free'>;

export const BILLING_INTERVALS = ['monthly', 'yearly'] as const;
export type BillingInterval = (typeof BILLING_INTERVALS)[number];

/** A paid plan: its tier and how often it is billed. */
export interface PaidPlan {
  readonly tier: PaidPlanTier;
  readonly billingInterval: BillingInterval;
}

export const PLAN_STATUSES = ['active', 'past_due', 'canceled', 'incomplete'] as const;
export type PlanStatus = (typeof PLAN_STATUSES)[number];

/**
 * Where a provider subscription stands: `paying` (active, trialing), `failing` (a renewal payment
 * failed and the provider is retrying), `lapsed` (the provider stopped retrying, or paused it: it
 * is not paid for, though it may be again), `unpaid` (its first payment has not gone through) or
 * `ended` (it will never bill again).
 */
export const SUBSCRIPTION_STANDINGS = ['paying', 'failing', 'lapsed', 'unpaid', 'ended'] as const;
export type SubscriptionStanding = (typeof SUBSCRIPTION_STANDINGS)[number];

/** A subscription as its provider holds it, in our terms. */
export interface SubscriptionState {
  readonly subscriptionId: string;
  readonly customerId: string | null;
  readonly standing: SubscriptionStanding;
  /**
   * False once renewal was stopped (Stripe's cancel_at_period_end): it ends when the period does.
   * Null where the provider does not say (Razorpay keeps a subscription cancelled at the end of its
   * cycle active until then): the account keeps what it recorded.
   */
  readonly renews: boolean | null;
  /** The plan its price is, when the price is one of ours; null leaves the account on the tier its checkout bought. */
  readonly plan: PaidPlan | null;
  readonly currentPeriodEnd: Date | null;
  /**
   * A change to another plan the provider will make at `effectiveAt` (a downgrade scheduled for
   * the period's end); null when none is scheduled, undefined when the provider's answer does not say.
   */
  readonly scheduledChange?: ScheduledPlanChange | null;
}

/** A plan the subscription moves to at a set time, as the provider has scheduled it. */
export interface ScheduledPlanChange {
  readonly plan: PaidPlan;
  readonly effectiveAt: Date;
}

export const PAYMENT_GATEWAY_NAMES = ['stripe', 'razorpay'] as const;
export type PaymentGatewayName = (typeof PAYMENT_GATEWAY_NAMES)[number];

/** `raw` as one of `allowed`, or the refusal that lists them, for `field`. */
export function parseOneOf<T extends string>(allowed: readonly T[], raw: unknown, field: string): T {
  if (typeof raw === 'string' && (allowed as readonly string[]).includes(raw)) return raw as T;
  throw new InvalidInputError(field, `${field} must be one of ${allowed.join(', ')}`);
}

export function parseBillingInterval(raw: unknown, field = 'billing_interval'): BillingInterval {
  return parseOneOf(BILLING_INTERVALS, raw, field);
}

export function isOneOf<T extends string>(allowed: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value);
}
