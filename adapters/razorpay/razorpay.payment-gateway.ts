import type {
  CreatedCheckout,
  DepositCheckoutRequest,
  PaymentGateway,
  PlanCheckoutRequest,
  ProviderCheckout,
  ProviderCheckoutStatus,
  ProviderDispute,
  ProviderAmount,
  ProviderPayment,
  ProviderRefund,
  ProviderSubscription,
} from '../../application/billing/payment-gateway.port.ts';
import type { SubscriptionStanding } from '../../domain/billing/plan.value-objects.ts';
import { CHECKOUT_PURPOSES } from '../../domain/billing/checkout-session.entity.ts';
import { isOneOf } from '../../domain/billing/plan.value-objects.ts';
import { invariant, ProviderError } from '../../domain/shared/errors.ts';
import type { Money } from '../../domain/shared/money.value-object.ts';
import { withQueryParam } from '../shared/redirect-url.ts';
import { RAZORPAY_PROVIDER, type RazorpayClient } from './razorpay.client.ts';
import { RAZORPAY_DISPUTE_STATUSES_HOLDING_MONEY, type RAZORPAY_SUBSCRIPTION_STATUSES, type RazorpayPaymentLink } from './razorpay.wire.ts';

/**
 * Plan checkout through a Razorpay Payment Link: a hosted page with UPI, net banking, cards and
 * wallets that sends the user back to the success URL. The link carries our session id as its
 * reference (Razorpay refuses a second link with the same reference, which makes the create
 * idempotent) and in its callback URL, so the redirect leads straight back to the session.
 */
export class RazorpayPaymentGateway implements PaymentGateway {
  readonly provider = RAZORPAY_PROVIDER;
  readonly hostsCustomerPortal = false;
  private readonly client: RazorpayClient;

  constructor(client: RazorpayClient) {
    this.client = client;
  }

  createPlanCheckout(request: PlanCheckoutRequest): Promise<CreatedCheckout> {
    return this.createLink({
      sessionId: request.sessionId,
      successUrl: request.successUrl,
      amount: request.price,
      description: `${request.tier} plan, billed ${request.billingInterval}`,
      notes: { user_id: request.userId, purpose: 'plan', tier: request.tier, billing_interval: request.billingInterval },
    });
  }

  createDepositCheckout(request: DepositCheckoutRequest): Promise<CreatedCheckout> {
    return this.createLink({
      sessionId: request.sessionId,
      successUrl: request.successUrl,
      amount: request.charge,
      description: `Wallet deposit of $${(request.credit.amountMinor / 100).toFixed(2)}`,
      notes: { user_id: request.userId, purpose: 'deposit', wallet_credit_usd_cents: String(request.credit.amountMinor) },
    });
  }

  private async createLink(input: {
    sessionId: string;
    successUrl: URL;
    amount: Money;
    description: string;
    notes: Record<string, string>;
  }): Promise<CreatedCheckout> {
    invariant(input.amount.currency === 'INR', 'Razorpay charges are in INR');
    const link = await this.client.createPaymentLink({
      amount: input.amount.amountMinor,
      currency: 'INR',
      accept_partial: false,
      reference_id: input.sessionId,
      description: input.description,
      notes: { ...input.notes, checkout_session_id: input.sessionId },
      callback_url: withQueryParam(input.successUrl, 'session_id', input.sessionId),
      callback_method: 'get',
    });
    if (!link.id || !link.short_url) throw new ProviderError(this.provider, 'create a payment link', 'no link id or URL in the answer');
    return { providerSessionId: link.id, url: link.short_url };
  }

  async retrieveCheckout(providerSessionId: string): Promise<ProviderCheckout> {
    const link = await this.client.fetchPaymentLink(providerSessionId);
    const purpose = link.notes?.['purpose'];
    const status = linkStatus(link);
    return {
      providerSessionId: link.id,
      status,
      amount: { amountMinor: status === 'paid' ? link.amount_paid : link.amount, currency: link.currency.toUpperCase() },
      purpose: isOneOf(CHECKOUT_PURPOSES, purpose) ? purpose : null,
      sessionId: link.reference_id || link.notes?.['checkout_session_id'] || null,
      customerId: link.customer?.id ?? null,
      subscriptionId: null,
      currentPeriodEnd: null,
      paymentId: paidPaymentOf(link),
      subscription: null,
    };
  }

  /**
   * Cancels the Payment Link (Razorpay's way to close one: it has no expiry on demand), then reads
   * it. Razorpay cancels only a link nobody paid: one paid first is answered as it is.
   */
  async expireCheckout(providerSessionId: string): Promise<ProviderCheckout> {
    const refusal = await this.client.cancelPaymentLink(providerSessionId).then(
      () => null,
      (error: unknown) => error,
    );
    const after = await this.retrieveCheckout(providerSessionId);
    if (after.status === 'open') throw refusal ?? new ProviderError(this.provider, 'cancel the payment link', `link ${providerSessionId} is still open`);
    return after;
  }

  /** A Payment-Link plan has no subscription at Razorpay, and this version creates no Razorpay Subscription yet. */
  async cancelSubscriptionNow(subscriptionId: string): Promise<void> {
    throw new ProviderError(this.provider, 'cancel the subscription now', `not supported yet: plans are Payment Links here, so subscription ${subscriptionId} is none of ours to cancel`);
  }

  /** Razorpay's idempotency keys are letters, digits, hyphens and underscores (10 or more): others become underscores. */
  async refundPayment(request: { paymentId: string; amount: ProviderAmount; idempotencyKey: string }): Promise<ProviderRefund> {
    invariant(request.amount.currency === 'INR', 'Razorpay charges are in INR');
    const refund = await this.client.refundPayment(
      request.paymentId,
      { amount: request.amount.amountMinor, speed: 'normal', notes: { reason: 'duplicate subscription' } },
      request.idempotencyKey.replace(/[^A-Za-z0-9_-]/g, '_').padEnd(10, '_'),
    );
    if (refund.status === 'failed') throw new ProviderError(this.provider, 'refund the payment', `refund ${refund.id} failed`);
    return { refundId: refund.id, amount: { amountMinor: refund.amount, currency: refund.currency.toUpperCase() } };
  }

  /**
   * Razorpay's plan ids are not mapped to tiers yet, so the subscription names no plan: an account
   * keeps the tier its checkout bought.
   */
  async retrieveSubscription(subscriptionId: string): Promise<ProviderSubscription> {
    const subscription = await this.client.fetchSubscription(subscriptionId);
    return {
      subscriptionId: subscription.id,
      customerId: subscription.customer_id ?? null,
      standing: SUBSCRIPTION_STANDING[subscription.status],
      renews: !subscription.ended_at,
      plan: null,
      currentPeriodEnd: subscription.current_end ?? null,
    };
  }

  /** Razorpay reads disputes one at a time (retrieveDispute): a payment answers its refunds only. */
  async retrievePayment(paymentId: string): Promise<ProviderPayment> {
    const payment = await this.client.fetchPayment(paymentId);
    return {
      paymentId: payment.id,
      amount: { amountMinor: payment.amount, currency: payment.currency.toUpperCase() },
      refundedMinor: payment.amount_refunded ?? 0,
      disputedMinor: null,
    };
  }

  async retrieveDispute(disputeId: string): Promise<ProviderDispute> {
    const dispute = await this.client.fetchDispute(disputeId);
    return {
      disputeId: dispute.id,
      paymentId: dispute.payment_id,
      amount: { amountMinor: dispute.amount, currency: dispute.currency.toUpperCase() },
      holdsMoney: RAZORPAY_DISPUTE_STATUSES_HOLDING_MONEY.has(dispute.status),
    };
  }

  async createPortalSession(): Promise<{ url: string }> {
    throw new ProviderError(this.provider, 'open a customer portal', 'Razorpay hosts no customer portal');
  }

  /** A payment-link plan has no subscription at Razorpay: not renewing it is all cancellation takes. */
  async cancelSubscription(): Promise<void> {}

  /** The next period's link is priced at the new interval; nothing to change at Razorpay now. */
  async changeSubscriptionInterval(): Promise<void> {}
}

const SUBSCRIPTION_STANDING: Readonly<Record<(typeof RAZORPAY_SUBSCRIPTION_STATUSES)[number], SubscriptionStanding>> = {
  active: 'paying',
  pending: 'failing',
  // Razorpay exhausted its retries (or the subscription was paused): not paid for until it is resumed and charged.
  halted: 'lapsed',
  paused: 'lapsed',
  created: 'unpaid',
  authenticated: 'unpaid',
  cancelled: 'ended',
  completed: 'ended',
  expired: 'ended',
};

/** The captured payment that paid the link (a link takes one whole payment: partial payments are not accepted). */
function paidPaymentOf(link: RazorpayPaymentLink): string | null {
  const payments = link.payments ?? [];
  return (payments.find((payment) => payment.status === 'captured') ?? payments[0])?.payment_id ?? null;
}

function linkStatus(link: RazorpayPaymentLink): ProviderCheckoutStatus {
  switch (link.status) {
    case 'paid':
      return link.amount_paid >= link.amount ? 'paid' : 'open';
    case 'cancelled':
      return 'canceled';
    case 'expired':
      return 'expired';
    default:
      return 'open';
  }
}
