import type { AccountPlan } from '../../domain/billing/account-plan.entity.ts';
import type {
  BillingInterval,
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
  };
}
