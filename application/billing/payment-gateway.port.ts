import type { CheckoutPurpose } from '../../domain/billing/checkout-session.entity.ts';
import type { BillingInterval, PaidPlanTier, PaymentGatewayName, SubscriptionState } from '../../domain/billing/plan.value-objects.ts';
import type { Money } from '../../domain/shared/money.value-object.ts';
import { token } from '../shared/token.ts';

export interface PlanCheckoutRequest {
  /** Our checkout session id: the provider idempotency key and the `session_id` we get back. */
  readonly sessionId: string;
  readonly userId: string;
  readonly tier: PaidPlanTier;
  readonly billingInterval: BillingInterval;
  /** What the user pays for the first period, in the gateway's currency. */
  readonly price: Money;
  /** The provider's customer for this user, when an earlier checkout created one. */
  readonly customerId: string | null;
  readonly successUrl: URL;
  readonly cancelUrl: URL;
}

export interface DepositCheckoutRequest {
  /** Our checkout session id: the provider idempotency key and the `session_id` we get back. */
  readonly sessionId: string;
  readonly userId: string;
  /** What the user pays, in the gateway's currency. */
  readonly charge: Money;
  /** What the wallet will be credited, in US cents. */
  readonly credit: Money;
  readonly customerId: string | null;
  readonly successUrl: URL;
  readonly cancelUrl: URL;
}

export interface CreatedCheckout {
  readonly providerSessionId: string;
  /** The hosted page the user is sent to. */
  readonly url: string;
}

export type ProviderCheckoutStatus = 'open' | 'paid' | 'expired' | 'canceled';

/**
 * An amount as the provider states it: minor units and the ISO currency code it named, upper case.
 * Kept apart from Money because a provider may name a currency this service never takes: such an
 * answer must be compared and refused, not fail to construct.
 */
export interface ProviderAmount {
  readonly amountMinor: number;
  readonly currency: string;
}

/** What the provider says about a checkout it hosted, in our terms. */
export interface ProviderCheckout {
  readonly providerSessionId: string;
  readonly status: ProviderCheckoutStatus;
  /** What the checkout charges (open) or charged (paid): checked against what we asked for before anything is applied. */
  readonly amount: ProviderAmount | null;
  readonly purpose: CheckoutPurpose | null;
  /** Our session id as the provider echoes it back (metadata, notes, reference): a hint, never authority. */
  readonly sessionId: string | null;
  readonly customerId: string | null;
  readonly subscriptionId: string | null;
  /** The end of the paid period where the provider bills the renewals itself. */
  readonly currentPeriodEnd: Date | null;
  /** The provider's payment behind a paid checkout (a PaymentIntent, a Razorpay payment): refunds and disputes name it. */
  readonly paymentId: string | null;
  /** The subscription a paid plan checkout started, as the provider holds it now. */
  readonly subscription: ProviderSubscription | null;
}

/** A subscription as the provider holds it now. */
export type ProviderSubscription = SubscriptionState;

/** A payment as the provider holds it now: what it took, and what it has given back. */
export interface ProviderPayment {
  readonly paymentId: string;
  readonly amount: ProviderAmount;
  /** Refunded so far, in the payment's currency. */
  readonly refundedMinor: number;
  /**
   * Held or taken back by disputes now (open or lost; 0 once won), in the payment's currency.
   * Null where the provider reads disputes one at a time (Razorpay: see retrieveDispute).
   */
  readonly disputedMinor: number | null;
}

/** A refund the provider made. */
export interface ProviderRefund {
  readonly refundId: string;
  readonly amount: ProviderAmount;
}

/** One dispute of a payment, as the provider holds it now. */
export interface ProviderDispute {
  readonly disputeId: string;
  readonly paymentId: string;
  readonly amount: ProviderAmount;
  /** Whether the dispute holds or took the money (open, under review, lost), as opposed to won or closed in our favour. */
  readonly holdsMoney: boolean;
}

/**
 * One payment provider, in our own terms: nothing of an SDK crosses this port. Implementations
 * translate provider failures into ProviderError.
 */
export interface PaymentGateway {
  readonly provider: string;
  createPlanCheckout(request: PlanCheckoutRequest): Promise<CreatedCheckout>;
  /** A one-time payment that funds the prepaid wallet. */
  createDepositCheckout(request: DepositCheckoutRequest): Promise<CreatedCheckout>;
  retrieveCheckout(providerSessionId: string): Promise<ProviderCheckout>;
  /** The reads below answer the provider's current state; a provider event only says which object to read. */
  retrieveSubscription(subscriptionId: string): Promise<ProviderSubscription>;
  retrievePayment(paymentId: string): Promise<ProviderPayment>;
  retrieveDispute(disputeId: string): Promise<ProviderDispute>;
  /** A self-service billing page; only providers that host one support it. */
  createPortalSession(input: { readonly customerId: string; readonly returnUrl: URL }): Promise<{ readonly url: string }>;
  /** Stops renewal at the end of the paid period. */
  cancelSubscription(subscriptionId: string): Promise<void>;
  /** Bills the subscription at the new interval from now on. */
  changeSubscriptionInterval(input: {
    readonly subscriptionId: string;
    readonly tier: PaidPlanTier;
    readonly billingInterval: BillingInterval;
  }): Promise<void>;
  /** Whether `createPortalSession` is available. */
  readonly hostsCustomerPortal: boolean;
  /**
   * Closes an open checkout at the provider so it can no longer be paid, and answers its state
   * after: `expired` or `canceled`, or `paid` when it was paid first (the provider then refuses to
   * close it). A ProviderError when the provider cannot be asked, or still holds it open.
   */
  expireCheckout(providerSessionId: string): Promise<ProviderCheckout>;
  /** Ends the subscription now (no renewal, nothing left of the period), unlike cancelSubscription; one that has ended already stays so. */
  cancelSubscriptionNow(subscriptionId: string): Promise<void>;
  /** Gives back `amount` of the payment; repeated with the same `idempotencyKey` (and amount), the provider makes one refund. */
  refundPayment(request: { readonly paymentId: string; readonly amount: ProviderAmount; readonly idempotencyKey: string }): Promise<ProviderRefund>;
}

/** The gateway serving each region, as the deployment configured it (a real provider or the sandbox). */
export interface PaymentGateways {
  for(gateway: PaymentGatewayName): PaymentGateway;
}

export const PAYMENT_GATEWAYS = token<PaymentGateways>('PaymentGateways');
