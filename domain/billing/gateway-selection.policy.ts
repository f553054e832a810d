import type { Country } from './country.value-object.ts';
import type { Currency } from '../shared/money.value-object.ts';
import type { PaymentGatewayName } from './plan.value-objects.ts';

/**
 * India pays through Razorpay (UPI, net banking, INR prices); every other country through Stripe.
 * Applied once, when the account is registered; the result is stored and never recomputed.
 */
export function selectPaymentGateway(country: Country): PaymentGatewayName {
  return country.code === 'IN' ? 'razorpay' : 'stripe';
}

/** Stripe accounts are billed in USD; Razorpay accounts in INR at the rate of the day. */
export function billingCurrency(gateway: PaymentGatewayName): Currency {
  return gateway === 'razorpay' ? 'INR' : 'USD';
}
