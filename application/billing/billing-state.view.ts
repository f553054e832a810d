import type { AccountPlan } from '../../domain/billing/account-plan.entity.ts';
import type {
  BillingInterval,
  PaidPlanTier,
  PaymentGatewayName,
  PlanStatus,
  PlanTier,
} from '../../domain/billing/plan.value-objects.ts';

/** What a user (or an admin looking at them) sees of their plan. */
export interface BillingState {
  readonly userId: string;
  readonly country: string;
  readonly planTier: PlanTier;
  readonly paymentGateway: PaymentGatewayName;
  readonly status: PlanStatus;
  readonly billingInterval: BillingInterval | null;
  readonly currentPeriodEnd: Date | null;
  /** The plan the subscription moves to at the end of the period (a downgrade the provider has scheduled), if any. */
  readonly scheduledChange: { readonly tier: PaidPlanTier; readonly billingInterval: BillingInterval; readonly effectiveAt: Date } | null;
}

export function toBillingState(plan: AccountPlan): BillingState {
  return {
    userId: plan.userId,
    country: plan.country.code,
    planTier: plan.tier,
    paymentGateway: plan.paymentGateway,
    status: plan.status,
    billingInterval: plan.billingInterval,
    currentPeriodEnd: plan.currentPeriodEnd,
    scheduledChange: plan.scheduledChange && { ...plan.scheduledChange.plan, effectiveAt: plan.scheduledChange.effectiveAt },
  };
}
