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
  /**
   * What the provider issued for a paid checkout (null until paid, or where it issues nothing):
   * for a plan, its first invoice, which the subscription's `latestPayment` names by the same
   * `paymentId` until it renews; for a deposit, the payment and its receipt.
   */
  readonly receipt: ProviderReceipt | null;
}

/** One payment the provider took, with its hosted invoice or receipt page, as the provider holds it now. */
export interface ProviderReceipt {
  /** The provider's id of what was paid (a Stripe invoice or payment intent, a Razorpay payment): unique per gateway. */
  readonly paymentId: string;
  /** What was taken, after any discount and tax. */
  readonly amount: ProviderAmount;
  /** The provider's hosted invoice or receipt page, when it has one. */
  readonly receiptUrl: string | null;
  /** The plan period it paid for; null for a one-time payment. */
  readonly periodStart: Date | null;
  readonly periodEnd: Date | null;
}

/**
 * A subscription as the provider holds it now, and its latest payment the provider took (null
 * while its latest charge is not paid, or where the provider cannot say): each renewal is
 * recorded from it, once per payment id.
 */
export type ProviderSubscription = SubscriptionState & { readonly latestPayment: ProviderReceipt | null };

/**
 * A payment as the provider holds it now: what it took, and what it has given back. Each amount
 * carries the currency the provider named for it, which the reader checks against the payment's
 * before it counts.
 */
export interface ProviderPayment {
  readonly paymentId: string;
  readonly amount: ProviderAmount;
  /** Refunded so far. */
  readonly refunded: ProviderAmount;
  /**
   * Held or taken back by disputes now (open or lost; zero once won). Null where the provider
   * reads disputes one at a time (Razorpay: see retrieveDispute).
   */
  readonly disputed: ProviderAmount | null;
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
  /**
   * A one-time payment of the next period of a plan whose subscription did not renew (a debit the
   * customer did not approve): only where `takesRenewalPayments`.
   */
  createRenewalCheckout(request: PlanCheckoutRequest): Promise<CreatedCheckout>;
  /** Whether a past-due plan can be renewed by a one-time payment (`createRenewalCheckout`). */
  readonly takesRenewalPayments: boolean;
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
    /** The new interval's price in the gateway's currency, for providers whose plans carry a price. */
    readonly price: Money;
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
  /**
   * The page this server serves to open a checkout the provider hosts no page with a way back for
   * (Razorpay Standard Checkout for a subscription); null where the provider's own page is the checkout.
   */
  checkoutPage(checkout: { readonly sessionId: string; readonly providerSessionId: string; readonly description: string; readonly amount: Money }): string | null;
  /**
   * Checks what the user's browser posted back from a hosted page that returns through our own
   * callback (Razorpay Checkout): `paid` when it proves a payment of this checkout, `abandoned`
   * when it reports a failure or a cancel. A forged or foreign answer is an InvalidInputError.
   * Providers that redirect straight to the success URL refuse every callback.
   */
  verifyCheckoutReturn(input: { readonly providerSessionId: string; readonly fields: Readonly<Record<string, string>> }): 'paid' | 'abandoned';
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
