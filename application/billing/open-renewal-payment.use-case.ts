import { CheckoutSession } from '../../domain/billing/checkout-session.entity.ts';
import { ConflictError, NotFoundError } from '../../domain/shared/errors.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { IdGenerator } from '../shared/id-generator.port.ts';
import type { SignedLinks } from '../shared/signed-links.port.ts';
import type { UnitOfWork } from '../shared/unit-of-work.port.ts';
import type { AccountPlanRepository } from './account-plan.repository.ts';
import type { HostedCheckouts } from './hosted-checkouts.service.ts';
import type { PaymentGateway, PaymentGateways } from './payment-gateway.port.ts';
import type { PlanPricing } from './plan-pricing.service.ts';
import { withSessionId } from './return-url.ts';

/** `GET /api/billing/renewal` as the edge received it: the query's signed link (billing state's renewalUrl). */
export interface OpenRenewalPaymentRequest {
  readonly link: unknown;
}

export interface OpenRenewalPaymentInput {
  /** Whom the link is for. */
  readonly userId: string;
}

/** Parsing the link is verifying it, so this answers a promise. */
export async function parseOpenRenewalPaymentInput(request: OpenRenewalPaymentRequest, links: SignedLinks): Promise<OpenRenewalPaymentInput> {
  const { userId } = await links.verify(typeof request.link === 'string' ? request.link : '', 'plan-renewal');
  return { userId };
}

/**
 * Renewing a plan whose subscription did not renew by itself, by a one-time payment. India's
 * mandate rules need the customer's approval of each recurring debit above ₹15,000, so such a
 * renewal may stay pending, then halted: the plan goes past due with its grace period, and billing
 * state offers a short-lived signed link (renewalUrl, from RenewalTerms). Opening it makes a
 * one-time checkout for the next period of the plan at today's price, after ending the
 * subscription at the provider (it would charge the same period again); the payment, applied once
 * through the one completion path, extends the plan by one period. Each payment pays one period,
 * so none is lost or doubled.
 */
export class OpenRenewalPayment {
  private readonly deps: Readonly<{
    links: SignedLinks;
    accounts: AccountPlanRepository;
    gateways: PaymentGateways;
    pricing: PlanPricing;
    checkouts: HostedCheckouts;
    uow: UnitOfWork;
    ids: IdGenerator;
    clock: Clock;
    /** The page the payment returns to (`session_id` is added). */
    donePageUrl: string;
  }>;

  constructor(deps: OpenRenewalPayment['deps']) {
    this.deps = deps;
  }

  /** Opens the one-time checkout the link pays; answers where to send the browser. */
  async execute(request: OpenRenewalPaymentRequest): Promise<{ readonly redirectTo: string }> {
    const { userId } = await parseOpenRenewalPaymentInput(request, this.deps.links);
    const account = await this.deps.accounts.findByUserId(userId);
    if (!account) throw new NotFoundError('there is no billing account for this link');
    const { tier, billingInterval } = account;
    if (account.status !== 'past_due' || tier === 'free' || !billingInterval) {
      throw new ConflictError(`the plan is ${tier} (${account.status}): there is no unrenewed period to pay`);
    }
    const gateway = this.deps.gateways.for(account.paymentGateway);
    if (!gateway.takesRenewalPayments) throw new ConflictError('this plan renews through its provider only');
    if (account.providerSubscriptionId) await this.endSubscription(userId, account.providerSubscriptionId, gateway);
    const quote = await this.deps.pricing.quote(tier, billingInterval, account.paymentGateway);
    const id = this.deps.ids.next();
    const done = new URL(withSessionId(this.deps.donePageUrl, id));
    const session = CheckoutSession.forRenewal({
      id,
      userId,
      gateway: account.paymentGateway,
      tier,
      billingInterval,
      amount: quote.price,
      fx: quote.fx,
      baseAmount: quote.listPrice,
      successUrl: done.href,
      cancelUrl: done.href,
      now: this.deps.clock.now(),
    });
    const started = await this.deps.checkouts.open(account, session, (gateway) =>
      gateway.createRenewalCheckout({
        sessionId: id,
        userId,
        tier,
        billingInterval,
        price: quote.price,
        customerId: account.providerCustomerId,
        successUrl: done,
        cancelUrl: done,
      }),
    );
    return { redirectTo: started.url };
  }

  /**
   * The subscription still holds the unpaid period and would charge it again once the customer
   * approves the debit, so it is ended at the provider first (outside any lock), then unlinked:
   * the plan, still past due, renews by the one-time payment (and later ones, or a new
   * subscription). A provider that fails leaves the plan as it was and opens no payment.
   */
  private async endSubscription(userId: string, subscriptionId: string, gateway: PaymentGateway): Promise<void> {
    await gateway.cancelSubscriptionNow(subscriptionId);
    await this.deps.uow.transactional(async () => {
      const account = await this.deps.accounts.findByUserIdForUpdate(userId);
      // The subscription's end may have been applied meanwhile, taking the plan to free: there is nothing left to renew.
      if (!account || account.status !== 'past_due' || !account.detachSubscription(subscriptionId, this.deps.clock.now())) {
        throw new ConflictError('the subscription has ended, and with it the plan: subscribe again');
      }
      await this.deps.accounts.save(account);
    });
  }
}
