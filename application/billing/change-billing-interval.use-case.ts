import { parseBillingInterval, type BillingInterval } from '../../domain/billing/plan.value-objects.ts';
import type { BillingState } from './billing-state.view.ts';
import type { PaymentGateways } from './payment-gateway.port.ts';
import type { PlanPricing } from './plan-pricing.service.ts';
import { changeSubscription, type SubscriptionChangeDeps } from './subscription-change.service.ts';

export interface ChangeBillingIntervalDeps extends SubscriptionChangeDeps {
  readonly gateways: PaymentGateways;
  readonly pricing: PlanPricing;
}

/** `changeBillingInterval` as the edge received it. */
export interface ChangeBillingIntervalRequest {
  readonly userId: string;
  readonly billingInterval: unknown;
}

export interface ChangeBillingIntervalInput {
  readonly userId: string;
  readonly billingInterval: BillingInterval;
}

export function parseChangeBillingIntervalInput(request: ChangeBillingIntervalRequest): ChangeBillingIntervalInput {
  return { userId: request.userId, billingInterval: parseBillingInterval(request.billingInterval, 'billing_interval') };
}

/** Switches the running subscription between monthly and yearly billing. */
export class ChangeBillingInterval {
  private readonly deps: ChangeBillingIntervalDeps;

  constructor(deps: ChangeBillingIntervalDeps) {
    this.deps = deps;
  }

  execute(request: ChangeBillingIntervalRequest): Promise<BillingState> {
    const { userId, billingInterval } = parseChangeBillingIntervalInput(request);
    return changeSubscription(this.deps, userId, {
      reason: 'interval_change',
      check: (account) => account.billingIntervalChangeTo(billingInterval).subscriptionId,
      callProvider: async (account, subscriptionId) => {
        const { tier } = account.billingIntervalChangeTo(billingInterval);
        const { price } = await this.deps.pricing.quote(tier, billingInterval, account.paymentGateway);
        const gateway = this.deps.gateways.for(account.paymentGateway);
        await gateway.changeSubscriptionInterval({ subscriptionId, tier, billingInterval, price });
        return (await gateway.retrieveSubscription(subscriptionId)).currentPeriodEnd;
      },
      apply: (account, currentPeriodEnd, now) => {
        account.changeBillingInterval(billingInterval, now);
        // The provider bills the new interval from a cycle of its own: the old interval's end is no longer what was paid.
        account.followPeriodEnd(currentPeriodEnd, now);
      },
    });
  }
}
