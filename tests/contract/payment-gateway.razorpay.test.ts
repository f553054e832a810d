import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PaymentGateway } from '../../application/billing/payment-gateway.port.ts';
import { RazorpayClient } from '../../adapters/razorpay/razorpay.client.ts';
import { RazorpayPaymentGateway } from '../../adapters/razorpay/razorpay.payment-gateway.ts';
import { InvalidInputError, InvariantViolation, ProviderError } from '../../domain/shared/errors.ts';
import { Money } from '../../domain/shared/money.value-object.ts';
import { RazorpayFake } from '../fakes/razorpay-fake.ts';
import { aDepositCheckoutRequest, aPlanCheckoutRequest, runPaymentGatewayContract } from './payment-gateway.contract.ts';

const KEY_ID = 'rzp_test_fake';
const KEY_SECRET = 'secret';
const CHECKOUT_PAGE_URL = 'https://billing.example.com/api/billing/razorpay/checkout';
const CALLBACK_URL = 'https://billing.example.com/api/billing/razorpay/callback';
const PLAN_CHANGE_PAGE_URL = 'https://billing.example.com/api/billing/plan-change';

const fake = new RazorpayFake({ keyId: KEY_ID, keySecret: KEY_SECRET });
let apiBaseUrl: string;

beforeAll(async () => {
  apiBaseUrl = await fake.start();
});

afterAll(async () => {
  await fake.stop();
});

function aGateway(options: { baseUrl?: string; keySecret?: string; timeoutMs?: number } = {}): RazorpayPaymentGateway {
  return new RazorpayPaymentGateway(
    new RazorpayClient({
      keyId: KEY_ID,
      keySecret: options.keySecret ?? KEY_SECRET,
      apiBaseUrl: options.baseUrl ?? apiBaseUrl,
      timeoutMs: options.timeoutMs ?? 2000,
    }),
    { keyId: KEY_ID, keySecret: KEY_SECRET, scriptUrl: `${apiBaseUrl}/v1/checkout.js`, checkoutPageUrl: CHECKOUT_PAGE_URL, callbackUrl: CALLBACK_URL, planChangePageUrl: PLAN_CHANGE_PAGE_URL },
  );
}

runPaymentGatewayContract('Razorpay (official SDK against a local fake)', async () => ({
  gateway: aGateway(),
  pay: (id) => (id.startsWith('sub_') ? void fake.authorizeSubscription(id) : fake.payLink(id)),
  expire: (id) => (id.startsWith('sub_') ? fake.setSubscriptionStatus(id, 'expired') : fake.expireLink(id)),
  currency: 'INR',
}));

/** Runs `work` and fails if anything escaped as an unhandled rejection or uncaught exception meanwhile. */
async function withoutStrayErrors<T>(work: () => Promise<T>): Promise<T> {
  const strays: unknown[] = [];
  const collect = (error: unknown): void => void strays.push(error);
  process.on('unhandledRejection', collect);
  process.on('uncaughtException', collect);
  try {
    const result = await work();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(strays).toEqual([]);
    return result;
  } finally {
    process.off('unhandledRejection', collect);
    process.off('uncaughtException', collect);
  }
}

describe('Razorpay payment gateway', () => {
  /** Typed as the port, so every call is made the way the application makes it. */
  let gateway: PaymentGateway;

  beforeEach(() => {
    gateway = aGateway();
  });

  it('opens a deposit as a payment link in paise, noting the US cents it will credit, calling back with our session id', async () => {
    const request = aDepositCheckoutRequest('INR');

    await gateway.createDepositCheckout(request);
    const sent = fake.requestsTo('POST', '/v1/payment_links').at(-1)!;

    expect(sent.body).toMatchObject({
      amount: 212_500,
      currency: 'INR',
      reference_id: request.sessionId,
      callback_method: 'get',
      notes: { purpose: 'deposit', wallet_credit_usd_cents: '2500', checkout_session_id: request.sessionId },
    });
    expect(new URL((sent.body as { callback_url: string }).callback_url).searchParams.get('session_id')).toBe(request.sessionId);
  });

  describe('creating a plan checkout', () => {
    it('subscribes to a plan of the price in paise, noting our session, and sends the user to our Checkout page', async () => {
      const request = aPlanCheckoutRequest('INR', { price: Money.of(3_748_500, 'INR'), tier: 'pro', billingInterval: 'yearly' });

      const { providerSessionId, url } = await gateway.createPlanCheckout(request);

      const plan = fake.requestsTo('POST', '/v1/plans').at(-1)!;
      expect(plan.basicAuth).toEqual({ username: KEY_ID, password: KEY_SECRET });
      expect(plan.body).toMatchObject({ period: 'yearly', interval: 1, item: { amount: 3_748_500, currency: 'INR' }, notes: { tier: 'pro', billing_interval: 'yearly' } });
      const subscription = fake.requestsTo('POST', '/v1/subscriptions').at(-1)!;
      expect(subscription.body).toMatchObject({
        total_count: 10,
        notes: { checkout_session_id: request.sessionId, user_id: request.userId, purpose: 'plan', tier: 'pro', billing_interval: 'yearly' },
      });
      expect(providerSessionId).toMatch(/^sub_/);
      expect(fake.subscription(providerSessionId)).toMatchObject({ status: 'created', plan_id: (subscription.body as { plan_id: string }).plan_id });
      expect(url).toBe(`${CHECKOUT_PAGE_URL}?session_id=${request.sessionId}`);
    });

    it('makes each plan once and reuses it, also from another process that finds it at Razorpay', async () => {
      const price = Money.of(3_500_100, 'INR');
      const plansBefore = fake.requestsTo('POST', '/v1/plans').length;

      const first = await gateway.createPlanCheckout(aPlanCheckoutRequest('INR', { price, tier: 'business', billingInterval: 'monthly' }));
      const second = await gateway.createPlanCheckout(aPlanCheckoutRequest('INR', { price, tier: 'business', billingInterval: 'monthly' }));
      const third = await aGateway().createPlanCheckout(aPlanCheckoutRequest('INR', { price, tier: 'business', billingInterval: 'monthly' }));
      await gateway.createPlanCheckout(aPlanCheckoutRequest('INR', { price: Money.of(3_500_200, 'INR'), tier: 'business', billingInterval: 'monthly' }));

      expect(fake.requestsTo('POST', '/v1/plans').length - plansBefore).toBe(2);
      const planOf = (id: string) => fake.subscription(id)!.plan_id;
      expect(new Set([planOf(first.providerSessionId), planOf(second.providerSessionId), planOf(third.providerSessionId)]).size).toBe(1);
    });

    it('refuses a price that is not in INR before calling Razorpay', async () => {
      const before = fake.requests.length;

      await expect(gateway.createPlanCheckout(aPlanCheckoutRequest('INR', { price: Money.of(44100, 'USD') }))).rejects.toBeInstanceOf(
        InvariantViolation,
      );
      expect(fake.requests.length).toBe(before);
    });

    it('turns a Razorpay 400 into a ProviderError, a real Error, carrying Razorpay’s description', async () => {
      fake.failNext({ status: 400, code: 'BAD_REQUEST_ERROR', description: 'The amount must be atleast INR 1.00', field: 'amount' });

      const error = await gateway.createPlanCheckout(aPlanCheckoutRequest('INR')).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(ProviderError);
      expect(error).toBeInstanceOf(Error);
      expect((error as ProviderError).message).toContain('The amount must be atleast INR 1.00');
      expect((error as ProviderError).message).toContain('HTTP 400');
      expect((error as ProviderError).provider).toBe('razorpay');
    });

    it('turns a Razorpay 500 into a ProviderError', async () => {
      fake.failNext({ status: 500 });

      await expect(gateway.createPlanCheckout(aPlanCheckoutRequest('INR'))).rejects.toThrow(/HTTP 500/);
    });

    it('turns an HTML error page from a proxy in front of Razorpay into a ProviderError', async () => {
      fake.failNext({ status: 502, rawBody: '<html><body>502 Bad Gateway</body></html>' });

      const error = await gateway.createPlanCheckout(aPlanCheckoutRequest('INR')).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).message).toContain('HTTP 502');
    });

    it('turns wrong API keys into a ProviderError', async () => {
      await expect(aGateway({ keySecret: 'wrong' }).createPlanCheckout(aPlanCheckoutRequest('INR'))).rejects.toThrow(/Authentication failed/);
    });

    it('turns a Razorpay that cannot be reached into a ProviderError saying so, without crashing the process', async () => {
      const gone = new RazorpayFake({ keyId: KEY_ID, keySecret: KEY_SECRET });
      const goneUrl = await gone.start();
      await gone.stop();

      const error = await withoutStrayErrors(() => aGateway({ baseUrl: goneUrl }).createPlanCheckout(aPlanCheckoutRequest('INR')).catch((caught: unknown) => caught));

      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).message).toMatch(/could not be reached/);
      await expect(aGateway({ baseUrl: goneUrl }).retrieveCheckout('plink_anything')).rejects.toThrow(/could not be reached/);
    });

    it('turns a Razorpay that never answers into a ProviderError once the timeout passes', async () => {
      fake.hangNext();
      const started = Date.now();

      const error = await withoutStrayErrors(() =>
        aGateway({ timeoutMs: 200 }).createPlanCheckout(aPlanCheckoutRequest('INR')).catch((caught: unknown) => caught),
      );

      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).message).toMatch(/could not be reached/);
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  });

  describe('a subscription checkout', () => {
    async function aSubscription(price = Money.of(416_500, 'INR')): Promise<string> {
      return (await gateway.createPlanCheckout(aPlanCheckoutRequest('INR', { price, tier: 'pro', billingInterval: 'monthly' }))).providerSessionId;
    }

    it('is open until its first charge, then paid with the first invoice: its amount, its payment, the plan and the period', async () => {
      const id = await aSubscription();
      expect(await gateway.retrieveCheckout(id)).toMatchObject({ status: 'open', amount: { amountMinor: 416_500, currency: 'INR' }, paymentId: null });

      const posted = fake.authorizeSubscription(id);
      const paid = await gateway.retrieveCheckout(id);

      expect(paid).toMatchObject({
        status: 'paid',
        amount: { amountMinor: 416_500, currency: 'INR' },
        purpose: 'plan',
        paymentId: posted.razorpay_payment_id,
        subscriptionId: id,
        currentPeriodEnd: new Date(fake.subscription(id)!.current_end! * 1000),
        subscription: { subscriptionId: id, standing: 'paying', plan: { tier: 'pro', billingInterval: 'monthly' }, renews: null },
      });
    });

    it('still answers what its first invoice charged after the subscription moved to another plan', async () => {
      const id = await aSubscription();
      fake.authorizeSubscription(id);
      await gateway.changeSubscriptionInterval({ subscriptionId: id, tier: 'pro', billingInterval: 'yearly', price: Money.of(4_165_000, 'INR') });

      expect((await gateway.retrieveCheckout(id)).amount).toEqual({ amountMinor: 416_500, currency: 'INR' });
      expect((await gateway.retrieveSubscription(id)).plan).toEqual({ tier: 'pro', billingInterval: 'yearly' });
    });

    it('is canceled when the subscription is cancelled before its first charge, and expired when it expired', async () => {
      const cancelled = await aSubscription();
      const expired = await aSubscription();
      fake.setSubscriptionStatus(cancelled, 'cancelled');
      fake.setSubscriptionStatus(expired, 'expired');

      expect((await gateway.retrieveCheckout(cancelled)).status).toBe('canceled');
      expect((await gateway.retrieveCheckout(expired)).status).toBe('expired');
    });

    it("accepts Checkout's callback signed with the key secret over payment_id|subscription_id, and a failure as abandoned", async () => {
      const id = await aSubscription();
      const posted = fake.authorizeSubscription(id);

      expect(gateway.verifyCheckoutReturn({ providerSessionId: id, fields: { ...posted } })).toBe('paid');
      expect(gateway.verifyCheckoutReturn({ providerSessionId: id, fields: { 'error[code]': 'BAD_REQUEST_ERROR', 'error[description]': 'cancelled' } })).toBe('abandoned');
    });

    it('refuses a forged, missing or foreign callback signature with an InvalidInputError', async () => {
      const id = await aSubscription();
      const other = await aSubscription();
      const posted = fake.authorizeSubscription(id);
      const foreign = fake.authorizeSubscription(other);
      const forged = createHmac('sha256', 'not-the-key-secret').update(`${posted.razorpay_payment_id}|${id}`).digest('hex');

      const attempts = [
        { ...posted, razorpay_signature: forged },
        { ...posted, razorpay_signature: '' },
        { razorpay_payment_id: posted.razorpay_payment_id, razorpay_subscription_id: id },
        { ...foreign },
        { ...posted, razorpay_payment_id: foreign.razorpay_payment_id },
      ];
      for (const fields of attempts) {
        expect(() => gateway.verifyCheckoutReturn({ providerSessionId: id, fields })).toThrow(InvalidInputError);
      }
    });

    it('serves our page opening Standard Checkout with the subscription, the key id and a callback naming our session', async () => {
      const id = await aSubscription();

      const html = gateway.checkoutPage({ sessionId: 'ses_1', providerSessionId: id, description: 'pro plan, billed monthly', amount: Money.of(416_500, 'INR') })!;

      expect(html).toContain(`<script src="${apiBaseUrl}/v1/checkout.js"></script>`);
      expect(html).toContain(`"subscription_id":"${id}"`);
      expect(html).toContain(`"key":"${KEY_ID}"`);
      expect(html).toContain(`"callback_url":"${CALLBACK_URL}?session_id=ses_1"`);
      expect(html).toContain('"redirect":true');
      expect(html).not.toContain(KEY_SECRET);
      expect(gateway.checkoutPage({ sessionId: 'ses_2', providerSessionId: 'plink_x', description: 'a deposit', amount: Money.of(100, 'INR') })).toBeNull();
    });

    it('writes nothing into the page that could end its script', async () => {
      const html = gateway.checkoutPage({ sessionId: 'ses_</script><script>alert(1)</script>', providerSessionId: 'sub_x', description: '</script>', amount: Money.of(100, 'INR') })!;

      expect(html.match(/<\/script>/g)!.length).toBe(2);
    });
  });

  describe('retrieving a payment link checkout (deposits, and plans bought before subscriptions)', () => {
    async function aLink(): Promise<string> {
      return (await gateway.createDepositCheckout(aDepositCheckoutRequest('INR'))).providerSessionId;
    }

    it('reports a link paid in full as paid', async () => {
      const id = await aLink();
      fake.payLink(id);

      expect((await gateway.retrieveCheckout(id)).status).toBe('paid');
    });

    it('reports a partly paid link as still open', async () => {
      const id = await aLink();
      fake.payLink(id, 100_000);

      expect(fake.link(id)!.status).toBe('partially_paid');
      expect((await gateway.retrieveCheckout(id)).status).toBe('open');
    });

    it('reports a cancelled link as canceled', async () => {
      const id = await aLink();
      fake.cancelLink(id);

      expect((await gateway.retrieveCheckout(id)).status).toBe('canceled');
    });

    it('reports an expired link as expired', async () => {
      const id = await aLink();
      fake.expireLink(id);

      expect((await gateway.retrieveCheckout(id)).status).toBe('expired');
    });

    it('reports no subscription and no period end, since a payment link bills one period', async () => {
      const id = await aLink();
      fake.payLink(id);

      expect(await gateway.retrieveCheckout(id)).toMatchObject({ subscriptionId: null, currentPeriodEnd: null });
    });

    it('turns Razorpay’s answer for an unknown link into a ProviderError carrying its description', async () => {
      await expect(gateway.retrieveCheckout('plink_doesnotexist')).rejects.toThrow(/The id provided does not exist \(HTTP 400, BAD_REQUEST_ERROR\)/);
    });
  });

  describe('managing the subscription', () => {
    it('says it hosts no customer portal, and refuses to open one with a ProviderError', async () => {
      expect(gateway.hostsCustomerPortal).toBe(false);
      await expect(gateway.createPortalSession({ customerId: 'cust_any', returnUrl: new URL('https://app.aerostack.dev/') })).rejects.toBeInstanceOf(
        ProviderError,
      );
    });

    it('cancels a subscription at the end of its cycle: it stays paying, and Razorpay cancels it when the cycle ends', async () => {
      const { providerSessionId: id } = await gateway.createPlanCheckout(aPlanCheckoutRequest('INR'));
      fake.authorizeSubscription(id);

      await gateway.cancelSubscription(id);

      expect(fake.requestsTo('POST', `/v1/subscriptions/${id}/cancel`).at(-1)!.body).toEqual({ cancel_at_cycle_end: 1 });
      expect(await gateway.retrieveSubscription(id)).toMatchObject({ standing: 'paying', renews: null });
      fake.chargeSubscription(id);
      expect(await gateway.retrieveSubscription(id)).toMatchObject({ standing: 'ended', renews: false });
    });

    it('moves a subscription to the plan of the new interval at once, through the API', async () => {
      const { providerSessionId: id } = await gateway.createPlanCheckout(aPlanCheckoutRequest('INR', { tier: 'pro', billingInterval: 'monthly' }));
      fake.authorizeSubscription(id);

      await gateway.changeSubscriptionInterval({ subscriptionId: id, tier: 'pro', billingInterval: 'yearly', price: Money.of(4_165_000, 'INR') });

      expect(fake.requestsTo('PATCH', `/v1/subscriptions/${id}`).at(-1)!.body).toMatchObject({ schedule_change_at: 'now' });
      expect(fake.plan(fake.subscription(id)!.plan_id)).toMatchObject({ period: 'yearly', item: { amount: 4_165_000 } });
    });

    it('passes on Razorpay refusing to change a subscription paid through UPI as a ProviderError', async () => {
      const { providerSessionId: id } = await gateway.createPlanCheckout(aPlanCheckoutRequest('INR'));
      fake.authorizeSubscription(id, 'upi');

      await expect(
        gateway.changeSubscriptionInterval({ subscriptionId: id, tier: 'pro', billingInterval: 'yearly', price: Money.of(4_165_000, 'INR') }),
      ).rejects.toThrow(/cannot be updated when payment mode is UPI/);
    });

    it('has nothing to tell Razorpay when a plan bought through a payment link is canceled', async () => {
      const before = fake.requests.length;

      await gateway.cancelSubscription('plink_anything');

      expect(fake.requests.length).toBe(before);
    });
  });

  describe('reading state a provider event points at', () => {
    it('reads a subscription in our terms, naming no plan for a plan this service did not make', async () => {
      const id = fake.createSubscription({ planId: 'plan_pro_monthly', notes: { tier: 'business' } });
      const readings: [string, string][] = [];
      for (const status of ['active', 'pending', 'halted', 'paused', 'authenticated', 'cancelled'] as const) {
        fake.setSubscriptionStatus(id, status);
        readings.push([status, (await gateway.retrieveSubscription(id)).standing]);
      }

      expect(readings).toEqual([
        ['active', 'paying'],
        ['pending', 'failing'],
        ['halted', 'failing'],
        ['paused', 'lapsed'],
        ['authenticated', 'unpaid'],
        ['cancelled', 'ended'],
      ]);
      expect((await gateway.retrieveSubscription(id)).plan).toBeNull();
    });

    it("reads a payment's refunds, and each dispute by its own id", async () => {
      const { providerSessionId: id } = await gateway.createDepositCheckout(aDepositCheckoutRequest('INR'));
      fake.payLink(id);
      const { paymentId } = await gateway.retrieveCheckout(id);
      fake.refundPayment(paymentId!, 1_000);
      const disputeId = fake.openDispute(paymentId!, 2_000);

      const payment = await gateway.retrievePayment(paymentId!);
      const open = await gateway.retrieveDispute(disputeId);
      fake.setDisputeStatus(disputeId, 'won');

      expect(payment).toMatchObject({ paymentId, refunded: { amountMinor: 1_000, currency: 'INR' }, disputed: null, amount: { currency: 'INR' } });
      expect(open).toEqual({ disputeId, paymentId, amount: { amountMinor: 2_000, currency: 'INR' }, holdsMoney: true });
      expect((await gateway.retrieveDispute(disputeId)).holdsMoney).toBe(false);
    });
  });

  describe('one live subscription', () => {
    it('expires a plan checkout by cancelling its subscription through the SDK, after which it cannot be authorised', async () => {
      const { providerSessionId } = await gateway.createPlanCheckout(aPlanCheckoutRequest('INR'));

      const after = await gateway.expireCheckout(providerSessionId);

      expect(fake.requestsTo('POST', `/v1/subscriptions/${providerSessionId}/cancel`)).toHaveLength(1);
      expect(after).toMatchObject({ providerSessionId, status: 'canceled', paymentId: null });
      expect(fake.subscription(providerSessionId)).toMatchObject({ status: 'cancelled' });
      expect(() => fake.authorizeSubscription(providerSessionId)).toThrow(/cancelled/);
    });

    it('expires a deposit by cancelling its payment link, after which the link cannot be paid', async () => {
      const { providerSessionId } = await gateway.createDepositCheckout(aDepositCheckoutRequest('INR'));

      const after = await gateway.expireCheckout(providerSessionId);

      expect(fake.requestsTo('POST', `/v1/payment_links/${providerSessionId}/cancel`)).toHaveLength(1);
      expect(after).toMatchObject({ status: 'canceled', paymentId: null });
      expect(() => fake.payLink(providerSessionId)).toThrow(/no open payment link/);
    });

    it('answers a subscription Razorpay will not cancel because it was paid first as paid, with its first payment', async () => {
      const { providerSessionId } = await gateway.createPlanCheckout(aPlanCheckoutRequest('INR'));
      const posted = fake.authorizeSubscription(providerSessionId);

      const after = await gateway.expireCheckout(providerSessionId);

      expect(after).toMatchObject({ status: 'paid', paymentId: posted.razorpay_payment_id });
      expect(fake.subscription(providerSessionId)!.status).toBe('active');
    });

    it('gives a ProviderError when Razorpay cannot close a checkout that is still open (it failed, not refused)', async () => {
      const { providerSessionId } = await gateway.createPlanCheckout(aPlanCheckoutRequest('INR'));
      fake.failNext({ status: 500 });

      await expect(gateway.expireCheckout(providerSessionId)).rejects.toThrow(/HTTP 500/);
      expect(fake.subscription(providerSessionId)!.status).toBe('created');
    });

    it('refunds with X-Refund-Idempotency made of the characters Razorpay allows, so a repeat makes no second refund', async () => {
      const request = aDepositCheckoutRequest('INR');
      const { providerSessionId } = await gateway.createDepositCheckout(request);
      fake.payLink(providerSessionId);
      const { paymentId } = await gateway.retrieveCheckout(providerSessionId);
      const asked = { paymentId: paymentId!, amount: { amountMinor: 212_500, currency: 'INR' }, idempotencyKey: `refund:${request.sessionId}` };

      const first = await gateway.refundPayment(asked);
      const again = await gateway.refundPayment(asked);

      const sent = fake.requestsTo('POST', `/v1/payments/${paymentId}/refund`);
      expect(sent.map((call) => call.refundIdempotencyKey)).toEqual([`refund_${request.sessionId}`, `refund_${request.sessionId}`]);
      expect(sent[0]!.body).toMatchObject({ amount: 212_500, speed: 'normal' });
      expect(again.refundId).toBe(first.refundId);
      expect(fake.payment(paymentId!)).toMatchObject({ amount_refunded: 212_500, status: 'refunded' });
    });

    it('ends a subscription at once through the SDK, and leaves one that has ended so', async () => {
      const { providerSessionId } = await gateway.createPlanCheckout(aPlanCheckoutRequest('INR'));
      fake.authorizeSubscription(providerSessionId);

      await gateway.cancelSubscriptionNow(providerSessionId);
      await gateway.cancelSubscriptionNow(providerSessionId);

      expect(fake.requestsTo('POST', `/v1/subscriptions/${providerSessionId}/cancel`)).toHaveLength(1);
      expect(fake.requestsTo('POST', `/v1/subscriptions/${providerSessionId}/cancel`)[0]!.body).toBeNull();
      expect(fake.subscription(providerSessionId)).toMatchObject({ status: 'cancelled' });
    });
  });
});
