import { PAID_TIERS } from '../../domain/billing/plan-catalogue.ts';
import { BILLING_INTERVALS } from '../../domain/billing/plan.value-objects.ts';
import type { SignupSignals } from '../shared/requester.ts';
import type { AccountOpener } from './account-opener.service.ts';
import type { PlanPricing, PlanQuote } from './plan-pricing.service.ts';

export interface ListPlansInput {
  readonly userId: string;
  readonly signals: SignupSignals;
}

/** The paid plans, priced in the currency of the caller's gateway at today's rate. */
export class ListPlans {
  private readonly opener: AccountOpener;
  private readonly pricing: PlanPricing;

  constructor(deps: { readonly opener: AccountOpener; readonly pricing: PlanPricing }) {
    this.opener = deps.opener;
    this.pricing = deps.pricing;
  }

  async execute(input: ListPlansInput): Promise<PlanQuote[]> {
    const account = await this.opener.open(input.userId, input.signals);
    const quotes = PAID_TIERS.flatMap((tier) =>
      BILLING_INTERVALS.map((interval) => this.pricing.quote(tier, interval, account.paymentGateway)),
    );
    return Promise.all(quotes);
  }
}
