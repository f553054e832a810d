import type { BillingInterval, PaidPlanTier, PaymentGatewayName, PlanStatus } from '../../domain/billing/plan.value-objects.ts';
import type { ProviderCheckout } from '../billing/payment-gateway.port.ts';
import type { ProviderAccountState } from '../payouts/payout-gateway.port.ts';

/** What a provider's event means for us, translated by its webhook adapter. */
export type ProviderEffect =
  | { readonly kind: 'checkout_paid'; readonly checkout: ProviderCheckout }
  | { readonly kind: 'checkout_closed'; readonly reference: string; readonly status: 'expired' | 'canceled' }
  | {
      readonly kind: 'subscription_changed';
      readonly subscriptionId: string;
      /** Our user id as the subscription's metadata carries it, for a subscription not yet linked. */
      readonly userId: string | null;
      readonly customerId: string | null;
      /** Null when the event does not say (an invoice): the plan keeps its tier. */
      readonly tier: PaidPlanTier | null;
      readonly billingInterval: BillingInterval | null;
      readonly status: PlanStatus;
      readonly currentPeriodEnd: Date | null;
    }
  | { readonly kind: 'subscription_ended'; readonly subscriptionId: string }
  | {
      /** The provider took (part of) a payment back, or returned it after a won dispute. */
      readonly kind: 'payment_reversal';
      readonly paymentId: string;
      /** The total refunded so far, in the charge's currency, when the event says. */
      readonly refundedMinor?: number;
      /** The amount under dispute now (0 once won), in the charge's currency, when the event says. */
      readonly disputedMinor?: number;
    }
  | {
      /** A creator's payout account changed at the provider (verified, restricted, under review). */
      readonly kind: 'payout_account_changed';
      readonly account: ProviderAccountState;
    }
  | {
      /** A payout's transfer reached the creator, or failed or was reversed by the provider. */
      readonly kind: 'payout_transfer_changed';
      readonly transferId: string;
      /** Our payout id as the transfer's metadata or notes carry it, when they do. */
      readonly payoutId: string | null;
      readonly outcome: 'paid' | 'failed';
      /** The provider's reason for a failure or reversal, in its words. */
      readonly reason: string | null;
    }
  | { readonly kind: 'none'; readonly reason: string };

export interface ProviderEvent {
  readonly provider: PaymentGatewayName;
  readonly eventId: string;
  readonly type: string;
  /** When the provider says it happened: orders subscription changes. */
  readonly occurredAt: Date;
  readonly effect: ProviderEffect;
  /** The event as delivered, kept for audit and replay. */
  readonly payload: unknown;
  /** The payload as the JSON text that was delivered, when it was: stored as it came rather than serialized again. */
  readonly payloadJson?: string;
}

export type WebhookOutcome = 'applied' | 'ignored' | 'stale';
