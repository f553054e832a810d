import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PaymentGateway } from '../../application/billing/payment-gateway.port.ts';
import { RazorpayClient } from '../../adapters/razorpay/razorpay.client.ts';
import { RazorpayPaymentGateway } from '../../adapters/razorpay/razorpay.payment-gateway.ts';
import { InvariantViolation, ProviderError } from '../../domain/shared/errors.ts';
import { Money } from '../../domain/shared/money.value-object.ts';
import { RazorpayFake } from '../fakes/razorpay-fake.ts';
import { aDepositCheckoutRequest, aPlanCheckoutRequest, runPaymentGatewayContract } from './payment-gateway.contract.ts';

const KEY_ID = 'rzp_test_fake';
const KEY_SECRET = 'secret';

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
  );
}

runPaymentGatewayContract('Razorpay (official SDK against a local fake)', async () => ({
  gateway: aGateway(),
  pay: (id) => fake.payLink(id),
  expire: (id) => fake.expireLink(id),
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
    it('creates a payment link for the amount in paise, in INR, referenced by our session id, with Basic auth', async () => {
      const request = aPlanCheckoutRequest('INR', { price: Money.of(3748500, 'INR'), tier: 'pro', billingInterval: 'yearly' });

      const { providerSessionId, url } = await gateway.createPlanCheckout(request);

      const sent = fake.requestsTo('POST', '/v1/payment_links').at(-1)!;
      expect(sent.basicAuth).toEqual({ username: KEY_ID, password: KEY_SECRET });
      expect(sent.body).toMatchObject({
        amount: 3748500,
        currency: 'INR',
        accept_partial: false,
        reference_id: request.sessionId,
        callback_method: 'get',
        notes: { checkout_session_id: request.sessionId, user_id: request.userId, purpose: 'plan', tier: 'pro', billing_interval: 'yearly' },
      });
      expect(providerSessionId).toMatch(/^plink_/);
      expect(url).toMatch(/^https:\/\/rzp\.io\/i\//);
      expect(fake.link(providerSessionId)).toMatchObject({ short_url: url, status: 'created' });
    });

    it('sends the user back to the success URL with our session id added and the original query kept', async () => {
      const request = aPlanCheckoutRequest('INR');

      await gateway.createPlanCheckout(request);

      const callback = new URL((fake.requestsTo('POST', '/v1/payment_links').at(-1)!.body as { callback_url: string }).callback_url);
      expect(callback.origin + callback.pathname).toBe('https://app.aerostack.dev/settings/billing');
      expect(callback.searchParams.get('success')).toBe('true');
      expect(callback.searchParams.get('session_id')).toBe(request.sessionId);
    });

    it('refuses a price that is not in INR before calling Razorpay', async () => {
      const before = fake.requests.length;

      await expect(gateway.createPlanCheckout(aPlanCheckoutRequest('INR', { price: Money.of(44100, 'USD') }))).rejects.toBeInstanceOf(
        InvariantViolation,
      );
      expect(fake.requests.length).toBe(before);
    });

    it('gets a ProviderError, not a second link, when the same checkout is asked for twice', async () => {
      const request = aPlanCheckoutRequest('INR');
      await gateway.createPlanCheckout(request);

      const error = await gateway.createPlanCheckout(request).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).message).toContain('already exists');
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

  describe('retrieving a checkout', () => {
    async function aLink(): Promise<string> {
      return (await gateway.createPlanCheckout(aPlanCheckoutRequest('INR'))).providerSessionId;
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

    it('has nothing to tell Razorpay when a plan is canceled or changes interval', async () => {
      const before = fake.requests.length;

      await gateway.cancelSubscription('anything');
      await gateway.changeSubscriptionInterval({ subscriptionId: 'anything', tier: 'pro', billingInterval: 'monthly' });

      expect(fake.requests.length).toBe(before);
    });
  });

  describe('reading state a provider event points at', () => {
    it('reads a subscription in our terms, naming no plan: the account keeps the tier its checkout bought', async () => {
      const id = fake.createSubscription({ planId: 'plan_pro_monthly', notes: { tier: 'business' } });
      const readings: [string, string][] = [];
      for (const status of ['active', 'pending', 'halted', 'authenticated', 'cancelled'] as const) {
        fake.setSubscriptionStatus(id, status);
        readings.push([status, (await gateway.retrieveSubscription(id)).standing]);
      }

      expect(readings).toEqual([
        ['active', 'paying'],
        ['pending', 'failing'],
        ['halted', 'lapsed'],
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

      expect(payment).toMatchObject({ paymentId, refundedMinor: 1_000, disputedMinor: null, amount: { currency: 'INR' } });
      expect(open).toEqual({ disputeId, paymentId, amount: { amountMinor: 2_000, currency: 'INR' }, holdsMoney: true });
      expect((await gateway.retrieveDispute(disputeId)).holdsMoney).toBe(false);
    });
  });

  describe('one live subscription', () => {
    it('expires a plan checkout by cancelling its payment link through the SDK, after which the link cannot be paid', async () => {
      const { providerSessionId } = await gateway.createPlanCheckout(aPlanCheckoutRequest('INR'));

      const after = await gateway.expireCheckout(providerSessionId);

      expect(fake.requestsTo('POST', `/v1/payment_links/${providerSessionId}/cancel`)).toHaveLength(1);
      expect(after).toMatchObject({ providerSessionId, status: 'canceled', paymentId: null });
      expect(fake.link(providerSessionId)).toMatchObject({ status: 'cancelled' });
      expect(() => fake.payLink(providerSessionId)).toThrow(/no open payment link/);
    });

    it('answers a link Razorpay will not cancel because it was paid first as paid, with its payment', async () => {
      const { providerSessionId } = await gateway.createPlanCheckout(aPlanCheckoutRequest('INR'));
      fake.payLink(providerSessionId);

      const after = await gateway.expireCheckout(providerSessionId);

      expect(after).toMatchObject({ status: 'paid', paymentId: fake.link(providerSessionId)!.payments![0]!['payment_id'] });
      expect(fake.link(providerSessionId)!.status).toBe('paid');
    });

    it('gives a ProviderError when Razorpay cannot cancel a link that is still open (it failed, not refused)', async () => {
      const { providerSessionId } = await gateway.createPlanCheckout(aPlanCheckoutRequest('INR'));
      fake.failNext({ status: 500 });

      await expect(gateway.expireCheckout(providerSessionId)).rejects.toThrow(/HTTP 500/);
      expect(fake.link(providerSessionId)!.status).toBe('created');
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

    it('says ending a subscription at once is not supported yet, since plans are Payment Links here', async () => {
      await expect(gateway.cancelSubscriptionNow('sub_anything')).rejects.toThrow(/not supported yet/);
    });
  });
});
