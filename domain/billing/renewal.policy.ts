import { Money } from '../shared/money.value-object.ts';
import type { PaymentGatewayName } from './plan.value-objects.ts';

/**
 * India's rule for recurring debits (RBI's e-mandate framework): above ₹15,000 each debit needs
 * the customer's own approval (an additional factor), so such a renewal may stay pending, then
 * halted, until they give it.
 */
export const MANDATE_APPROVAL_LIMIT = Money.of(1_500_000, 'INR');

export const RENEWAL_MODES = ['automatic', 'needs_approval'] as const;
/** How a paid plan renews: by itself, or only once the customer approves the debit. */
export type RenewalMode = (typeof RENEWAL_MODES)[number];

export function renewalMode(gateway: PaymentGatewayName, price: Money): RenewalMode {
  const capped = gateway === 'razorpay' && price.currency === MANDATE_APPROVAL_LIMIT.currency;
  return capped && price.amountMinor > MANDATE_APPROVAL_LIMIT.amountMinor ? 'needs_approval' : 'automatic';
}
