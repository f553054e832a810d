import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StripePaymentGateway, type StripePriceIds } from '../../adapters/stripe/stripe.payment-gateway.ts';
import { randomUUID } from 'node:crypto';
import type { PlanChangeSessionRequest } from '../../application/billing/payment-gateway.port.ts';
import { ProviderError } from '../../domain/shared/errors.ts';
import { Money } from '../../domain/shared/money.value-object.ts';
import { StripeFake } from '../fakes/stripe-fake.ts';
import { aDepositCheckoutRequest, aPlanCheckoutRequest, runPaymentGatewayContract } from './payment-gateway.contract.ts';

const SECRET_KEY = 'sk_test_fake';
const PRICE_IDS: StripePriceIds = {
  starter: { monthly: 'price_starter_m', yearly: 'price_starter_y' },
  pro: { monthly: 'price_pro_m', yearly: 'price_pro_y' },
  business: { monthly: 'price_business_m', yearly: 'price_business_y' },
};

const fake = new StripeFake({
  secretKey: SECRET_KEY,
  prices: Object.values(PRICE_IDS).flatMap((ids) => [
    { id: ids.monthly, interval: 'month' as const },
    { id: ids.yearly, interval: 'year' as const },
  ]),
});
let api: { host: string; port: number; protocol: 'http' };

beforeAll(async () => {
  api = await fake.start();
});

afterAll(async () => {
  await fake.stop();
});

function aGateway(options: { timeoutMs?: number; allowPromotionCodes?: boolean; automaticTax?: boolean } = {}): StripePaymentGateway {
  return new StripePaymentGateway({ secretKey: SECRET_KEY, priceIds: PRICE_IDS, api, ...options, timeoutMs: options.timeoutMs ?? 2000 });
}

runPaymentGatewayContract('Stripe (official SDK against a local fake)', async () => ({
  gateway: aGateway(),
  pay: (id) => void fake.completeCheckout(id),
  expire: (id) => fake.expireCheckout(id),
  currency: 'USD',
}));

describe('Stripe payment gateway', () => {
  let gateway: StripePaymentGateway;

  beforeEach(() => {
    gateway = aGateway();
  });

  it('opens a deposit as a one-time Checkout Session in US cents, tied to our session on the session and its payment intent', async () => {
    const request = aDepositCheckoutRequest('USD');

    const { providerSessionId } = await gateway.createDepositCheckout(request);
    const sent = fake.requestsTo('POST', '/v1/checkout/sessions').at(-1)!;
    const lineItem = (sent.body['line_items'] as Record<string, unknown>[])[0]!;

    expect(sent.body['mode']).toBe('payment');
    expect(lineItem['price_data']).toMatchObject({ currency: 'usd', unit_amount: '2500' });
    expect(lineItem['quantity']).toBe('1');
    expect(sent.body['metadata']).toMatchObject({ purpose: 'deposit', checkout_session_id: request.sessionId });
    expect((sent.body['payment_intent_data'] as Record<string, unknown>)['metadata']).toMatchObject({ purpose: 'deposit' });
    expect(sent.idempotencyKey).toBe(`checkout:${request.sessionId}`);
    expect(new URL(String(sent.body['success_url'])).searchParams.get('session_id')).toBe(request.sessionId);
    expect(fake.checkoutSession(providerSessionId)!['amount_total']).toBe(2_500);
  });

  /** A checkout that was created and paid, and the ids Stripe gave its customer and subscription. */
  async function aPaidCheckout() {
    const { providerSessionId } = await gateway.createPlanCheckout(aPlanCheckoutRequest('USD', { tier: 'starter', billingInterval: 'monthly' }));
    return { providerSessionId, ...fake.completeCheckout(providerSessionId) };
  }

  describe('creating a plan checkout', () => {
    it('asks Stripe for a subscription checkout of the configured price for the tier and interval, with our ids attached', async () => {
      const request = aPlanCheckoutRequest('USD', { tier: 'business', billingInterval: 'monthly' });

      const { providerSessionId, url } = await gateway.createPlanCheckout(request);

      const [sent] = fake.requestsTo('POST', '/v1/checkout/sessions').slice(-1);
      expect(sent!.authorization).toBe(`Bearer ${SECRET_KEY}`);
      expect(sent!.body).toMatchObject({
        mode: 'subscription',
        line_items: [{ price: 'price_business_m', quantity: '1' }],
        client_reference_id: request.userId,
        cancel_url: 'https://app.aerostack.dev/settings/billing?canceled=true',
        metadata: { checkout_session_id: request.sessionId, user_id: request.userId, purpose: 'plan', tier: 'business', billing_interval: 'monthly' },
        subscription_data: { metadata: { checkout_session_id: request.sessionId, purpose: 'plan' } },
      });
      expect(sent!.body).not.toHaveProperty('customer');
      expect(url).toBe(fake.checkoutSession(providerSessionId)!['url']);
    });

    it('lets a plan checkout take promotion codes and Stripe Tax when configured, and never a deposit, whose charge is what the wallet gets', async () => {
      const configured = aGateway({ allowPromotionCodes: true, automaticTax: true });

      await configured.createPlanCheckout(aPlanCheckoutRequest('USD', { customerId: null }));
      const plan = fake.requestsTo('POST', '/v1/checkout/sessions').at(-1)!.body;
      await configured.createDepositCheckout(aDepositCheckoutRequest('USD'));
      const deposit = fake.requestsTo('POST', '/v1/checkout/sessions').at(-1)!.body;
      await gateway.createPlanCheckout(aPlanCheckoutRequest('USD'));
      const unconfigured = fake.requestsTo('POST', '/v1/checkout/sessions').at(-1)!.body;

      expect(plan).toMatchObject({ allow_promotion_codes: 'true', automatic_tax: { enabled: 'true' } });
      for (const body of [deposit, unconfigured]) {
        expect(body).not.toHaveProperty('allow_promotion_codes');
        expect(body).not.toHaveProperty('automatic_tax');
      }
    });

    it("checks a plan checkout's price before Stripe's discounts and tax, and a deposit's total", async () => {
      const plan = await gateway.createPlanCheckout(aPlanCheckoutRequest('USD'));
      const deposit = await gateway.createDepositCheckout(aDepositCheckoutRequest('USD'));
      for (const { providerSessionId } of [plan, deposit]) {
        const session = fake.checkoutSession(providerSessionId)!;
        // A promotion code took 10.00 off.
        session['amount_total'] = Number(session['amount_subtotal']) - 1_000;
      }

      const [planAmount, depositAmount] = await Promise.all([plan, deposit].map(async ({ providerSessionId }) => (await gateway.retrieveCheckout(providerSessionId)).amount));

      expect(planAmount!.amountMinor).toBe(Number(fake.checkoutSession(plan.providerSessionId)!['amount_subtotal']));
      expect(depositAmount!.amountMinor).toBe(Number(fake.checkoutSession(deposit.providerSessionId)!['amount_subtotal']) - 1_000);
    });

    it('sends an Idempotency-Key made of our session id', async () => {
      const request = aPlanCheckoutRequest('USD');

      await gateway.createPlanCheckout(request);

      expect(fake.requestsTo('POST', '/v1/checkout/sessions').at(-1)!.idempotencyKey).toBe(`checkout:${request.sessionId}`);
    });

    it('puts our session id on the success URL, the one the checkout mutation answers, keeping the original query', async () => {
      const request = aPlanCheckoutRequest('USD');
      await gateway.createPlanCheckout(request);

      const sent = fake.requestsTo('POST', '/v1/checkout/sessions').at(-1)!;
      const successUrl = sent.body['success_url'] as string;
      expect(new URL(successUrl).searchParams.get('session_id')).toBe(request.sessionId);
      expect(successUrl.startsWith('https://app.aerostack.dev/settings/billing?')).toBe(true);
      expect(new URL(successUrl).searchParams.get('success')).toBe('true');
    });

    it('reuses the Stripe customer of an earlier checkout when it is given one', async () => {
      const { customerId } = await aPaidCheckout();

      const { providerSessionId } = await gateway.createPlanCheckout(aPlanCheckoutRequest('USD', { customerId }));

      expect(fake.requestsTo('POST', '/v1/checkout/sessions').at(-1)!.body['customer']).toBe(customerId);
      expect(fake.checkoutSession(providerSessionId)!['customer']).toBe(customerId);
    });

    it('creates one Stripe session when the same checkout is asked for twice', async () => {
      const request = aPlanCheckoutRequest('USD');

      const first = await gateway.createPlanCheckout(request);
      const again = await gateway.createPlanCheckout(request);

      expect(again).toEqual(first);
    });

    it('retries with the same Idempotency-Key when the answer is lost in a timeout, and ends up with one session', async () => {
      const request = aPlanCheckoutRequest('USD');
      const sentBefore = fake.requestsTo('POST', '/v1/checkout/sessions').length;
      fake.delayNext(1_000);

      const created = await aGateway({ timeoutMs: 300 }).createPlanCheckout(request);

      const attempts = fake.requestsTo('POST', '/v1/checkout/sessions').slice(sentBefore);
      expect(attempts.length).toBeGreaterThanOrEqual(2);
      expect(new Set(attempts.map((attempt) => attempt.idempotencyKey))).toEqual(new Set([`checkout:${request.sessionId}`]));
      expect(fake.checkoutSession(created.providerSessionId)).not.toBeNull();
      expect((await gateway.retrieveCheckout(created.providerSessionId)).sessionId).toBe(request.sessionId);
    });

    it('turns a Stripe 400 into a ProviderError carrying Stripe’s message', async () => {
      fake.failNext({ status: 400, type: 'invalid_request_error', code: 'parameter_invalid', param: 'success_url', message: 'Not a valid URL' });

      const error = await gateway.createPlanCheckout(aPlanCheckoutRequest('USD')).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).message).toContain('Not a valid URL');
      expect((error as ProviderError).provider).toBe('stripe');
    });

    it('turns a Stripe 500 that outlasts the SDK’s retries into a ProviderError carrying Stripe’s message', async () => {
      fake.failNext({ status: 500, type: 'api_error', message: 'Something went wrong on Stripe’s end.' }, 3);

      const error = await gateway.createPlanCheckout(aPlanCheckoutRequest('USD')).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).message).toContain('Something went wrong on Stripe’s end.');
    });

    it('turns a price Stripe does not know into a ProviderError naming the price', async () => {
      const misconfigured = new StripePaymentGateway({
        secretKey: SECRET_KEY,
        priceIds: { ...PRICE_IDS, pro: { monthly: 'price_deleted', yearly: 'price_deleted' } },
        api,
        timeoutMs: 2000,
      });

      await expect(misconfigured.createPlanCheckout(aPlanCheckoutRequest('USD'))).rejects.toThrow(/No such price: 'price_deleted'/);
    });

    it('turns a wrong secret key into a ProviderError', async () => {
      const wrongKey = new StripePaymentGateway({ secretKey: 'sk_test_wrong', priceIds: PRICE_IDS, api, timeoutMs: 2000 });

      await expect(wrongKey.createPlanCheckout(aPlanCheckoutRequest('USD'))).rejects.toBeInstanceOf(ProviderError);
    });

    it('turns a Stripe that never answers into a ProviderError within the timeout and its retries', async () => {
      fake.hangNext();
      fake.hangNext();
      fake.hangNext();
      const started = Date.now();

      const error = await aGateway({ timeoutMs: 200 }).createPlanCheckout(aPlanCheckoutRequest('USD')).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(ProviderError);
      expect(Date.now() - started).toBeLessThan(10_000);
    });
  });

  describe('retrieving a checkout', () => {
    it('maps the customer, the subscription, its period end (seconds) and the payment intent of its first invoice from the expanded session', async () => {
      const { providerSessionId, customerId, subscriptionId, currentPeriodEnd, paymentIntentId } = await aPaidCheckout();

      const checkout = await gateway.retrieveCheckout(providerSessionId);

      expect(checkout).toMatchObject({ status: 'paid', customerId, subscriptionId, currentPeriodEnd: new Date(currentPeriodEnd * 1000), paymentId: paymentIntentId });
      expect(fake.checkoutSession(providerSessionId)).toMatchObject({ payment_intent: null, invoice: expect.stringMatching(/^in_/) });
      expect(fake.requestsTo('GET', `/v1/checkout/sessions/${providerSessionId}`).at(-1)!.query).toEqual({
        expand: ['subscription', 'subscription.latest_invoice', 'invoice.payments', 'payment_intent.latest_charge'],
      });
    });

    it('reports no customer, subscription or period end for a checkout not paid yet', async () => {
      const { providerSessionId } = await gateway.createPlanCheckout(aPlanCheckoutRequest('USD'));

      expect(await gateway.retrieveCheckout(providerSessionId)).toMatchObject({ customerId: null, subscriptionId: null, currentPeriodEnd: null });
    });

    it('turns Stripe’s 404 for an unknown session into a ProviderError carrying Stripe’s message', async () => {
      await expect(gateway.retrieveCheckout('cs_test_nope')).rejects.toThrow(/No such checkout\.session: 'cs_test_nope'/);
    });
  });

  describe('managing the subscription', () => {
    it('opens the customer portal for the customer and returns its URL', async () => {
      const { customerId } = await aPaidCheckout();

      const portal = await gateway.createPortalSession({ customerId, returnUrl: new URL('https://app.aerostack.dev/settings/billing') });

      expect(portal.url).toMatch(/^https:\/\/billing\.stripe\.com\/p\/session\//);
      expect(fake.requestsTo('POST', '/v1/billing_portal/sessions').at(-1)!.body).toEqual({
        customer: customerId,
        return_url: 'https://app.aerostack.dev/settings/billing',
      });
    });

    it('cancels at the end of the paid period rather than at once', async () => {
      const { subscriptionId } = await aPaidCheckout();

      await gateway.cancelSubscription(subscriptionId);

      expect(fake.requestsTo('POST', `/v1/subscriptions/${subscriptionId}`).at(-1)!.body).toEqual({ cancel_at_period_end: 'true' });
      expect(fake.subscription(subscriptionId)).toMatchObject({ cancel_at_period_end: true, status: 'active' });
    });

    it('swaps the subscription item’s price to the new interval’s price', async () => {
      const { subscriptionId } = await aPaidCheckout();
      const itemId = (fake.subscription(subscriptionId)!['items'] as { data: Array<{ id: string }> }).data[0]!.id;

      await gateway.changeSubscriptionInterval({ subscriptionId, tier: 'starter', billingInterval: 'yearly' });

      expect(fake.requestsTo('POST', `/v1/subscriptions/${subscriptionId}`).at(-1)!.body).toMatchObject({
        items: [{ id: itemId, price: 'price_starter_y' }],
      });
      const items = (fake.subscription(subscriptionId)!['items'] as { data: Array<{ id: string; price: { id: string } }> }).data;
      expect(items.map((item) => [item.id, item.price.id])).toEqual([[itemId, 'price_starter_y']]);
    });

    it('turns every failure managing a subscription Stripe does not know into a ProviderError', async () => {
      await expect(gateway.cancelSubscription('sub_nope')).rejects.toBeInstanceOf(ProviderError);
      await expect(gateway.changeSubscriptionInterval({ subscriptionId: 'sub_nope', tier: 'pro', billingInterval: 'monthly' })).rejects.toBeInstanceOf(
        ProviderError,
      );
      await expect(gateway.createPortalSession({ customerId: 'cus_nope', returnUrl: new URL('https://app.aerostack.dev/') })).rejects.toBeInstanceOf(
        ProviderError,
      );
    });
  });

  describe('changing plan', () => {
    /** What the application asks for a change of a starter monthly subscription to `tier`/`billingInterval`. */
    function aPlanChangeSession(subscription: { subscriptionId: string; customerId: string }, overrides: Partial<PlanChangeSessionRequest> = {}): PlanChangeSessionRequest {
      const sessionId = randomUUID();
      return {
        sessionId,
        userId: `user-${sessionId}`,
        customerId: subscription.customerId,
        subscriptionId: subscription.subscriptionId,
        tier: 'pro',
        billingInterval: 'monthly',
        timing: 'now',
        price: Money.of(4_900, 'USD'),
        returnUrl: new URL(`https://app.aerostack.dev/settings/billing?success=true&session_id=${sessionId}`),
        cancelUrl: new URL('https://app.aerostack.dev/settings/billing'),
        ...overrides,
      };
    }
    const itemOf = (subscriptionId: string) => (fake.subscription(subscriptionId)!['items'] as { data: Array<{ id: string; price: { id: string } }> }).data[0]!;

    it("deep-links the portal into confirming the new price for the subscription's item, returning to our URL, under our session id as idempotency key", async () => {
      const paid = await aPaidCheckout();
      const request = aPlanChangeSession(paid);

      const { providerSessionId, url } = await gateway.createPlanChangeSession(request);
      const sent = fake.requestsTo('POST', '/v1/billing_portal/sessions').at(-1)!;

      expect(sent.idempotencyKey).toBe(`plan-change:${request.sessionId}`);
      expect(sent.body).toMatchObject({
        customer: paid.customerId,
        return_url: 'https://app.aerostack.dev/settings/billing',
        flow_data: {
          type: 'subscription_update_confirm',
          subscription_update_confirm: { subscription: paid.subscriptionId, items: [{ id: itemOf(paid.subscriptionId).id, price: 'price_pro_m', quantity: '1' }] },
          after_completion: { type: 'redirect', redirect: { return_url: request.returnUrl.href } },
        },
      });
      expect(url).toBe(fake.portalSession(providerSessionId)!['url']);
    });

    it('sets up one portal configuration per timing, listing every configured price, and finds it again from another process', async () => {
      const paid = await aPaidCheckout();
      const created = () => fake.requestsTo('POST', '/v1/billing_portal/configurations').length;
      const before = created();
      const first = aGateway();
      const second = aGateway();

      await first.createPlanChangeSession(aPlanChangeSession(paid, { timing: 'period_end', tier: 'starter', billingInterval: 'yearly' }));
      await first.createPlanChangeSession(aPlanChangeSession(paid, { timing: 'period_end', tier: 'business', billingInterval: 'monthly' }));
      await second.createPlanChangeSession(aPlanChangeSession(paid, { timing: 'period_end', tier: 'pro', billingInterval: 'yearly' }));
      const configurations = fake.requestsTo('POST', '/v1/billing_portal/sessions').slice(-3).map((sent) => sent.body['configuration']);
      const configuration = fake.portalConfiguration(String(configurations[0]))!;

      expect(created() - before).toBeLessThanOrEqual(1);
      expect(new Set(configurations).size).toBe(1);
      expect(configuration).toMatchObject({ metadata: { purpose: 'plan_change_period_end' } });
      expect(configuration['features']).toMatchObject({
        subscription_update: { enabled: true, default_allowed_updates: ['price'], proration_behavior: 'always_invoice' },
      });
      const listed = (configuration['features'] as { subscription_update: { products: { prices: string[] }[] } }).subscription_update.products.flatMap((product) => product.prices);
      expect(listed.sort()).toEqual(Object.values(PRICE_IDS).flatMap((ids) => [ids.monthly, ids.yearly]).sort());
    });

    it("refuses another customer's subscription without opening a portal", async () => {
      const paid = await aPaidCheckout();
      const before = fake.requestsTo('POST', '/v1/billing_portal/sessions').length;

      await expect(gateway.createPlanChangeSession(aPlanChangeSession({ ...paid, customerId: 'cus_someone_else' }))).rejects.toBeInstanceOf(ProviderError);
      expect(fake.requestsTo('POST', '/v1/billing_portal/sessions')).toHaveLength(before);
    });

    it('reads a change scheduled for the period end from the schedule, and the plan it moved to once the period renews', async () => {
      const paid = await aPaidCheckout();

      const scheduled = await gateway.changePlan({ changeId: randomUUID(), subscriptionId: paid.subscriptionId, tier: 'starter', billingInterval: 'yearly', timing: 'period_end', price: Money.of(17_100, 'USD') });
      const read = await gateway.retrieveSubscription(paid.subscriptionId);
      fake.renewSubscription(paid.subscriptionId);
      const renewed = await gateway.retrieveSubscription(paid.subscriptionId);
      fake.renewSubscription(paid.subscriptionId);

      expect(scheduled).toEqual(read);
      expect(read).toMatchObject({ plan: { tier: 'starter', billingInterval: 'monthly' }, scheduledChange: { plan: { tier: 'starter', billingInterval: 'yearly' }, effectiveAt: new Date(paid.currentPeriodEnd * 1000) } });
      expect(renewed).toMatchObject({ plan: { tier: 'starter', billingInterval: 'yearly' }, scheduledChange: null });
      expect(fake.subscription(paid.subscriptionId)!['schedule']).toBeNull();
    });

    it('releases a scheduled change before making another one now', async () => {
      const paid = await aPaidCheckout();
      await gateway.changePlan({ changeId: randomUUID(), subscriptionId: paid.subscriptionId, tier: 'starter', billingInterval: 'yearly', timing: 'period_end', price: Money.of(17_100, 'USD') });
      const scheduleId = String(fake.subscription(paid.subscriptionId)!['schedule']);

      const now = await gateway.changePlan({ changeId: randomUUID(), subscriptionId: paid.subscriptionId, tier: 'business', billingInterval: 'monthly', timing: 'now', price: Money.of(19_900, 'USD') });

      expect(fake.schedule(scheduleId)).toMatchObject({ status: 'released', released_subscription: paid.subscriptionId });
      expect(now).toMatchObject({ plan: { tier: 'business', billingInterval: 'monthly' }, scheduledChange: null });
    });
  });

  describe('reading state a provider event points at', () => {
    it('reads a subscription in our terms: its standing, whether it renews, its plan by price and its period end', async () => {
      const { subscriptionId, customerId, currentPeriodEnd } = await aPaidCheckout();
      const readings = [];
      for (const [status, standing] of [['active', 'paying'], ['trialing', 'paying'], ['past_due', 'failing'], ['unpaid', 'lapsed'], ['paused', 'lapsed'], ['incomplete', 'unpaid']] as const) {
        fake.setSubscriptionStatus(subscriptionId, status);
        readings.push([status, (await gateway.retrieveSubscription(subscriptionId)).standing, standing]);
      }
      fake.setSubscriptionStatus(subscriptionId, 'active');
      await gateway.cancelSubscription(subscriptionId);
      const canceling = await gateway.retrieveSubscription(subscriptionId);
      fake.cancelSubscriptionNow(subscriptionId);
      const firstInvoice = fake.invoice(fake.subscription(subscriptionId)!['latest_invoice'] as string)!;

      expect(readings.map(([status, read]) => [status, read])).toEqual(readings.map(([status, , expected]) => [status, expected]));
      expect(canceling).toEqual({
        subscriptionId,
        customerId,
        standing: 'paying',
        renews: false,
        plan: { tier: 'starter', billingInterval: 'monthly' },
        currentPeriodEnd: new Date(currentPeriodEnd * 1000),
        latestPayment: {
          paymentId: firstInvoice['id'],
          amount: { amountMinor: 1_000, currency: 'USD' },
          receiptUrl: firstInvoice['hosted_invoice_url'],
          periodStart: new Date((currentPeriodEnd - 30 * 86_400) * 1000),
          periodEnd: new Date(currentPeriodEnd * 1000),
        },
        scheduledChange: null,
      });
      expect((await gateway.retrieveSubscription(subscriptionId)).standing).toBe('ended');
    });

    it("reads a plan checkout's receipt from the session's first invoice: its hosted page, what it took after discounts and tax, the period its line pays for", async () => {
      const { providerSessionId, subscriptionId, currentPeriodEnd } = await aPaidCheckout();
      const invoiceId = fake.checkoutSession(providerSessionId)!['invoice'] as string;
      // A promotion code took 2.00 off the first invoice.
      Object.assign(fake.invoice(invoiceId)!, { amount_paid: 800 });

      const checkout = await gateway.retrieveCheckout(providerSessionId);

      expect(invoiceId).toBe(fake.subscription(subscriptionId)!['latest_invoice']);
      expect(checkout.amount).toEqual({ amountMinor: 1_000, currency: 'USD' });
      expect(checkout.receipt).toEqual({
        paymentId: invoiceId,
        amount: { amountMinor: 800, currency: 'USD' },
        receiptUrl: fake.invoice(invoiceId)!['hosted_invoice_url'],
        periodStart: new Date((currentPeriodEnd - 30 * 86_400) * 1000),
        periodEnd: new Date(currentPeriodEnd * 1000),
      });
      expect(checkout.receipt!.receiptUrl).toMatch(/^https:\/\/invoice\.stripe\.com\/i\//);
    });

    it("reads a deposit's receipt from its payment intent's latest charge", async () => {
      const { providerSessionId } = await gateway.createDepositCheckout(aDepositCheckoutRequest('USD'));
      const { paymentIntentId } = fake.completeCheckout(providerSessionId);
      const charge = fake.charge(fake.paymentIntent(paymentIntentId!)!['latest_charge'] as string)!;

      const checkout = await gateway.retrieveCheckout(providerSessionId);

      expect(checkout.paymentId).toBe(paymentIntentId);
      expect(checkout.receipt).toEqual({ paymentId: paymentIntentId, amount: { amountMinor: 2_500, currency: 'USD' }, receiptUrl: charge['receipt_url'], periodStart: null, periodEnd: null });
      expect(checkout.receipt!.receiptUrl).toMatch(/^https:\/\/pay\.stripe\.com\/receipts\//);
    });

    it("names a renewal's paid invoice as the subscription's latest payment, for the period it renewed, and none once its latest invoice is unpaid", async () => {
      const { subscriptionId } = await aPaidCheckout();
      const first = fake.subscription(subscriptionId)!['latest_invoice'];

      const { currentPeriodStart, currentPeriodEnd } = fake.renewSubscription(subscriptionId);
      const renewed = await gateway.retrieveSubscription(subscriptionId);
      const renewal = fake.invoice(fake.subscription(subscriptionId)!['latest_invoice'] as string)!;
      Object.assign(renewal, { status: 'open', amount_paid: 0 });
      const unpaid = await gateway.retrieveSubscription(subscriptionId);

      expect(renewal['id']).not.toBe(first);
      expect(renewal['billing_reason']).toBe('subscription_cycle');
      expect(renewed.latestPayment).toEqual({
        paymentId: renewal['id'],
        amount: { amountMinor: 1_000, currency: 'USD' },
        receiptUrl: renewal['hosted_invoice_url'],
        periodStart: new Date(currentPeriodStart * 1000),
        periodEnd: new Date(currentPeriodEnd * 1000),
      });
      expect(fake.requestsTo('GET', `/v1/subscriptions/${subscriptionId}`).at(-1)!.query).toEqual({ expand: ['schedule', 'latest_invoice'] });
      expect(unpaid.latestPayment).toBeNull();
    });

    it("reads a payment's refunds and the disputes that hold its money, whatever their order", async () => {
      const { providerSessionId } = await gateway.createDepositCheckout(aDepositCheckoutRequest('USD'));
      const { paymentIntentId } = fake.completeCheckout(providerSessionId);
      fake.refund(paymentIntentId!, 700);
      const inquiry = fake.openDispute(paymentIntentId!, 500, 'warning_needs_response');
      const chargeback = fake.openDispute(paymentIntentId!, 1_000);

      const open = await gateway.retrievePayment(paymentIntentId!);
      fake.setDisputeStatus(chargeback, 'won');
      const won = await gateway.retrievePayment(paymentIntentId!);

      expect(open).toEqual({ paymentId: paymentIntentId, amount: { amountMinor: 2_500, currency: 'USD' }, refunded: { amountMinor: 700, currency: 'USD' }, disputed: { amountMinor: 1_000, currency: 'USD' } });
      expect(won.disputed).toEqual({ amountMinor: 0, currency: 'USD' });
      expect(await gateway.retrieveDispute(inquiry)).toMatchObject({ paymentId: paymentIntentId, holdsMoney: false, amount: { amountMinor: 500, currency: 'USD' } });
    });
  });

  describe('one live subscription', () => {
    it('expires an open checkout through POST /v1/checkout/sessions/:id/expire, after which Stripe takes no payment for it', async () => {
      const { providerSessionId } = await gateway.createPlanCheckout(aPlanCheckoutRequest('USD'));

      const after = await gateway.expireCheckout(providerSessionId);

      expect(fake.requestsTo('POST', `/v1/checkout/sessions/${providerSessionId}/expire`)).toHaveLength(1);
      expect(after).toMatchObject({ providerSessionId, status: 'expired', subscriptionId: null, paymentId: null });
      expect(() => fake.completeCheckout(providerSessionId)).toThrow(/expired/);
    });

    it("answers a session Stripe will not expire because it completed first as paid, with its subscription and its invoice's payment", async () => {
      const { providerSessionId, subscriptionId, paymentIntentId } = await aPaidCheckout();

      const after = await gateway.expireCheckout(providerSessionId);

      expect(after).toMatchObject({ status: 'paid', subscriptionId, paymentId: paymentIntentId });
    });

    it('gives a ProviderError when Stripe refuses to expire a session that is still open', async () => {
      const { providerSessionId } = await gateway.createPlanCheckout(aPlanCheckoutRequest('USD'));
      fake.failNext({ status: 400, type: 'invalid_request_error', message: 'This endpoint is not available to your account.' });

      await expect(gateway.expireCheckout(providerSessionId)).rejects.toThrow(/not available to your account/);
      expect(fake.checkoutSession(providerSessionId)!['status']).toBe('open');
    });

    it("refunds a subscription checkout's payment intent with our idempotency key and reason duplicate, and a repeat is Stripe's replay", async () => {
      const { paymentIntentId } = await aPaidCheckout();
      const asked = { paymentId: paymentIntentId!, amount: { amountMinor: 1_000, currency: 'USD' }, idempotencyKey: 'refund:session-1-of-a-test' };

      const first = await gateway.refundPayment(asked);
      const again = await gateway.refundPayment(asked);

      const sent = fake.requestsTo('POST', '/v1/refunds');
      expect(sent.slice(-2).map((call) => [call.idempotencyKey, call.body])).toEqual([
        ['refund:session-1-of-a-test', { payment_intent: paymentIntentId, amount: '1000', reason: 'duplicate' }],
        ['refund:session-1-of-a-test', { payment_intent: paymentIntentId, amount: '1000', reason: 'duplicate' }],
      ]);
      expect(again).toEqual(first);
      expect(fake.charge(String(fake.paymentIntent(paymentIntentId!)!['latest_charge']))).toMatchObject({ amount_refunded: 1_000, refunded: true });
    });

    it("turns Stripe's refusal to refund more than is left into a ProviderError carrying Stripe's message", async () => {
      const { paymentIntentId } = await aPaidCheckout();

      await expect(gateway.refundPayment({ paymentId: paymentIntentId!, amount: { amountMinor: 1_001, currency: 'USD' }, idempotencyKey: 'refund:too-much' })).rejects.toThrow(
        /greater than unrefunded amount/,
      );
    });

    it('cancels a subscription at once through DELETE, and takes Stripe\'s "No such subscription" for one canceled already as done', async () => {
      const { subscriptionId } = await aPaidCheckout();

      await gateway.cancelSubscriptionNow(subscriptionId);
      await gateway.cancelSubscriptionNow(subscriptionId);

      expect(fake.requestsTo('DELETE', `/v1/subscriptions/${subscriptionId}`)).toHaveLength(2);
      expect(fake.subscription(subscriptionId)).toMatchObject({ status: 'canceled', cancel_at_period_end: false });
      await expect(gateway.cancelSubscriptionNow('sub_nope')).rejects.toThrow(/No such subscription/);
    });
  });
});

