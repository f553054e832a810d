import { renewalMode, type RenewalMode } from '../../domain/billing/renewal.policy.ts';
import type { SignedLinks } from '../shared/signed-links.port.ts';
import type { BillingState } from './billing-state.view.ts';
import type { PaymentGateways } from './payment-gateway.port.ts';
import type { PlanPricing } from './plan-pricing.service.ts';

/** How long a renewal link stays good: billing state hands out a fresh one on every read. */
const RENEWAL_LINK_MS = 24 * 60 * 60 * 1000;

export interface PlanRenewalTerms {
  /** How the plan renews: by itself, or only once the customer approves each debit (null: free). */
  readonly renewal: RenewalMode | null;
  /** For a past-due plan whose provider takes one-time renewal payments: the link that pays the next period. */
  readonly renewalUrl: string | null;
}

/**
 * How a plan renews, as billing state shows it. A subscription that needs the customer's approval
 * of each debit may not renew by itself; its plan goes past due, and billing state then offers a
 * short-lived signed link (renewalUrl) that pays the next period by a one-time payment
 * (OpenRenewalPayment).
 */
export class RenewalTerms {
  private readonly deps: Readonly<{
    pricing: PlanPricing;
    gateways: PaymentGateways;
    links: SignedLinks;
    /** This server's renewal link: `link` is added. */
    renewalUrl: string;
  }>;

  constructor(deps: RenewalTerms['deps']) {
    this.deps = deps;
  }

  /** Read once per billing state answered, though GraphQL resolves `renewal` and `renewalUrl` apart. */
  private readonly terms = new WeakMap<BillingState, Promise<PlanRenewalTerms>>();

  termsOf(state: BillingState): Promise<PlanRenewalTerms> {
    let terms = this.terms.get(state);
    if (!terms) {
      terms = this.readTerms(state);
      this.terms.set(state, terms);
    }
    return terms;
  }

  private async readTerms(state: BillingState): Promise<PlanRenewalTerms> {
    if (state.planTier === 'free' || !state.billingInterval) return { renewal: null, renewalUrl: null };
    const { price } = await this.deps.pricing.quote(state.planTier, state.billingInterval, state.paymentGateway);
    const renewal = renewalMode(state.paymentGateway, price);
    if (state.status !== 'past_due' || !this.deps.gateways.for(state.paymentGateway).takesRenewalPayments) return { renewal, renewalUrl: null };
    const link = await this.deps.links.sign({ purpose: 'plan-renewal', userId: state.userId, ttlMs: RENEWAL_LINK_MS });
    const url = new URL(this.deps.renewalUrl);
    url.searchParams.set('link', link);
    return { renewal, renewalUrl: url.href };
  }
}
