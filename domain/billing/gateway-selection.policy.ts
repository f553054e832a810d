import type { Country } from './country.value-object.ts';
import type { PaymentGatewayName } from './plan.value-objects.ts';

/**
 * India pays through Razorpay (UPI, net banking, INR prices); every other country through Stripe.
 * Applied once, when the account is registered; the result is stored and never recomputed.
 */
export function selectPaymentGateway(country: Country): PaymentGatewayName {
  return country.code === 'IN' ? 'razorpay' : 'stripe';
}
