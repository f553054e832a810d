import { CheckoutSession } from '../../domain/billing/checkout-session.entity.ts';
import { requirePaidTier } from '../../domain/billing/plan-catalogue.ts';
import { parseBillingInterval, parsePlanTier } from '../../domain/billing/plan.value-objects.ts';
import type { RedirectAllowList } from '../../domain/billing/redirect-allow-list.policy.ts';
import { ConflictError } from '../../domain/shared/errors.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { IdGenerator } from '../shared/id-generator.port.ts';
import type { SignupSignals } from '../shared/requester.ts';
import type { AccountOpener } from './account-opener.ts';
import type { CheckoutSessionRepository } from './checkout-session.repository.ts';
import type { PaymentGateways } from './payment-gateway.port.ts';
import type { PlanPricing } from './plan-pricing.ts';

export interface StartPlanCheckoutInput {
  readonly userId: string;
  readonly signals: SignupSignals;
  readonly tier: unknown;
  readonly billingInterval: unknown;
  readonly successUrl: unknown;
  readonly cancelUrl: unknown;
}

export interface StartedCheckout {
  readonly sessionId: string;
  readonly url: string;
}

/**
 * Starts a hosted plan checkout at the user's own gateway. Input is checked before anything is
 * written; the session is stored before the provider is called, so its id can be the provider's
 * idempotency key, and removed again if the provider refuses, so a failure leaves nothing behind.
 */
export class StartPlanCheckout {
  private readonly opener: AccountOpener;
  private readonly sessions: CheckoutSessionRepository;
  private readonly gateways: PaymentGateways;
  private readonly pricing: PlanPricing;
  private readonly redirects: RedirectAllowList;
  private readonly ids: IdGenerator;
  private readonly clock: Clock;

  constructor(deps: {
    opener: AccountOpener;
    sessions: CheckoutSessionRepository;
    gateways: PaymentGateways;
    pricing: PlanPricing;
    redirects: RedirectAllowList;
    ids: IdGenerator;
    clock: Clock;
  }) {
    this.opener = deps.opener;
    this.sessions = deps.sessions;
    this.gateways = deps.gateways;
    this.pricing = deps.pricing;
    this.redirects = deps.redirects;
    this.ids = deps.ids;
    this.clock = deps.clock;
  }

  async execute(input: StartPlanCheckoutInput): Promise<StartedCheckout> {
    const tier = requirePaidTier(parsePlanTier(input.tier, 'tier'));
    const billingInterval = parseBillingInterval(input.billingInterval, 'billing_interval');
    const successUrl = this.redirects.check(input.successUrl, 'success_url');
    const cancelUrl = this.redirects.check(input.cancelUrl, 'cancel_url');

    const account = await this.opener.open(input.userId, input.signals);
    if (account.hasLiveSubscription()) {
      throw new ConflictError(
        `already subscribed to ${account.tier} (${account.billingInterval}); change the plan through ` +
          `changeBillingInterval or the customer portal instead of a second subscription`,
      );
    }
    const quote = await this.pricing.quote(tier, billingInterval, account.paymentGateway);
    const session = CheckoutSession.forPlan({
      id: this.ids.next(),
      userId: account.userId,
      gateway: account.paymentGateway,
      tier,
      billingInterval,
      amount: quote.price,
      fx: quote.fx,
      baseAmount: quote.listPrice,
      successUrl: successUrl.href,
      cancelUrl: cancelUrl.href,
      now: this.clock.now(),
    });
    await this.sessions.insert(session);

    let created;
    try {
      created = await this.gateways.for(account.paymentGateway).createPlanCheckout({
        sessionId: session.id,
        userId: account.userId,
        tier,
        billingInterval,
        price: quote.price,
        customerId: account.providerCustomerId,
        successUrl,
        cancelUrl,
      });
    } catch (error) {
      await this.sessions.delete(session);
      throw error;
    }
    session.attachProviderSession(created.providerSessionId);
    await this.sessions.save(session);
    return { sessionId: session.id, url: created.url };
  }
}
