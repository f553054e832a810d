import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import type { OnboardingStatus, PayoutAccount, PayoutFrequency } from '../../domain/payouts/payout-account.entity.ts';
import { MIN_PAYOUT_CENTS } from '../../domain/payouts/payout-rules.ts';

export interface PayoutSettingsView {
  readonly frequency: PayoutFrequency;
  readonly onboardingStatus: OnboardingStatus;
  readonly restrictionReason: string | null;
  readonly gateway: PaymentGatewayName;
  /** The currency payouts reach the bank in: USD through Stripe, INR through Razorpay. */
  readonly currency: string;
  readonly minimumCents: number;
}

export function payoutSettingsView(account: PayoutAccount, currency: string): PayoutSettingsView {
  return {
    frequency: account.frequency,
    onboardingStatus: account.onboardingStatus,
    restrictionReason: account.restrictionReason,
    gateway: account.gateway,
    currency,
    minimumCents: MIN_PAYOUT_CENTS,
  };
}
