import type { CheckoutPurpose } from '../../domain/billing/checkout-session.entity.ts';
import type { PlanChangeTiming } from '../../domain/billing/plan-change.policy.ts';
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

/** A page at the provider where a subscriber confirms moving their running subscription to another plan. */
export interface PlanChangeSessionRequest {
  /** Our checkout session id: the provider idempotency key, and the `session_id` the return URL carries. */
  readonly sessionId: string;
  readonly userId: string;
  /** The provider's customer and the subscription they hold, as we stored them. */
  readonly customerId: string;
  readonly subscriptionId: string;
  readonly tier: PaidPlanTier;
  readonly billingInterval: BillingInterval;
  /** Now, with the prorated difference charged (an upgrade), or at the end of the paid period (a downgrade). */
  readonly timing: PlanChangeTiming;
  /** The new plan's price per period, in the gateway's currency. */
  readonly price: Money;
  /** Where the provider sends the user once they confirmed: the success URL with our `session_id`. */
  readonly returnUrl: URL;
  /** Where the user goes back to without confirming. */
  readonly cancelUrl: URL;
}

/** Moves a running subscription to another plan through the provider's API, with no page to confirm on. */
export interface PlanChangeRequest {
  /** Our id for this change: the provider idempotency key. */
  readonly changeId: string;
  readonly subscriptionId: string;
  readonly tier: PaidPlanTier;
  readonly billingInterval: BillingInterval;
  readonly timing: PlanChangeTiming;
  /** The new plan's price per period, in the gateway's currency. */
  readonly price: Money;
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
  /**
   * A page at the provider confirming a change of the running subscription to another plan; once
   * confirmed the provider sends the user to `returnUrl`. Whether and how the change was made is then
   * read from the subscription (`retrieveSubscription`: its plan now, or its `scheduledChange`).
   */
  createPlanChangeSession(request: PlanChangeSessionRequest): Promise<CreatedCheckout>;
  /**
   * Makes the change at once through the provider's API: now, charging the prorated difference
   * (a refused payment refuses the change), or scheduled for the end of the period. Answers the
   * subscription as the provider holds it afterwards.
   */
  changePlan(request: PlanChangeRequest): Promise<ProviderSubscription>;
  /** Whether `createPortalSession` is available. */
  readonly hostsCustomerPortal: boolean;
}

/** The gateway serving each region, as the deployment configured it (a real provider or the sandbox). */
export interface PaymentGateways {
  for(gateway: PaymentGatewayName): PaymentGateway;
}

export const PAYMENT_GATEWAYS = token<PaymentGateways>('PaymentGateways');
