import { CheckoutSession } from '../../domain/billing/checkout-session.entity.ts';
import { renewalMode, type RenewalMode } from '../../domain/billing/renewal.policy.ts';
import { ConflictError, NotFoundError } from '../../domain/shared/errors.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { IdGenerator } from '../shared/id-generator.port.ts';
import type { SignedLinks } from '../shared/signed-links.port.ts';
import type { UnitOfWork } from '../shared/unit-of-work.port.ts';
import type { AccountPlanRepository } from './account-plan.repository.ts';
import type { BillingState } from './billing-state.view.ts';
import type { CheckoutCompletion } from './checkout-completion.service.ts';
import type { CheckoutSessionRepository } from './checkout-session.repository.ts';
import type { HostedCheckouts } from './hosted-checkouts.service.ts';
import { withSessionId } from './return-url.ts';
import type { PaymentGateway, PaymentGateways } from './payment-gateway.port.ts';
import type { PlanPricing } from './plan-pricing.service.ts';
import { parseSessionReference } from './verify-checkout-session.use-case.ts';

/** How long a renewal link stays good: billing state hands out a fresh one on every read. */
const RENEWAL_LINK_MS = 24 * 60 * 60 * 1000;

export interface RenewalTerms {
  /** How the plan renews: by itself, or only once the customer approves each debit (null: free). */
  readonly renewal: RenewalMode | null;
  /** For a past-due plan whose provider takes one-time renewal payments: the link that pays the next period. */
  readonly renewalUrl: string | null;
}

/** The outcome of a renewal payment, as its done page shows it. */
export interface RenewalOutcome {
  readonly status: 'completed' | 'open' | 'expired' | 'canceled';
  readonly tier: string | null;
  readonly currentPeriodEnd: Date | null;
}

/**
 * Renewing a plan whose subscription did not renew by itself, by a one-time payment. India's
 * mandate rules need the customer's approval of each recurring debit above ₹15,000, so such a
 * renewal may stay pending, then halted: the plan goes past due with its grace period, and billing
 * state offers a short-lived signed link (renewalUrl). Opening it makes a one-time checkout for the
 * next period of the plan at today's price, after ending the subscription at the provider (it would
 * charge the same period again); the payment, applied once through the one completion path,
 * extends the plan by one period. Each payment pays one period, so none is lost or doubled.
 */
export class RenewalPayments {
  private readonly deps: Readonly<{
    accounts: AccountPlanRepository;
    sessions: CheckoutSessionRepository;
    gateways: PaymentGateways;
    pricing: PlanPricing;
    checkouts: HostedCheckouts;
    completion: CheckoutCompletion;
    links: SignedLinks;
    uow: UnitOfWork;
    ids: IdGenerator;
    clock: Clock;
    /** This server's renewal link (`link` is added) and the page the payment returns to (`session_id` is added). */
    renewalUrl: string;
    donePageUrl: string;
  }>;

  constructor(deps: RenewalPayments['deps']) {
    this.deps = deps;
  }

  /** Read once per billing state answered, though GraphQL resolves `renewal` and `renewalUrl` apart. */
  private readonly terms = new WeakMap<BillingState, Promise<RenewalTerms>>();

  termsOf(state: BillingState): Promise<RenewalTerms> {
    let terms = this.terms.get(state);
    if (!terms) {
      terms = this.readTerms(state);
      this.terms.set(state, terms);
    }
    return terms;
  }

  private async readTerms(state: BillingState): Promise<RenewalTerms> {
    if (state.planTier === 'free' || !state.billingInterval) return { renewal: null, renewalUrl: null };
    const { price } = await this.deps.pricing.quote(state.planTier, state.billingInterval, state.paymentGateway);
    const renewal = renewalMode(state.paymentGateway, price);
    if (state.status !== 'past_due' || !this.deps.gateways.for(state.paymentGateway).takesRenewalPayments) return { renewal, renewalUrl: null };
    const link = await this.deps.links.sign({ purpose: 'plan-renewal', userId: state.userId, ttlMs: RENEWAL_LINK_MS });
    const url = new URL(this.deps.renewalUrl);
    url.searchParams.set('link', link);
    return { renewal, renewalUrl: url.href };
  }

  /** Opens the one-time checkout the link pays; answers where to send the browser. */
  async open(input: { readonly link: unknown }): Promise<{ readonly redirectTo: string }> {
    const { userId } = await this.deps.links.verify(typeof input.link === 'string' ? input.link : '', 'plan-renewal');
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

  /**
   * The page the payment returns to, reached by the browser with the session id alone: applies
   * the payment if the provider says it is paid, and says what became of the plan.
   */
  async outcome(input: { readonly sessionId: unknown }): Promise<RenewalOutcome> {
    const sessionId = parseSessionReference(input.sessionId);
    const session = await this.deps.sessions.findByReference(sessionId);
    if (!session || session.id !== sessionId || session.purpose !== 'renewal') throw new NotFoundError(`no renewal payment ${sessionId}`);
    const status = await this.deps.completion.settle(session);
    const account = await this.deps.accounts.findByUserId(session.userId);
    return { status, tier: account?.tier ?? null, currentPeriodEnd: account?.currentPeriodEnd ?? null };
  }
}
