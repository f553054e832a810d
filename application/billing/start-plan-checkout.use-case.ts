import { CheckoutSession } from '../../domain/billing/checkout-session.entity.ts';
import { requirePaidTier } from '../../domain/billing/plan-catalogue.ts';
import { parseBillingInterval, parsePlanTier } from '../../domain/billing/plan.value-objects.ts';
import type { RedirectAllowList } from '../../domain/billing/redirect-allow-list.policy.ts';
import { ConflictError } from '../../domain/shared/errors.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { IdGenerator } from '../shared/id-generator.port.ts';
import type { SignupSignals } from '../shared/requester.ts';
import type { AccountOpener } from './account-opener.ts';
import type { CloseEarlierPlanCheckouts } from './close-earlier-plan-checkouts.ts';
import type { HostedCheckouts, StartedCheckout } from './hosted-checkouts.ts';
import type { PlanPricing } from './plan-pricing.ts';

export interface StartPlanCheckoutInput {
  readonly userId: string;
  readonly signals: SignupSignals;
  readonly tier: unknown;
  readonly billingInterval: unknown;
  readonly successUrl: unknown;
  readonly cancelUrl: unknown;
}

/** Starts a hosted plan checkout at the user's own gateway; input is checked before anything is written. */
export class StartPlanCheckout {
  private readonly deps: Readonly<{
    opener: AccountOpener;
    checkouts: HostedCheckouts;
    pricing: PlanPricing;
    redirects: RedirectAllowList;
    ids: IdGenerator;
    clock: Clock;
    earlierCheckouts: CloseEarlierPlanCheckouts;
  }>;

  constructor(deps: StartPlanCheckout['deps']) {
    this.deps = deps;
  }

  async execute(input: StartPlanCheckoutInput): Promise<StartedCheckout> {
    const tier = requirePaidTier(parsePlanTier(input.tier, 'tier'));
    const billingInterval = parseBillingInterval(input.billingInterval, 'billing_interval');
    const successUrl = this.deps.redirects.check(input.successUrl, 'success_url');
    const cancelUrl = this.deps.redirects.check(input.cancelUrl, 'cancel_url');

    const account = await this.deps.opener.open(input.userId, input.signals);
    if (account.hasLiveSubscription()) {
      throw new ConflictError(
        `already subscribed to ${account.tier} (${account.billingInterval}); change the plan through ` +
          `changeBillingInterval or the customer portal instead of a second subscription`,
      );
    }
    // One live subscription per account: the account's earlier open plan checkouts are closed first.
    await this.deps.earlierCheckouts.closeFor(account);
    const quote = await this.deps.pricing.quote(tier, billingInterval, account.paymentGateway);
    const session = CheckoutSession.forPlan({
      id: this.deps.ids.next(),
      userId: account.userId,
      gateway: account.paymentGateway,
      tier,
      billingInterval,
      amount: quote.price,
      fx: quote.fx,
      baseAmount: quote.listPrice,
      successUrl: successUrl.href,
      cancelUrl: cancelUrl.href,
      now: this.deps.clock.now(),
    });
    return this.deps.checkouts.open(account, session, (gateway) =>
      gateway.createPlanCheckout({
        sessionId: session.id,
        userId: account.userId,
        tier,
        billingInterval,
        price: quote.price,
        customerId: account.providerCustomerId,
        successUrl,
        cancelUrl,
      }),
    );
  }
}
