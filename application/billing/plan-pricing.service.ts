import { billingCurrency } from '../../domain/billing/gateway-selection.policy.ts';
import { planPriceUsd } from '../../domain/billing/plan-catalogue.ts';
import type { BillingInterval, PaidPlanTier, PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import type { FxRate } from '../../domain/shared/fx-rate.value-object.ts';
import type { Money } from '../../domain/shared/money.value-object.ts';
import type { FxRates } from './fx-rates.port.ts';

export interface PlanQuote {
  readonly tier: PaidPlanTier;
  readonly billingInterval: BillingInterval;
  /** What the user pays, in their gateway's currency. */
  readonly price: Money;
  /** The USD list price it comes from. */
  readonly listPrice: Money;
  /** The rate used, when the gateway bills in another currency than USD. */
  readonly fx: FxRate | null;
}

/** Prices a plan in the currency of the user's gateway, converting at the rate of the moment. */
export class PlanPricing {
  private readonly rates: FxRates;

  constructor(rates: FxRates) {
    this.rates = rates;
  }

  async quote(tier: PaidPlanTier, billingInterval: BillingInterval, gateway: PaymentGatewayName): Promise<PlanQuote> {
    const listPrice = planPriceUsd(tier, billingInterval);
    const currency = billingCurrency(gateway);
    if (currency === 'USD') return { tier, billingInterval, price: listPrice, listPrice, fx: null };
    const fx = await this.rates.quote('USD', currency);
    return { tier, billingInterval, price: fx.convert(listPrice), listPrice, fx };
  }
}
