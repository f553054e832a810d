import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import type { OnboardingStatus } from '../../domain/payouts/payout-account.entity.ts';
import type { Currency, Money } from '../../domain/shared/money.value-object.ts';
import type { ProviderAmount } from '../billing/payment-gateway.port.ts';
import { token } from '../shared/token.ts';

/**
 * What a creator on a provider without a hosted onboarding page (Razorpay Route) gives us for
 * their linked account: the dashboard collects it in its own form.
 */
export interface PayoutProfile {
  readonly email: string;
  readonly phone: string;
  /** The person or business the money is paid to, as on the bank account. */
  readonly legalName: string;
  readonly bankAccountNumber: string;
  /** The bank's IFSC code (India). */
  readonly ifsc: string;
  /** The holder's PAN, for the provider's KYC of an individual. */
  readonly pan: string;
  /** The registered address, as Razorpay requires of a linked account. */
  readonly street: string;
  readonly city: string;
  readonly state: string;
  readonly postalCode: string;
}

export interface OnboardingRequest {
  readonly creatorId: string;
  /** The provider account from an earlier start; null the first time. */
  readonly accountId: string | null;
  readonly returnUrl: URL;
  readonly refreshUrl: URL;
  readonly profile: PayoutProfile | null;
}

export interface StartedOnboarding {
  /** The provider's account for the creator (a Stripe connected account, a Razorpay linked account). */
  readonly accountId: string;
  /** Where the creator goes next: the provider's hosted onboarding, or straight back to `returnUrl`. */
  readonly url: string;
  readonly status: OnboardingStatus;
}

/** Where a provider account stands, in our terms. */
export interface ProviderAccountState {
  readonly accountId: string;
  readonly status: OnboardingStatus;
  /** Why the provider restricts the account, in its words; null when it does not. */
  readonly reason: string | null;
}

export interface TransferRequest {
  /** Our payout id: the provider idempotency key, and echoed back in the transfer's metadata or notes. */
  readonly payoutId: string;
  readonly accountId: string;
  /** In the gateway's payout currency (USD cents on Stripe, paise on Razorpay). */
  readonly amount: Money;
}

export interface ProviderTransfer {
  readonly transferId: string;
  /** True when the money has reached the creator's provider account (no later event is needed). */
  readonly settled: boolean;
}

/** A transfer to a creator as the provider holds it now. */
export interface ProviderTransferState {
  readonly transferId: string;
  /** Whether it went to the account it was asked about (the payout's). */
  readonly toAccount: boolean;
  readonly amount: ProviderAmount;
  /** Our payout id as the transfer's metadata or notes carry it: a hint, checked against the payout. */
  readonly payoutId: string | null;
  /** `pending`: on its way; `paid`: it reached the account; `failed`: refused, failed or reversed in whole. */
  readonly outcome: 'pending' | 'paid' | 'failed';
  /** Taken back by partial reversals, as the provider states it (a whole reversal is `failed`, with nothing here). */
  readonly reversed: ProviderAmount;
  /** The provider's reason for a failure or reversal, in its words. */
  readonly reason: string | null;
}

/**
 * Moves money to a creator through one provider. A call the provider refused for good (an account
 * restriction, a minimum) throws PayoutRefusedError with the provider's reason; any other failure
 * (network, timeout, 5xx) throws ProviderError and is safe to repeat with the same payout id.
 */
export interface PayoutGateway {
  readonly provider: PaymentGatewayName;
  /** The currency creators of this gateway are paid in. */
  readonly payoutCurrency: Currency;
  startOnboarding(request: OnboardingRequest): Promise<StartedOnboarding>;
  retrieveAccount(accountId: string): Promise<ProviderAccountState>;
  transfer(request: TransferRequest): Promise<ProviderTransfer>;
  /** The transfer as the provider holds it now, and whether it went to `accountId` (one of our provider account ids). */
  retrieveTransfer(transferId: string, accountId: string): Promise<ProviderTransferState>;
}

export interface PayoutGateways {
  for(gateway: PaymentGatewayName): PayoutGateway;
}

export const PAYOUT_GATEWAYS = token<PayoutGateways>('PayoutGateways');
