import type { BillingState } from './billing-state.view.ts';
import type { PaymentGateways } from './payment-gateway.port.ts';
import { changeSubscription, type SubscriptionChangeDeps } from './subscription-change.service.ts';

export interface CancelSubscriptionDeps extends SubscriptionChangeDeps {
  readonly gateways: PaymentGateways;
}

export interface CancelSubscriptionInput {
  readonly userId: string;
}

/** Stops renewal; the plan stays until the paid period ends. Works for every gateway. */
export class CancelSubscription {
  private readonly deps: CancelSubscriptionDeps;

  constructor(deps: CancelSubscriptionDeps) {
    this.deps = deps;
  }

  execute(input: CancelSubscriptionInput): Promise<BillingState> {
    return changeSubscription(this.deps, input.userId, {
      reason: 'cancel_renewal',
      check: (account) => account.renewalCancellation().subscriptionId,
      callProvider: (account, subscriptionId) => this.deps.gateways.for(account.paymentGateway).cancelSubscription(subscriptionId),
      apply: (account, _answer, now) => account.cancelRenewal(now),
    });
  }
}

