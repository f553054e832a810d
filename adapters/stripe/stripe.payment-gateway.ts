import Stripe from 'stripe';
import type { z } from 'zod';
import type {
  CreatedCheckout,
  DepositCheckoutRequest,
  PaymentGateway,
  PlanCheckoutRequest,
  ProviderAmount,
  ProviderCheckout,
  ProviderCheckoutStatus,
  ProviderDispute,
  ProviderPayment,
  ProviderRefund,
  ProviderSubscription,
} from '../../application/billing/payment-gateway.port.ts';
import type { SubscriptionStanding } from '../../domain/billing/plan.value-objects.ts';
import { isOneOf, type BillingInterval, type PaidPlan, type PaidPlanTier } from '../../domain/billing/plan.value-objects.ts';
import { CHECKOUT_PURPOSES } from '../../domain/billing/checkout-session.entity.ts';
import { ProviderError } from '../../domain/shared/errors.ts';
import { withQueryParam } from '../shared/redirect-url.ts';
import { parseAnswer } from '../shared/wire.ts';
import {
  STRIPE_DISPUTE_STATUSES_HOLDING_MONEY,
  stripeCheckoutSessionWire,
  stripeDisputeListWire,
  stripeDisputeWire,
  stripePaymentIntentWire,
  stripeRefundWire,
  stripeSubscriptionWire,
  type STRIPE_SUBSCRIPTION_STATUSES,
  type StripeSubscriptionWire,
} from './stripe.wire.ts';

export type StripePriceIds = Readonly<Record<PaidPlanTier, Readonly<Record<BillingInterval, string>>>>;

export interface StripeGatewayOptions {
  readonly secretKey: string;
  readonly priceIds: StripePriceIds;
  /** Where the API is; only tests point it elsewhere (a local fake speaking Stripe's wire format). */
  readonly api?: { readonly host: string; readonly port: number; readonly protocol: 'http' | 'https' };
  readonly timeoutMs?: number;
  /**
   * Plan checkouts only (a deposit is charged exactly what the wallet is credited): let customers
   * enter promotion codes, and have Stripe Tax add the tax. Both off unless configured.
   */
  readonly allowPromotionCodes?: boolean;
  readonly automaticTax?: boolean;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** The SDK retries network failures and 409/429/5xx with the same idempotency key. */
export const MAX_NETWORK_RETRIES = 2;
/** A payment with more disputes than this is left to a person: the sum would be incomplete. */
const MAX_DISPUTES_PER_PAYMENT = 100;

const SUBSCRIPTION_STANDING: Readonly<Record<(typeof STRIPE_SUBSCRIPTION_STATUSES)[number], SubscriptionStanding>> = {
  active: 'paying',
  trialing: 'paying',
  past_due: 'failing',
  // Stripe gave up retrying (or the subscription was paused): not paid for, though it may be again.
  unpaid: 'lapsed',
  paused: 'lapsed',
  incomplete: 'unpaid',
  incomplete_expired: 'ended',
  canceled: 'ended',
};

/**
 * What a checkout charges, to be checked against what we asked for: for a plan, the price before
 * the discounts and tax Stripe applies (promotion codes, Stripe Tax); for a deposit, the total.
 */
function checkoutAmount(session: z.infer<typeof stripeCheckoutSessionWire>): ProviderAmount | null {
  const amount = session.mode === 'subscription' ? (session.amount_subtotal ?? session.amount_total) : session.amount_total;
  return amount !== null && amount !== undefined && session.currency !== null ? { amountMinor: amount, currency: session.currency.toUpperCase() } : null;
}

/** Stripe fills this placeholder in with its own session id when it redirects. */
const SESSION_ID_PLACEHOLDER = '{CHECKOUT_SESSION_ID}';

/** Plan subscriptions through Stripe Checkout and the Customer Portal, via the official SDK. */
export class StripePaymentGateway implements PaymentGateway {
  readonly provider = 'stripe';
  readonly hostsCustomerPortal = true;
  private readonly stripe: Stripe;
  private readonly priceIds: StripePriceIds;
  private readonly plansByPrice: ReadonlyMap<string, PaidPlan>;
  private readonly planCheckoutOptions: Pick<Stripe.Checkout.SessionCreateParams, 'allow_promotion_codes' | 'automatic_tax'>;

  constructor(options: StripeGatewayOptions) {
    this.priceIds = options.priceIds;
    this.planCheckoutOptions = {
      ...(options.allowPromotionCodes ? { allow_promotion_codes: true } : {}),
      ...(options.automaticTax ? { automatic_tax: { enabled: true } } : {}),
    };
    this.plansByPrice = new Map(
      Object.entries(options.priceIds).flatMap(([tier, byInterval]) =>
        Object.entries(byInterval).map(([interval, priceId]) => [priceId, { tier: tier as PaidPlanTier, billingInterval: interval as BillingInterval }]),
      ),
    );
    this.stripe = new Stripe(options.secretKey, {
      maxNetworkRetries: MAX_NETWORK_RETRIES,
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      telemetry: false,
      ...(options.api ?? {}),
    });
  }

  createPlanCheckout(request: PlanCheckoutRequest): Promise<CreatedCheckout> {
    const metadata = {
      user_id: request.userId,
      checkout_session_id: request.sessionId,
      purpose: 'plan',
      tier: request.tier,
      billing_interval: request.billingInterval,
    };
    return this.call('create a checkout session', async () => {
      const session = await this.stripe.checkout.sessions.create(
        {
          mode: 'subscription',
          line_items: [{ price: this.priceIds[request.tier][request.billingInterval], quantity: 1 }],
          success_url: stripeSuccessUrl(request.successUrl),
          cancel_url: request.cancelUrl.href,
          client_reference_id: request.userId,
          ...(request.customerId ? { customer: request.customerId } : {}),
          // Stripe Tax needs the address of a customer we already have: Checkout collects it onto them.
          ...(request.customerId && this.planCheckoutOptions.automatic_tax ? { customer_update: { address: 'auto', name: 'auto' } } : {}),
          ...this.planCheckoutOptions,
          metadata,
          subscription_data: { metadata },
        },
        { idempotencyKey: `checkout:${request.sessionId}` },
      );
      if (!session.url) throw new ProviderError(this.provider, 'create a checkout session', 'Stripe returned no checkout URL');
      return { providerSessionId: session.id, url: session.url };
    });
  }

  createDepositCheckout(request: DepositCheckoutRequest): Promise<CreatedCheckout> {
    const metadata = { user_id: request.userId, checkout_session_id: request.sessionId, purpose: 'deposit' };
    return this.call('create a deposit checkout session', async () => {
      const session = await this.stripe.checkout.sessions.create(
        {
          mode: 'payment',
          line_items: [
            {
              price_data: { currency: 'usd', unit_amount: request.charge.amountMinor, product_data: { name: 'Wallet deposit' } },
              quantity: 1,
            },
          ],
          success_url: stripeSuccessUrl(request.successUrl),
          cancel_url: request.cancelUrl.href,
          client_reference_id: request.userId,
          ...(request.customerId ? { customer: request.customerId } : {}),
          metadata,
          payment_intent_data: { metadata },
        },
        { idempotencyKey: `checkout:${request.sessionId}` },
      );
      if (!session.url) throw new ProviderError(this.provider, 'create a deposit checkout session', 'Stripe returned no checkout URL');
      return { providerSessionId: session.id, url: session.url };
    });
  }

  retrieveCheckout(providerSessionId: string): Promise<ProviderCheckout> {
    return this.call('retrieve the checkout session', async () => {
      const raw = await this.stripe.checkout.sessions.retrieve(providerSessionId, { expand: ['subscription', 'invoice.payments'] });
      return this.checkoutOf(this.parse(stripeCheckoutSessionWire, raw));
    });
  }

  /**
   * Stripe refuses to expire a session that is not open any more (`Only Checkout Sessions with a
   * status in ["open"] can be expired`): it was paid or closed first, which its state then says.
   */
  expireCheckout(providerSessionId: string): Promise<ProviderCheckout> {
    return this.call('expire the checkout session', async () => {
      try {
        return this.checkoutOf(this.parse(stripeCheckoutSessionWire, await this.stripe.checkout.sessions.expire(providerSessionId)));
      } catch (error) {
        if (!(error instanceof Stripe.errors.StripeInvalidRequestError)) throw error;
        const after = await this.retrieveCheckout(providerSessionId);
        if (after.status === 'open') throw error;
        return after;
      }
    });
  }

  /** Stripe answers a second cancel with "No such subscription" although it still holds it, canceled: its state says which. */
  cancelSubscriptionNow(subscriptionId: string): Promise<void> {
    return this.call('cancel the subscription now', async () => {
      try {
        await this.stripe.subscriptions.cancel(subscriptionId);
      } catch (error) {
        if (!(error instanceof Stripe.errors.StripeInvalidRequestError)) throw error;
        if ((await this.retrieveSubscription(subscriptionId)).standing !== 'ended') throw error;
      }
    });
  }

  refundPayment(request: { paymentId: string; amount: ProviderAmount; idempotencyKey: string }): Promise<ProviderRefund> {
    return this.call('refund the payment', async () => {
      const refund = this.parse(
        stripeRefundWire,
        await this.stripe.refunds.create(
          { payment_intent: request.paymentId, amount: request.amount.amountMinor, reason: 'duplicate' },
          { idempotencyKey: request.idempotencyKey },
        ),
      );
      if (refund.status === 'failed' || refund.status === 'canceled') throw new ProviderError(this.provider, 'refund the payment', `refund ${refund.id} is ${refund.status}`);
      return { refundId: refund.id, amount: { amountMinor: refund.amount, currency: refund.currency.toUpperCase() } };
    });
  }

  private checkoutOf(session: z.infer<typeof stripeCheckoutSessionWire>): ProviderCheckout {
    const subscription = typeof session.subscription === 'object' && session.subscription ? this.subscriptionOf(session.subscription) : null;
    const purpose = session.metadata?.['purpose'];
    return {
      providerSessionId: session.id,
      status: checkoutStatus(session),
      amount: checkoutAmount(session),
      purpose: isOneOf(CHECKOUT_PURPOSES, purpose) ? purpose : null,
      sessionId: session.metadata?.['checkout_session_id'] ?? null,
      customerId: session.customer,
      subscriptionId: typeof session.subscription === 'string' ? session.subscription : (subscription?.subscriptionId ?? null),
      currentPeriodEnd: subscription?.currentPeriodEnd ?? null,
      paymentId: session.payment_intent ?? invoicePaymentOf(session.invoice),
      subscription,
    };
  }

  retrieveSubscription(subscriptionId: string): Promise<ProviderSubscription> {
    return this.call('retrieve the subscription', async () =>
      this.subscriptionOf(this.parse(stripeSubscriptionWire, await this.stripe.subscriptions.retrieve(subscriptionId))),
    );
  }

  /** The payment intent's charge for its refunds, and every dispute Stripe lists for it. */
  retrievePayment(paymentId: string): Promise<ProviderPayment> {
    return this.call('retrieve the payment', async () => {
      const [intent, disputes] = await Promise.all([
        this.stripe.paymentIntents.retrieve(paymentId, { expand: ['latest_charge'] }).then((raw) => this.parse(stripePaymentIntentWire, raw)),
        this.stripe.disputes.list({ payment_intent: paymentId, limit: MAX_DISPUTES_PER_PAYMENT }).then((raw) => this.parse(stripeDisputeListWire, raw)),
      ]);
      if (disputes.has_more) throw new ProviderError(this.provider, 'retrieve the payment', `more than ${MAX_DISPUTES_PER_PAYMENT} disputes on one payment`);
      const charge = typeof intent.latest_charge === 'object' ? intent.latest_charge : null;
      return {
        paymentId: intent.id,
        amount: { amountMinor: intent.amount, currency: intent.currency.toUpperCase() },
        refundedMinor: charge?.amount_refunded ?? 0,
        disputedMinor: disputes.data.filter((dispute) => STRIPE_DISPUTE_STATUSES_HOLDING_MONEY.has(dispute.status)).reduce((sum, dispute) => sum + dispute.amount, 0),
      };
    });
  }

  retrieveDispute(disputeId: string): Promise<ProviderDispute> {
    return this.call('retrieve the dispute', async () => {
      const dispute = this.parse(stripeDisputeWire, await this.stripe.disputes.retrieve(disputeId));
      if (!dispute.payment_intent) throw new ProviderError(this.provider, 'retrieve the dispute', `dispute ${dispute.id} belongs to no payment intent`);
      return {
        disputeId: dispute.id,
        paymentId: dispute.payment_intent,
        amount: { amountMinor: dispute.amount, currency: dispute.currency.toUpperCase() },
        holdsMoney: STRIPE_DISPUTE_STATUSES_HOLDING_MONEY.has(dispute.status),
      };
    });
  }

  createPortalSession(input: { customerId: string; returnUrl: URL }): Promise<{ url: string }> {
    return this.call('open the customer portal', async () => {
      const portal = await this.stripe.billingPortal.sessions.create({ customer: input.customerId, return_url: input.returnUrl.href });
      return { url: portal.url };
    });
  }

  cancelSubscription(subscriptionId: string): Promise<void> {
    return this.call('cancel the subscription', async () => {
      await this.stripe.subscriptions.update(subscriptionId, { cancel_at_period_end: true });
    });
  }

  changeSubscriptionInterval(input: { subscriptionId: string; tier: PaidPlanTier; billingInterval: BillingInterval }): Promise<void> {
    return this.call('change the billing interval', async () => {
      const subscription = await this.stripe.subscriptions.retrieve(input.subscriptionId);
      const item = subscription.items.data[0];
      if (!item) throw new ProviderError(this.provider, 'change the billing interval', 'the subscription has no items');
      await this.stripe.subscriptions.update(input.subscriptionId, {
        items: [{ id: item.id, price: this.priceIds[input.tier][input.billingInterval] }],
        proration_behavior: 'create_prorations',
      });
    });
  }

  private subscriptionOf(subscription: StripeSubscriptionWire): ProviderSubscription {
    const item = subscription.items.data[0]!;
    return {
      subscriptionId: subscription.id,
      customerId: subscription.customer,
      standing: SUBSCRIPTION_STANDING[subscription.status],
      renews: !subscription.cancel_at_period_end,
      plan: this.plansByPrice.get(item.price.id) ?? null,
      currentPeriodEnd: item.current_period_end ?? null,
    };
  }

  /** An answer of a shape we do not read is Stripe's failure to answer, like any other. */
  private parse<T>(schema: z.ZodType<T>, answer: unknown): T {
    return parseAnswer(schema, answer, (problem) => new ProviderError(this.provider, 'read its answer', `an unexpected shape at ${problem}`));
  }

  /** Every SDK call goes through here, so no Stripe error type reaches the application. */
  private async call<T>(action: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      if (error instanceof Stripe.errors.StripeError) throw new ProviderError(this.provider, action, error.message);
      throw new ProviderError(this.provider, action, error instanceof Error ? error.message : String(error));
    }
  }
}

/** The success URL with Stripe's `{CHECKOUT_SESSION_ID}` placeholder as `session_id`. */
function stripeSuccessUrl(successUrl: URL): string {
  // The URL API would percent-encode the braces; Stripe needs them literal.
  const marker = 'STRIPE_CHECKOUT_SESSION_ID_MARKER';
  return withQueryParam(successUrl, 'session_id', marker).replace(`session_id=${marker}`, `session_id=${SESSION_ID_PLACEHOLDER}`);
}

/** The PaymentIntent that paid a subscription checkout's first invoice, when the invoice was expanded with its payments. */
function invoicePaymentOf(invoice: z.infer<typeof stripeCheckoutSessionWire>['invoice']): string | null {
  if (!invoice || typeof invoice === 'string') return null;
  const paid = invoice.payments?.data.find((payment) => payment.status === 'paid' && payment.payment.type === 'payment_intent');
  return paid?.payment.payment_intent ?? null;
}

function checkoutStatus(session: z.infer<typeof stripeCheckoutSessionWire>): ProviderCheckoutStatus {
  if (session.status === 'expired') return 'expired';
  if (session.status === 'complete' && (session.payment_status === 'paid' || session.payment_status === 'no_payment_required')) {
    return 'paid';
  }
  return 'open';
}
