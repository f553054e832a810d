import { CheckoutSession } from '../../domain/billing/checkout-session.entity.ts';
import { parsePaidTier } from '../../domain/billing/plan-catalogue.ts';
import { parseBillingInterval, type PaidPlan } from '../../domain/billing/plan.value-objects.ts';
import type { RedirectAllowList } from '../../domain/billing/redirect-allow-list.policy.ts';
import type { AccountPlan } from '../../domain/billing/account-plan.entity.ts';
import { ConflictError } from '../../domain/shared/errors.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { IdGenerator } from '../shared/id-generator.port.ts';
import type { SignupSignals } from '../shared/requester.ts';
import type { AccountOpener } from './account-opener.service.ts';
import type { CloseEarlierPlanCheckouts } from './close-earlier-plan-checkouts.service.ts';
import { withSessionId } from './return-url.ts';
import type { HostedCheckouts, StartedCheckout } from './hosted-checkouts.service.ts';
import type { PlanPricing } from './plan-pricing.service.ts';

/** A started plan checkout: a new subscription, or a subscriber's change of plan to confirm at the provider. */
export interface StartedPlanCheckout extends StartedCheckout {
  readonly planChange: boolean;
}

/** `startPlanCheckout` (GraphQL), `POST /api/billing/checkout` or the own portal's switch, as received. */
export interface StartPlanCheckoutRequest {
  readonly userId: string;
  readonly signals: SignupSignals;
  readonly tier: unknown;
  readonly billingInterval: unknown;
  readonly successUrl: unknown;
  readonly cancelUrl: unknown;
}

export interface StartPlanCheckoutInput {
  readonly userId: string;
  readonly signals: SignupSignals;
  readonly plan: PaidPlan;
  readonly successUrl: URL;
  readonly cancelUrl: URL;
}

/** `redirects`: the deployment's allow-list the two URLs must be on. */
export function parseStartPlanCheckoutInput(request: StartPlanCheckoutRequest, redirects: RedirectAllowList): StartPlanCheckoutInput {
  const tier = parsePaidTier(request.tier, 'tier');
  const billingInterval = parseBillingInterval(request.billingInterval, 'billing_interval');
  const successUrl = redirects.check(request.successUrl, 'success_url');
  const cancelUrl = redirects.check(request.cancelUrl, 'cancel_url');
  return { userId: request.userId, signals: request.signals, plan: { tier, billingInterval }, successUrl, cancelUrl };
}

/**
 * Starts a hosted plan checkout at the user's own gateway; input is checked before anything is
 * written. For a subscriber it is the spec's own way to change plan: the URL is the provider's page
 * confirming the change of the running subscription to the plan asked for (an upgrade now with the
 * prorated difference charged, a downgrade at the end of the period), which returns to the success
 * URL with our `session_id`; verify-session then applies what the provider made of it.
 */
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

  async execute(request: StartPlanCheckoutRequest): Promise<StartedPlanCheckout> {
    const { userId, signals, plan, successUrl, cancelUrl } = parseStartPlanCheckoutInput(request, this.deps.redirects);
    const { tier, billingInterval } = plan;

    const account = await this.deps.opener.open(userId, signals);
    // One live subscription per account: the account's earlier open plan checkouts are closed first.
    await this.deps.earlierCheckouts.closeFor(account);
    if (account.hasLiveSubscription()) return { ...(await this.startPlanChange(account, plan, successUrl, cancelUrl)), planChange: true };
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
    const started = await this.deps.checkouts.open(account, session, (gateway) =>
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
    return { ...started, planChange: false };
  }

  /** A subscriber's change of plan, confirmed on the provider's page; the same plan as now is refused with nothing written. */
  private async startPlanChange(account: AccountPlan, target: PaidPlan, successUrl: URL, cancelUrl: URL): Promise<StartedCheckout> {
    const { subscriptionId, timing } = account.planChangeTo(target);
    const scheduled = account.scheduledChange;
    if (scheduled) {
      // Stripe's portal does not update a subscription a schedule manages; every gateway answers alike.
      throw new ConflictError(
        `a change to ${scheduled.plan.tier} ${scheduled.plan.billingInterval} is scheduled for ${scheduled.effectiveAt.toISOString()}: ` +
          'replace it with the changePlan mutation, or start this change once it has taken effect',
      );
    }
    const customerId = account.providerCustomerId;
    if (!customerId) throw new ConflictError('the subscription has no billing customer at its provider: the plan cannot change there');
    const quote = await this.deps.pricing.quote(target.tier, target.billingInterval, account.paymentGateway);
    const session = CheckoutSession.forPlanChange({
      id: this.deps.ids.next(),
      userId: account.userId,
      gateway: account.paymentGateway,
      ...target,
      amount: quote.price,
      fx: quote.fx,
      baseAmount: quote.listPrice,
      successUrl: successUrl.href,
      cancelUrl: cancelUrl.href,
      now: this.deps.clock.now(),
    });
    const returnUrl = new URL(withSessionId(successUrl.href, session.id));
    return this.deps.checkouts.open(account, session, (gateway) =>
      gateway.createPlanChangeSession({
        sessionId: session.id,
        userId: account.userId,
        customerId,
        subscriptionId,
        ...target,
        timing,
        price: quote.price,
        returnUrl,
        cancelUrl,
      }),
    );
  }
}
