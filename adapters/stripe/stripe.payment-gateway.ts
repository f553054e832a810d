import { createHash } from 'node:crypto';
import Stripe from 'stripe';
import type { z } from 'zod';
import type {
  CreatedCheckout,
  DepositCheckoutRequest,
  PaymentGateway,
  PlanChangeRequest,
  PlanChangeSessionRequest,
  PlanCheckoutRequest,
  ProviderAmount,
  ProviderCheckout,
  ProviderCheckoutStatus,
  ProviderDispute,
  ProviderPayment,
  ProviderReceipt,
  ProviderRefund,
  ProviderSubscription,
} from '../../application/billing/payment-gateway.port.ts';
import type { PlanChangeTiming } from '../../domain/billing/plan-change.policy.ts';
import type { ScheduledPlanChange, SubscriptionStanding } from '../../domain/billing/plan.value-objects.ts';
import { isOneOf, type BillingInterval, type PaidPlan, type PaidPlanTier } from '../../domain/billing/plan.value-objects.ts';
import { CHECKOUT_PURPOSES } from '../../domain/billing/checkout-session.entity.ts';
import { InvalidInputError, ProviderError } from '../../domain/shared/errors.ts';
import { withQueryParam } from '../shared/redirect-url.ts';
import { parseAnswer } from '../shared/wire.ts';
import {
  STRIPE_DISPUTE_STATUSES_HOLDING_MONEY,
  stripeCheckoutSessionWire,
  stripeDisputeListWire,
  stripeDisputeWire,
  stripePaymentIntentWire,
  stripePortalConfigurationListWire,
  stripePortalSessionWire,
  stripePriceWire,
  stripeRefundWire,
  stripeSubscriptionScheduleWire,
  stripeSubscriptionWire,
  type STRIPE_SUBSCRIPTION_STATUSES,
  type StripeInvoiceWire,
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

/**
 * What a checkout read expands: the subscription and the invoice that last billed it (a plan's
 * receipt, and whether it renewed since), the session's first invoice with its payments (the
 * PaymentIntent a refund names), and a deposit's charge.
 */
const CHECKOUT_EXPANSIONS = ['subscription', 'subscription.latest_invoice', 'invoice.payments', 'payment_intent.latest_charge'];

/**
 * The receipt of a paid checkout: a plan's first invoice and its hosted page, or a deposit's
 * payment intent and the receipt of the charge that took the money.
 */
function checkoutReceipt(session: z.infer<typeof stripeCheckoutSessionWire>): ProviderReceipt | null {
  if (typeof session.invoice === 'object' && session.invoice) return invoiceReceipt(session.invoice);
  const intent = session.payment_intent;
  if (typeof intent !== 'object' || !intent) return null;
  const charge = typeof intent.latest_charge === 'object' ? intent.latest_charge : null;
  return {
    paymentId: intent.id,
    amount: charge ? { amountMinor: charge.amount, currency: charge.currency.toUpperCase() } : { amountMinor: intent.amount, currency: intent.currency.toUpperCase() },
    receiptUrl: charge?.receipt_url ?? null,
    periodStart: null,
    periodEnd: null,
  };
}

/** An invoice that took money, as a receipt; null for one not paid (open, void) or that took nothing. */
function paidInvoiceReceipt(invoice: StripeInvoiceWire): ProviderReceipt | null {
  return invoice.status === 'paid' && invoice.amount_paid > 0 ? invoiceReceipt(invoice) : null;
}

/** The period is its subscription line's: Stripe's own `period_start`/`period_end` on a renewal cover the period before. */
function invoiceReceipt(invoice: StripeInvoiceWire): ProviderReceipt {
  const period = invoice.lines?.data.find((line) => line.period)?.period ?? null;
  return {
    paymentId: invoice.id,
    amount: { amountMinor: invoice.amount_paid, currency: invoice.currency.toUpperCase() },
    receiptUrl: invoice.hosted_invoice_url,
    periodStart: period?.start ?? null,
    periodEnd: period?.end ?? null,
  };
}

/** Schedules that still have phases to run: a phase after the current one is a change still to come. */
const LIVE_SCHEDULE_STATUSES: ReadonlySet<string> = new Set(['not_started', 'active']);

/**
 * The portal configurations plan changes are confirmed with, one per timing, found again by their
 * metadata. Both charge an upgrade's prorated difference at once (always_invoice); the one for
 * changes at the period's end also has Stripe schedule an update that lowers the price or shortens
 * the interval for the period's end instead of making it now.
 */
const PORTAL_CONFIGURATION_PURPOSE: Readonly<Record<PlanChangeTiming, string>> = { now: 'plan_change_now', period_end: 'plan_change_period_end' };
const MAX_PORTAL_CONFIGURATIONS_LISTED = 100;

/** Plan subscriptions through Stripe Checkout and the Customer Portal, via the official SDK. */
export class StripePaymentGateway implements PaymentGateway {
  readonly provider = 'stripe';
  readonly hostsCustomerPortal = true;
  private readonly stripe: Stripe;
  private readonly priceIds: StripePriceIds;
  private readonly plansByPrice: ReadonlyMap<string, PaidPlan>;
  private readonly planCheckoutOptions: Pick<Stripe.Checkout.SessionCreateParams, 'allow_promotion_codes' | 'automatic_tax'>;
  /** The portal configuration of each timing, found or created once per process. */
  private readonly portalConfigurations = new Map<PlanChangeTiming, Promise<string>>();

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
          success_url: withSessionId(request.successUrl, request.sessionId),
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
          success_url: withSessionId(request.successUrl, request.sessionId),
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
      const raw = await this.stripe.checkout.sessions.retrieve(providerSessionId, { expand: CHECKOUT_EXPANSIONS });
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
    const status = checkoutStatus(session);
    const intent = session.payment_intent;
    return {
      providerSessionId: session.id,
      status,
      amount: checkoutAmount(session),
      purpose: isOneOf(CHECKOUT_PURPOSES, purpose) ? purpose : null,
      sessionId: session.metadata?.['checkout_session_id'] ?? null,
      customerId: session.customer,
      subscriptionId: typeof session.subscription === 'string' ? session.subscription : (subscription?.subscriptionId ?? null),
      currentPeriodEnd: subscription?.currentPeriodEnd ?? null,
      paymentId: (typeof intent === 'object' && intent ? intent.id : intent) ?? invoicePaymentOf(session.invoice),
      subscription,
      receipt: status === 'paid' ? checkoutReceipt(session) : null,
    };
  }

  retrieveSubscription(subscriptionId: string): Promise<ProviderSubscription> {
    return this.call('retrieve the subscription', async () => this.subscriptionOf(await this.subscriptionWithSchedule(subscriptionId)));
  }

  /**
   * A Customer Portal session deep-linked into the confirmation of the new price for the
   * subscription's item (flow `subscription_update_confirm`), with the portal configuration of the
   * change's timing; once confirmed, Stripe redirects to `returnUrl`. A portal session cannot be
   * read back: what was confirmed is read from the subscription.
   */
  createPlanChangeSession(request: PlanChangeSessionRequest): Promise<CreatedCheckout> {
    return this.call('open the plan change', async () => {
      const subscription = await this.subscriptionWithSchedule(request.subscriptionId);
      if (subscription.customer !== request.customerId) {
        throw new ProviderError(this.provider, 'open the plan change', `subscription ${subscription.id} does not belong to customer ${request.customerId}`);
      }
      if (subscription.schedule) {
        // The portal does not update a subscription a schedule manages; changePlan replaces the scheduled change instead.
        throw new ProviderError(this.provider, 'open the plan change', 'the subscription already has a change scheduled for the end of its period: change the plan with changePlan instead');
      }
      const item = this.onlyItem(subscription, 'open the plan change');
      const configuration = await this.portalConfiguration(request.timing);
      const portal = await this.stripe.billingPortal.sessions.create(
        {
          customer: request.customerId,
          configuration,
          return_url: request.cancelUrl.href,
          flow_data: {
            type: 'subscription_update_confirm',
            subscription_update_confirm: {
              subscription: subscription.id,
              items: [{ id: item, price: this.priceIds[request.tier][request.billingInterval], quantity: 1 }],
            },
            after_completion: { type: 'redirect', redirect: { return_url: request.returnUrl.href } },
          },
        },
        { idempotencyKey: `plan-change:${request.sessionId}` },
      );
      const session = this.parse(stripePortalSessionWire, portal);
      return { providerSessionId: session.id, url: session.url };
    });
  }

  /**
   * Now: the item moves to the new price, Stripe invoicing the prorated difference at once and
   * refusing the update if that invoice cannot be paid (a schedule waiting to change it is released
   * first). At the period's end: a subscription schedule whose next phase, from the period's end, is
   * the new price for one period, after which the subscription is released to renew on it.
   */
  changePlan(request: PlanChangeRequest): Promise<ProviderSubscription> {
    const action = 'change the plan';
    return this.call(action, async () => {
      const subscription = await this.subscriptionWithSchedule(request.subscriptionId);
      const item = this.onlyItem(subscription, action);
      const price = this.priceIds[request.tier][request.billingInterval];
      const key = `plan-change:${request.changeId}`;
      const schedule = subscription.schedule;
      if (request.timing === 'now') {
        if (schedule) await this.stripe.subscriptionSchedules.release(typeof schedule === 'string' ? schedule : schedule.id, {}, { idempotencyKey: `${key}:release` });
        await this.stripe.subscriptions.update(
          subscription.id,
          { items: [{ id: item, price, quantity: 1 }], proration_behavior: 'always_invoice', payment_behavior: 'error_if_incomplete' },
          { idempotencyKey: key },
        );
      } else {
        const periodEnd = subscription.items.data[0]!.current_period_end;
        if (!periodEnd) throw new ProviderError(this.provider, action, `subscription ${subscription.id} names no current period end`);
        const managing =
          typeof schedule === 'object' && schedule
            ? schedule
            : this.parse(stripeSubscriptionScheduleWire, await this.stripe.subscriptionSchedules.create({ from_subscription: subscription.id }, { idempotencyKey: `${key}:schedule` }));
        const currentStart = managing.current_phase?.start_date ?? managing.phases[0]?.start_date ?? subscription.items.data[0]!.current_period_start;
        if (!currentStart) throw new ProviderError(this.provider, action, `schedule ${managing.id} names no current phase`);
        await this.stripe.subscriptionSchedules.update(
          managing.id,
          {
            end_behavior: 'release',
            proration_behavior: 'none',
            phases: [
              { items: [{ price: subscription.items.data[0]!.price.id, quantity: 1 }], start_date: seconds(currentStart), end_date: seconds(periodEnd) },
              { items: [{ price, quantity: 1 }], duration: { interval: request.billingInterval === 'yearly' ? 'year' : 'month', interval_count: 1 } },
            ],
          },
          { idempotencyKey: `${key}:phases` },
        );
      }
      return this.subscriptionOf(await this.subscriptionWithSchedule(subscription.id));
    });
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
      const currency = intent.currency.toUpperCase();
      const holding = disputes.data.filter((dispute) => STRIPE_DISPUTE_STATUSES_HOLDING_MONEY.has(dispute.status));
      const disputeCurrencies = [...new Set(holding.map((dispute) => dispute.currency.toUpperCase()))];
      // What the disputes hold is one amount only in one currency; Stripe disputes a charge in its own.
      if (disputeCurrencies.length > 1) throw new ProviderError(this.provider, 'retrieve the payment', `disputes in ${disputeCurrencies.join(' and ')} on one payment`);
      return {
        paymentId: intent.id,
        amount: { amountMinor: intent.amount, currency },
        refunded: charge ? { amountMinor: charge.amount_refunded, currency: charge.currency.toUpperCase() } : { amountMinor: 0, currency },
        disputed: { amountMinor: holding.reduce((sum, dispute) => sum + dispute.amount, 0), currency: disputeCurrencies[0] ?? currency },
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

  /** Stripe hosts the whole checkout. */
  checkoutPage(): null {
    return null;
  }

  readonly takesRenewalPayments = false;

  async createRenewalCheckout(): Promise<CreatedCheckout> {
    throw new ProviderError(this.provider, 'open a renewal payment', 'Stripe retries a failed renewal itself and its hosted invoice page pays it');
  }

  /** Checkout redirects straight to the success URL: there is no callback to verify. */
  verifyCheckoutReturn(): never {
    throw new InvalidInputError('session_id', 'a Stripe checkout returns to the success URL directly, not through a callback');
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
      latestPayment: typeof subscription.latest_invoice === 'object' && subscription.latest_invoice ? paidInvoiceReceipt(subscription.latest_invoice) : null,
      scheduledChange: this.scheduledChangeOf(subscription),
    };
  }

  /**
   * The change a schedule will make: its first phase from the current period's end on a price of
   * another of our plans. Undefined when the schedule was not expanded (the answer does not say).
   */
  private scheduledChangeOf(subscription: StripeSubscriptionWire): ScheduledPlanChange | null | undefined {
    const { schedule } = subscription;
    if (typeof schedule === 'string') return undefined;
    if (!schedule || !LIVE_SCHEDULE_STATUSES.has(schedule.status)) return null;
    const item = subscription.items.data[0]!;
    const periodEnd = item.current_period_end?.getTime() ?? 0;
    const next = schedule.phases.find((phase) => phase.start_date.getTime() >= periodEnd && phase.items[0]!.price !== item.price.id);
    const plan = next && this.plansByPrice.get(next.items[0]!.price);
    return next && plan ? { plan, effectiveAt: next.start_date } : null;
  }

  /** The subscription with its schedule expanded, so a change scheduled for the period's end is seen. */
  /** The subscription with the schedule managing it and the invoice that last billed it (its latest payment). */
  private async subscriptionWithSchedule(subscriptionId: string): Promise<StripeSubscriptionWire> {
    return this.parse(stripeSubscriptionWire, await this.stripe.subscriptions.retrieve(subscriptionId, { expand: ['schedule', 'latest_invoice'] }));
  }

  private onlyItem(subscription: StripeSubscriptionWire, action: string): string {
    const [item, ...others] = subscription.items.data;
    if (!item?.id || others.length > 0) throw new ProviderError(this.provider, action, `subscription ${subscription.id} does not have exactly one item`);
    return item.id;
  }

  /** The portal configuration for changes of this timing: found by its metadata, or created (once, under an idempotency key). */
  private portalConfiguration(timing: PlanChangeTiming): Promise<string> {
    let found = this.portalConfigurations.get(timing);
    if (!found) {
      found = this.findOrCreatePortalConfiguration(timing);
      // A failure is not kept: the next plan change asks again.
      found.catch(() => this.portalConfigurations.delete(timing));
      this.portalConfigurations.set(timing, found);
    }
    return found;
  }

  private async findOrCreatePortalConfiguration(timing: PlanChangeTiming): Promise<string> {
    const priceIds = Object.values(this.priceIds).flatMap((byInterval) => Object.values(byInterval));
    const purpose = PORTAL_CONFIGURATION_PURPOSE[timing];
    // The prices it lists: another set of configured prices needs a configuration of its own.
    const prices = createHash('sha256').update(priceIds.join(',')).digest('hex').slice(0, 32);
    const listed = this.parse(stripePortalConfigurationListWire, await this.stripe.billingPortal.configurations.list({ active: true, limit: MAX_PORTAL_CONFIGURATIONS_LISTED }));
    const existing = listed.data.find((configuration) => configuration.active && configuration.metadata?.['purpose'] === purpose && configuration.metadata['prices'] === prices);
    if (existing) return existing.id;
    const byProduct = new Map<string, string[]>();
    for (const id of priceIds) {
      const price = this.parse(stripePriceWire, await this.stripe.prices.retrieve(id));
      byProduct.set(price.product, [...(byProduct.get(price.product) ?? []), price.id]);
    }
    const created = await this.stripe.billingPortal.configurations.create(
      {
        features: {
          subscription_update: {
            enabled: true,
            default_allowed_updates: ['price'],
            products: [...byProduct].map(([product, ids]) => ({ product, prices: ids })),
            proration_behavior: 'always_invoice',
            ...(timing === 'period_end' ? { schedule_at_period_end: { conditions: [{ type: 'decreasing_item_amount' as const }, { type: 'shortening_interval' as const }] } } : {}),
          },
        },
        metadata: { purpose, prices },
      },
      { idempotencyKey: `portal-configuration:${purpose}:${prices}` },
    );
    return created.id;
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

/**
 * The success URL with our session id as `session_id`, the one id a checkout has everywhere: the
 * mutation's `sessionId`, every provider's redirect and verify-session. Not Stripe's
 * `{CHECKOUT_SESSION_ID}`, which made the redirect carry another id than the mutation answered
 * (verify-session still accepts a Stripe session id).
 */
function withSessionId(successUrl: URL, sessionId: string): string {
  return withQueryParam(successUrl, 'session_id', sessionId);
}

function seconds(at: Date): number {
  return Math.floor(at.getTime() / 1000);
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
