import { createHmac, timingSafeEqual } from 'node:crypto';
import type {
  CreatedCheckout,
  DepositCheckoutRequest,
  PaymentGateway,
  PlanChangeRequest,
  PlanChangeSessionRequest,
  PlanCheckoutRequest,
  ProviderCheckout,
  ProviderCheckoutStatus,
  ProviderDispute,
  ProviderAmount,
  ProviderPayment,
  ProviderReceipt,
  ProviderRefund,
  ProviderSubscription,
} from '../../application/billing/payment-gateway.port.ts';
import type { SubscriptionStanding } from '../../domain/billing/plan.value-objects.ts';
import { CHECKOUT_PURPOSES } from '../../domain/billing/checkout-session.entity.ts';
import { isOneOf, type BillingInterval, type PaidPlanTier } from '../../domain/billing/plan.value-objects.ts';
import { InvalidInputError, invariant, ProviderError } from '../../domain/shared/errors.ts';
import type { Money } from '../../domain/shared/money.value-object.ts';
import { withQueryParam } from '../shared/redirect-url.ts';
import { renderRazorpayCheckoutPage, type RazorpayCheckoutPageOptions } from './razorpay.checkout-page.ts';
import { RAZORPAY_PROVIDER, type RazorpayClient } from './razorpay.client.ts';
import { RazorpayPlans, type RazorpayPlanOfOurs } from './razorpay.plans.ts';
import {
  RAZORPAY_DISPUTE_STATUSES_HOLDING_MONEY,
  type RAZORPAY_SUBSCRIPTION_STATUSES,
  type RazorpayPaymentLink,
  type RazorpaySubscription,
} from './razorpay.wire.ts';

/**
 * Billing cycles a subscription is made for: ten years (Razorpay needs a count, and caps a
 * subscription at a hundred years). It is cancelled long before that in practice.
 */
const TOTAL_COUNT: Readonly<Record<BillingInterval, number>> = { monthly: 120, yearly: 10 };

export interface RazorpayGatewayOptions extends RazorpayCheckoutPageOptions {
  /** The key secret Checkout's callback signature is made with. */
  readonly keySecret: string;
  /** This service's page that opens Standard Checkout for a subscription; `session_id` is added. */
  readonly checkoutPageUrl: string;
  /** This service's page where a subscriber confirms a change of plan; `session_id` is added. */
  readonly planChangePageUrl: string;
}

/**
 * Plans are Razorpay Subscriptions: a Subscription of one of our Razorpay Plans (see RazorpayPlans)
 * carrying our session id in its notes, authorised and first paid on Razorpay Standard Checkout,
 * which this service's own page opens (Razorpay's hosted subscription link cannot send the user
 * back). Checkout posts the result to our callback, whose signature `verifyCheckoutReturn` checks;
 * the subscription's state at Razorpay is what completes the checkout. Renewals are Razorpay's
 * charges of the subscription. The checkout's provider id is the subscription id.
 *
 * Deposits are one-time Payment Links: a hosted page with UPI, net banking, cards and wallets
 * that sends the user back to the success URL. A link carries our session id as its reference
 * (Razorpay refuses a second link with the same reference, which makes the create idempotent)
 * and in its callback URL. Plans bought before subscriptions were links too, and are read as such.
 */
export class RazorpayPaymentGateway implements PaymentGateway {
  readonly provider = RAZORPAY_PROVIDER;
  readonly hostsCustomerPortal = false;
  readonly takesRenewalPayments = true;
  private readonly client: RazorpayClient;
  private readonly plans: RazorpayPlans;
  private readonly options: RazorpayGatewayOptions;

  constructor(client: RazorpayClient, options: RazorpayGatewayOptions) {
    this.client = client;
    this.plans = new RazorpayPlans(client);
    this.options = options;
  }

  async createPlanCheckout(request: PlanCheckoutRequest): Promise<CreatedCheckout> {
    invariant(request.price.currency === 'INR', 'Razorpay charges are in INR');
    const planId = await this.plans.planFor(request.tier, request.billingInterval, request.price);
    const subscription = await this.client.createSubscription({
      plan_id: planId,
      total_count: TOTAL_COUNT[request.billingInterval],
      quantity: 1,
      customer_notify: 1,
      notes: {
        user_id: request.userId,
        purpose: 'plan',
        tier: request.tier,
        billing_interval: request.billingInterval,
        checkout_session_id: request.sessionId,
      },
    });
    return { providerSessionId: subscription.id, url: withQueryParam(new URL(this.options.checkoutPageUrl), 'session_id', request.sessionId) };
  }

  /** A Payment Link for one period of the plan, for a subscription whose debit was not approved (above the mandate limit). */
  createRenewalCheckout(request: PlanCheckoutRequest): Promise<CreatedCheckout> {
    return this.createLink({
      sessionId: request.sessionId,
      successUrl: request.successUrl,
      amount: request.price,
      description: `${request.tier} plan, billed ${request.billingInterval}: the next period`,
      notes: { user_id: request.userId, purpose: 'renewal', tier: request.tier, billing_interval: request.billingInterval },
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

  retrieveCheckout(providerSessionId: string): Promise<ProviderCheckout> {
    return providerSessionId.startsWith('plink_') ? this.linkCheckout(providerSessionId) : this.subscriptionCheckout(providerSessionId);
  }

  private async linkCheckout(linkId: string): Promise<ProviderCheckout> {
    const link = await this.client.fetchPaymentLink(linkId);
    const purpose = link.notes?.['purpose'];
    const status = linkStatus(link);
    const paymentId = paidPaymentOf(link);
    return {
      providerSessionId: link.id,
      status,
      amount: { amountMinor: status === 'paid' ? link.amount_paid : link.amount, currency: link.currency.toUpperCase() },
      purpose: isOneOf(CHECKOUT_PURPOSES, purpose) ? purpose : null,
      sessionId: link.reference_id || link.notes?.['checkout_session_id'] || null,
      customerId: link.customer?.id ?? null,
      subscriptionId: null,
      currentPeriodEnd: null,
      paymentId,
      subscription: null,
      // A Payment Link has no receipt page of its own: its short URL is where the customer sees it paid.
      receipt:
        status === 'paid'
          ? { paymentId: paymentId ?? link.id, amount: { amountMinor: link.amount_paid, currency: link.currency.toUpperCase() }, receiptUrl: link.short_url ?? null, periodStart: null, periodEnd: null }
          : null,
    };
  }

  /**
   * Closes a checkout nobody paid, then reads it: a subscription awaiting its first payment is
   * cancelled, a Payment Link cancelled (Razorpay's way to close either: neither expires on
   * demand). Razorpay closes only what nobody paid: one paid first is answered as it is.
   */
  async expireCheckout(providerSessionId: string): Promise<ProviderCheckout> {
    const link = providerSessionId.startsWith('plink_');
    // Razorpay cancels a paid subscription as readily as an unpaid one: only one still unpaid is
    // cancelled (a payment landing between this read and the cancel is the one narrow race left).
    if (!link) {
      const before = await this.retrieveCheckout(providerSessionId);
      if (before.status !== 'open') return before;
    }
    const close = link ? this.client.cancelPaymentLink(providerSessionId) : this.client.cancelSubscription(providerSessionId, false);
    const refusal = await close.then(
      () => null,
      (error: unknown) => error,
    );
    const after = await this.retrieveCheckout(providerSessionId);
    if (after.status === 'open') throw refusal ?? new ProviderError(this.provider, 'close the checkout', `checkout ${providerSessionId} is still open`);
    return after;
  }

  /** Ends the subscription at once (a duplicate's): one that has ended already stays so; a Payment Link plan has none to end. */
  async cancelSubscriptionNow(subscriptionId: string): Promise<void> {
    if (subscriptionId.startsWith('plink_')) return;
    if ((await this.retrieveSubscription(subscriptionId)).standing === 'ended') return;
    await this.client.cancelSubscription(subscriptionId, false);
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
   * A subscription checkout is paid once Razorpay has charged its first cycle. What it charged is
   * the first invoice's amount (the plan's price until then), whatever the plan is now, so a later
   * interval change does not make the checkout's own payment look like another amount.
   */
  private async subscriptionCheckout(subscriptionId: string): Promise<ProviderCheckout> {
    const { subscription, plan, paid, scheduledChange } = await this.readSubscription(subscriptionId);
    const first = paid.at(-1) ?? null;
    const status = subscriptionCheckoutStatus(subscription, first !== null);
    const amountMinor = first ? first.amount.amountMinor : plan?.amountMinor;
    const purpose = subscription.notes?.['purpose'];
    return {
      providerSessionId: subscription.id,
      status,
      amount: amountMinor === undefined ? null : { amountMinor, currency: 'INR' },
      purpose: isOneOf(CHECKOUT_PURPOSES, purpose) ? purpose : null,
      sessionId: subscription.notes?.['checkout_session_id'] ?? null,
      customerId: subscription.customer_id ?? null,
      subscriptionId: subscription.id,
      currentPeriodEnd: subscription.current_end ?? null,
      paymentId: first?.paymentId ?? null,
      subscription: subscriptionState(subscription, plan, paid[0] ?? null, scheduledChange),
      receipt: first,
    };
  }

  async retrieveSubscription(subscriptionId: string): Promise<ProviderSubscription> {
    const { subscription, plan, paid, scheduledChange } = await this.readSubscription(subscriptionId);
    return subscriptionState(subscription, plan, paid[0] ?? null, scheduledChange);
  }

  /**
   * The subscription, the plan of ours it bills (if it is one), its paid invoices as receipts
   * (newest first), and the plan of ours an update waiting for the cycle's end moves it to.
   */
  private async readSubscription(subscriptionId: string) {
    const subscription = await this.client.fetchSubscription(subscriptionId);
    const [plan, invoices, scheduled] = await Promise.all([
      this.plans.planOf(subscription.plan_id),
      subscription.paid_count > 0 ? this.client.listSubscriptionInvoices(subscription.id) : null,
      subscription.has_scheduled_changes ? this.client.fetchScheduledChanges(subscription.id).then((pending) => this.plans.planOf(pending.plan_id)) : null,
    ]);
    const paid = (invoices?.items ?? []).flatMap((invoice): ProviderReceipt[] =>
      invoice.status === 'paid' && invoice.payment_id && invoice.amount
        ? [{
            paymentId: invoice.payment_id,
            amount: { amountMinor: invoice.amount, currency: 'INR' },
            receiptUrl: invoice.short_url ?? null,
            periodStart: invoice.billing_start ?? null,
            periodEnd: invoice.billing_end ?? null,
          }]
        : [],
    );
    const effectiveAt = subscription.change_scheduled_at ?? subscription.current_end ?? null;
    const scheduledChange = scheduled && effectiveAt ? { plan: { tier: scheduled.tier, billingInterval: scheduled.billingInterval }, effectiveAt } : null;
    return { subscription, plan, paid, scheduledChange };
  }

  /** Our page opening Standard Checkout for a subscription checkout; a Payment Link is Razorpay's own page. */
  checkoutPage(checkout: { readonly sessionId: string; readonly providerSessionId: string; readonly description: string; readonly amount: Money }): string | null {
    if (checkout.providerSessionId.startsWith('plink_')) return null;
    return renderRazorpayCheckoutPage(this.options, { ...checkout, subscriptionId: checkout.providerSessionId });
  }

  /**
   * Razorpay Standard Checkout posts `razorpay_payment_id`, `razorpay_subscription_id` and
   * `razorpay_signature` (HMAC-SHA256 hex of `payment_id|subscription_id` with the key secret) to
   * the callback, or `error[…]` fields when the payment failed. The subscription checked is the
   * one we stored, never the one posted; the signature is compared in constant time.
   */
  verifyCheckoutReturn(input: { readonly providerSessionId: string; readonly fields: Readonly<Record<string, string>> }): 'paid' | 'abandoned' {
    const { fields, providerSessionId } = input;
    const paymentId = fields['razorpay_payment_id'];
    if (!paymentId && Object.keys(fields).some((name) => name.startsWith('error'))) return 'abandoned';
    const signature = fields['razorpay_signature'];
    if (!paymentId || !signature) throw new InvalidInputError('razorpay_signature', 'the callback carries no razorpay_payment_id and razorpay_signature');
    if (fields['razorpay_subscription_id'] !== providerSessionId) {
      throw new InvalidInputError('razorpay_subscription_id', 'the callback is about another subscription than this checkout opened');
    }
    const expected = Buffer.from(createHmac('sha256', this.options.keySecret).update(`${paymentId}|${providerSessionId}`).digest('hex'));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new InvalidInputError('razorpay_signature', 'the callback signature does not match this checkout');
    }
    return 'paid';
  }

  /** Razorpay reads disputes one at a time (retrieveDispute): a payment answers its refunds only. */
  async retrievePayment(paymentId: string): Promise<ProviderPayment> {
    const payment = await this.client.fetchPayment(paymentId);
    return {
      paymentId: payment.id,
      amount: { amountMinor: payment.amount, currency: payment.currency.toUpperCase() },
      // Razorpay counts a payment's refunds in the payment's own currency.
      refunded: { amountMinor: payment.amount_refunded ?? 0, currency: payment.currency.toUpperCase() },
      disputed: null,
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

  /**
   * Stops renewal at the end of the cycle. A plan bought through a Payment Link (before
   * subscriptions) has nothing at Razorpay to stop: not paying for it again is all it takes.
   */
  async cancelSubscription(subscriptionId: string): Promise<void> {
    if (subscriptionId.startsWith('plink_')) return;
    await this.client.cancelSubscription(subscriptionId, true);
  }

  /**
   * Razorpay hosts no page confirming a change of plan: the user confirms on this server's page
   * (`planChangePageUrl`), which then makes the change through the API (changePlan).
   */
  async createPlanChangeSession(request: PlanChangeSessionRequest): Promise<CreatedCheckout> {
    return { providerSessionId: `plan_change_${request.sessionId}`, url: withQueryParam(new URL(this.options.planChangePageUrl), 'session_id', request.sessionId) };
  }

  /**
   * Moves the subscription to the plan of ours for the new tier and interval: now (Razorpay charges
   * the difference to what is left of the paid cycle) or at the end of the cycle. Razorpay refuses
   * to update a subscription paid through UPI; that refusal is passed on.
   */
  async changePlan(request: PlanChangeRequest): Promise<ProviderSubscription> {
    const planId = await this.plans.planFor(request.tier, request.billingInterval, request.price);
    await this.client.updateSubscription(request.subscriptionId, {
      plan_id: planId,
      schedule_change_at: request.timing === 'now' ? 'now' : 'cycle_end',
      customer_notify: 1,
    });
    return this.retrieveSubscription(request.subscriptionId);
  }

  /** Moves the subscription to the plan of the new interval now; Razorpay charges or credits the difference. */
  async changeSubscriptionInterval(input: {
    readonly subscriptionId: string;
    readonly tier: PaidPlanTier;
    readonly billingInterval: BillingInterval;
    readonly price: Money;
  }): Promise<void> {
    const planId = await this.plans.planFor(input.tier, input.billingInterval, input.price);
    await this.client.updateSubscription(input.subscriptionId, { plan_id: planId, schedule_change_at: 'now', customer_notify: 1 });
  }
}

const SUBSCRIPTION_STANDING: Readonly<Record<(typeof RAZORPAY_SUBSCRIPTION_STATUSES)[number], SubscriptionStanding>> = {
  active: 'paying',
  pending: 'failing',
  // Razorpay exhausted its retries, or the customer did not approve a debit above the mandate limit:
  // the plan keeps its grace period, and a charge Razorpay later makes restores it.
  halted: 'failing',
  // Paused by us or the customer: not paid for until it is resumed and charged.
  paused: 'lapsed',
  created: 'unpaid',
  authenticated: 'unpaid',
  cancelled: 'ended',
  completed: 'ended',
  expired: 'ended',
};

/**
 * Razorpay does not say whether a subscription cancelled at the end of its cycle will renew: it
 * stays active until then. Only its last cycle (none remaining) is known not to; otherwise null
 * leaves the account with what it recorded.
 */
function subscriptionState(
  subscription: RazorpaySubscription,
  plan: RazorpayPlanOfOurs | null,
  latestPayment: ProviderReceipt | null,
  scheduledChange: ProviderSubscription['scheduledChange'],
): ProviderSubscription {
  return {
    latestPayment,
    scheduledChange,
    subscriptionId: subscription.id,
    customerId: subscription.customer_id ?? null,
    standing: SUBSCRIPTION_STANDING[subscription.status],
    renews: subscription.ended_at || subscription.remaining_count === 0 ? false : null,
    plan: plan && { tier: plan.tier, billingInterval: plan.billingInterval },
    currentPeriodEnd: subscription.current_end ?? null,
  };
}

function subscriptionCheckoutStatus(subscription: RazorpaySubscription, paid: boolean): ProviderCheckoutStatus {
  if (paid) return 'paid';
  switch (subscription.status) {
    case 'cancelled':
    case 'completed':
      return 'canceled';
    case 'expired':
      return 'expired';
    default:
      return subscription.expire_by && subscription.status === 'created' && subscription.expire_by.getTime() < Date.now() ? 'expired' : 'open';
  }
}

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
