import type { Invoice } from '../../domain/billing/invoice.entity.ts';
import { PAID_TIERS } from '../../domain/billing/plan-catalogue.ts';
import { BILLING_INTERVALS } from '../../domain/billing/plan.value-objects.ts';
import type { RedirectAllowList } from '../../domain/billing/redirect-allow-list.policy.ts';
import { NotFoundError } from '../../domain/shared/errors.ts';
import type { SignedLinks } from '../shared/signed-links.port.ts';
import type { AccountPlanRepository } from './account-plan.repository.ts';
import { toBillingState, type BillingState } from './billing-state.view.ts';
import type { InvoiceRepository } from './invoice.repository.ts';
import type { CancelSubscription } from './cancel-subscription.use-case.ts';
import type { OwnPortalLinks } from './create-portal-session.use-case.ts';
import type { PlanPricing, PlanQuote } from './plan-pricing.service.ts';
import type { StartPlanCheckout } from './start-plan-checkout.use-case.ts';

/** How long a portal link opens the page: long enough to look around, short enough to leak little. */
const PORTAL_LINK_MS = 60 * 60 * 1000;
/** The payments the page lists, newest first. */
const HISTORY_LENGTH = 24;

/** What the portal page shows. */
export interface PortalView {
  readonly state: BillingState;
  readonly invoices: readonly Invoice[];
  /** Every other paid plan, priced in the account's currency: what it can switch to. */
  readonly plans: readonly PlanQuote[];
  readonly returnUrl: string;
}

/**
 * This server's own billing page, for providers that host none (Razorpay): the plan and its next
 * renewal, the payment history, cancelling at the period's end, and switching tier or interval
 * through the plan change flow. A browser opens it with a short-lived signed link (no token), which
 * `GET /api/billing/portal` hands out; every action on it checks the link again.
 */
export class OwnBillingPortal implements OwnPortalLinks {
  private readonly deps: Readonly<{
    accounts: AccountPlanRepository;
    invoices: InvoiceRepository;
    pricing: PlanPricing;
    links: SignedLinks;
    redirects: RedirectAllowList;
    cancel: CancelSubscription;
    startPlanCheckout: StartPlanCheckout;
    /** The page's address: `link` and `return_url` are added. */
    pageUrl: string;
  }>;

  constructor(deps: OwnBillingPortal['deps']) {
    this.deps = deps;
  }

  async linkFor(userId: string, returnUrl: URL): Promise<string> {
    const url = new URL(this.deps.pageUrl);
    url.searchParams.set('link', await this.deps.links.sign({ purpose: 'billing-portal', userId, ttlMs: PORTAL_LINK_MS }));
    url.searchParams.set('return_url', returnUrl.href);
    return url.href;
  }

  async view(input: { readonly link: unknown; readonly returnUrl: unknown }): Promise<PortalView> {
    const { userId, returnUrl } = await this.open(input);
    const account = await this.deps.accounts.findByUserId(userId);
    if (!account) throw new NotFoundError('there is no billing account for this link');
    const current = account.tier === 'free' ? null : { tier: account.tier, billingInterval: account.billingInterval };
    const others = PAID_TIERS.flatMap((tier) => BILLING_INTERVALS.map((billingInterval) => ({ tier, billingInterval })))
      .filter((plan) => !current || plan.tier !== current.tier || plan.billingInterval !== current.billingInterval);
    const [invoices, plans] = await Promise.all([
      this.deps.invoices.listForUser(userId, { first: HISTORY_LENGTH }),
      Promise.all(others.map((plan) => this.deps.pricing.quote(plan.tier, plan.billingInterval, account.paymentGateway))),
    ]);
    return { state: toBillingState(account), invoices: invoices.items.map((edge) => edge.node), plans, returnUrl: returnUrl.href };
  }

  /** Stops renewal at the period's end. */
  async cancelRenewal(input: { readonly link: unknown; readonly returnUrl: unknown }): Promise<void> {
    const { userId } = await this.open(input);
    await this.deps.cancel.execute({ userId });
  }

  /** Starts the change to another plan; answers the page confirming it, which returns to the app with `session_id`. */
  async switchPlan(input: { readonly link: unknown; readonly returnUrl: unknown; readonly tier: unknown; readonly billingInterval: unknown }): Promise<{ readonly url: string }> {
    const { userId, returnUrl } = await this.open(input);
    return this.deps.startPlanCheckout.execute({
      userId,
      signals: {},
      tier: input.tier,
      billingInterval: input.billingInterval,
      successUrl: returnUrl.href,
      cancelUrl: returnUrl.href,
    });
  }

  private async open(input: { readonly link: unknown; readonly returnUrl: unknown }): Promise<{ readonly userId: string; readonly returnUrl: URL }> {
    const { userId } = await this.deps.links.verify(typeof input.link === 'string' ? input.link : '', 'billing-portal');
    return { userId, returnUrl: this.deps.redirects.check(input.returnUrl, 'return_url') };
  }
}
