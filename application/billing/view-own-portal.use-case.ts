import type { Invoice } from '../../domain/billing/invoice.entity.ts';
import { PAID_TIERS } from '../../domain/billing/plan-catalogue.ts';
import { BILLING_INTERVALS } from '../../domain/billing/plan.value-objects.ts';
import { NotFoundError } from '../../domain/shared/errors.ts';
import type { AccountPlanRepository } from './account-plan.repository.ts';
import { toBillingState, type BillingState } from './billing-state.view.ts';
import type { InvoiceRepository } from './invoice.repository.ts';
import type { OwnPortalLinks, OwnPortalRequest } from './own-portal-links.service.ts';
import type { PlanPricing, PlanQuote } from './plan-pricing.service.ts';

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
 * renewal, the payment history, and the other plans it can switch to, with their prices.
 */
export class ViewOwnPortal {
  private readonly deps: Readonly<{
    portal: OwnPortalLinks;
    accounts: AccountPlanRepository;
    invoices: InvoiceRepository;
    pricing: PlanPricing;
  }>;

  constructor(deps: ViewOwnPortal['deps']) {
    this.deps = deps;
  }

  /** `GET /api/billing/portal/page`. */
  async execute(request: OwnPortalRequest): Promise<PortalView> {
    const { userId, returnUrl } = await this.deps.portal.open(request);
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
}
