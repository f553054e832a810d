import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../adapters/persistence/database.ts';
import { PLAN_CHANGE_REPOSITORY } from '../../application/billing/plan-change.repository.ts';
import { WEBHOOK_EVENT_REPOSITORY } from '../../application/webhooks/webhook-event.repository.ts';
import { SandboxPaymentGateway } from '../../adapters/sandbox/sandbox.payment-gateway.ts';
import { SandboxProvider } from '../../adapters/sandbox/sandbox.provider.ts';
import { SystemClock } from '../../adapters/system/system.clock.ts';
import { UuidV7IdGenerator } from '../../adapters/system/uuid-v7.id-generator.ts';
import { resolve, type ContainerOptions } from '../../api/container.ts';
import { aUserId } from '../support/builders.ts';
import { BACKENDS, openTestDatabase } from '../support/databases.ts';
import {
  dispute,
  invoiceObject,
  refundedCharge,
  paidCheckoutSession,
  RAZORPAY_WEBHOOK_SECRET,
  razorpayEvent,
  razorpaySignature,
  STRIPE_WEBHOOK_SECRET,
  stripeEvent,
  stripeSignature,
  subscriptionObject,
} from '../support/provider-events.ts';
import { makeTestApp, signToken, STRIPE_PRICE_ENV } from '../support/test-app.ts';

const URLS = { successUrl: 'https://app.aerostack.dev/settings/billing?success=true', cancelUrl: 'https://app.aerostack.dev/settings/billing' };
const PRICES = { STRIPE_SECRET_KEY: 'sk_test_webhooks', ...STRIPE_PRICE_ENV };

describe.each(['memory', ...BACKENDS] as const)('provider webhooks, stored %s', (backend) => {
  let database: Database | undefined;
  beforeAll(async () => {
    if (backend !== 'memory') database = await openTestDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  function setup(env: Record<string, string> = {}, gateways?: ContainerOptions['gateways']) {
    const testApp = makeTestApp({ database, gateways, env: { STRIPE_WEBHOOK_SECRET, RAZORPAY_WEBHOOK_SECRET, ...env } });
    const deliverStripe = (body: string, signature = stripeSignature(body)) =>
      testApp.app.request('/api/billing/webhook', { method: 'POST', headers: { 'stripe-signature': signature, 'content-type': 'application/json' }, body });
    const deliverRazorpay = (body: string, eventId: string, signature = razorpaySignature(body)) =>
      testApp.app.request('/api/billing/webhook/razorpay', {
        method: 'POST',
        headers: { 'x-razorpay-signature': signature, 'x-razorpay-event-id': eventId, 'content-type': 'application/json' },
        body,
      });
    async function startCheckout(token: string, tier = 'pro', billingInterval = 'yearly'): Promise<string> {
      const { data } = await testApp.graphql(
        'mutation ($input: StartPlanCheckoutInput!) { startPlanCheckout(input: $input) { sessionId } }',
        { token, variables: { input: { tier, billingInterval, ...URLS } } },
      );
      return data.startPlanCheckout.sessionId as string;
    }
    const billing = async (token: string) => (await testApp.graphql('{ billing { planTier billingInterval status currentPeriodEnd } }', { token })).data.billing;
    const eventCount = (provider: string) => resolve(testApp.container, WEBHOOK_EVENT_REPOSITORY).count(provider);
    return { ...testApp, deliverStripe, deliverRazorpay, startCheckout, billing, eventCount };
  }

  it('upgrades the plan on checkout.session.completed, and a redelivery changes nothing', async () => {
    const { deliverStripe, startCheckout, billing, container } = setup();
    const userId = aUserId();
    const token = await signToken({ sub: userId, country: 'US' });
    const sessionId = await startCheckout(token);
    const body = stripeEvent('checkout.session.completed', paidCheckoutSession({ sessionId, purpose: 'plan', subscription: 'sub_webhook_1' }));

    const first = await deliverStripe(body);
    const again = await deliverStripe(body);

    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ received: true, outcome: 'applied' });
    expect(await again.json()).toEqual({ received: true, outcome: 'duplicate' });
    expect(await billing(token)).toMatchObject({ planTier: 'pro', billingInterval: 'yearly', status: 'active' });
    expect(await resolve(container, PLAN_CHANGE_REPOSITORY).listForUser(userId, 10)).toHaveLength(1);
  });

  it('credits a deposit on checkout.session.completed once, and verify then agrees', async () => {
    const { deliverStripe, request, graphql } = setup();
    const token = await signToken({ sub: aUserId(), country: 'US' });
    const { data } = await graphql(`mutation { startDeposit(amountCents: 2500, successUrl: "${URLS.successUrl}", cancelUrl: "${URLS.cancelUrl}") { sessionId } }`, { token });
    const sessionId = data.startDeposit.sessionId as string;
    const body = stripeEvent('checkout.session.completed', paidCheckoutSession({ sessionId, purpose: 'deposit' }));

    await Promise.all([deliverStripe(body), deliverStripe(body), deliverStripe(body)]);
    const verified = await request(`/api/balance/verify?session_id=${sessionId}`, { token });

    expect(verified.json()).toEqual({ deposited: true, amount_cents: 2_500 });
    expect((await graphql('{ wallet { balanceCents } }', { token })).data.wallet.balanceCents).toBe(2_500);
  });

  it('applies a payment seen by verify-session and the webhook at the same time once', async () => {
    const { deliverStripe, startCheckout, request, container } = setup();
    const userId = aUserId();
    const token = await signToken({ sub: userId, country: 'US' });
    const sessionId = await startCheckout(token);
    const body = stripeEvent('checkout.session.completed', paidCheckoutSession({ sessionId, purpose: 'plan' }));

    await Promise.all([
      deliverStripe(body),
      ...Array.from({ length: 10 }, () => request(`/api/billing/verify-session?session_id=${sessionId}`, { token })),
    ]);

    expect(await resolve(container, PLAN_CHANGE_REPOSITORY).listForUser(userId, 10)).toHaveLength(1);
  });

  it('follows subscription updates in event-time order: an older update never overwrites a newer one', async () => {
    const { deliverStripe, startCheckout, billing } = setup(PRICES, { stripe: new SandboxPaymentGateway(new SandboxProvider({ publicUrl: 'http://localhost', ids: new UuidV7IdGenerator(), clock: new SystemClock() }), { region: 'stripe' }) });
    const userId = aUserId();
    const token = await signToken({ sub: userId, country: 'US' });
    await deliverStripe(stripeEvent('checkout.session.completed', paidCheckoutSession({ sessionId: await startCheckout(token), purpose: 'plan', subscription: `sub_${userId}` })));
    const periodEnd = new Date('2027-06-01T00:00:00Z');
    const newer = stripeEvent('customer.subscription.updated', subscriptionObject({ id: `sub_${userId}`, status: 'active', priceId: 'price_bm', periodEnd }), { createdAt: new Date('2026-11-22T12:00:10Z') });
    const older = stripeEvent('customer.subscription.updated', subscriptionObject({ id: `sub_${userId}`, status: 'past_due', priceId: 'price_sm', periodEnd }), { createdAt: new Date('2026-11-22T12:00:00Z') });

    const applied = await (await deliverStripe(newer)).json();
    const stale = await (await deliverStripe(older)).json();

    expect([applied.outcome, stale.outcome]).toEqual(['applied', 'stale']);
    expect(await billing(token)).toEqual({ planTier: 'business', billingInterval: 'monthly', status: 'active', currentPeriodEnd: periodEnd.toISOString() });
  });

  it('marks the plan past due on invoice.payment_failed, active again on payment, and free when the subscription is deleted', async () => {
    const { deliverStripe, startCheckout, billing } = setup();
    const userId = aUserId();
    const token = await signToken({ sub: userId, country: 'US' });
    const subscriptionId = `sub_${userId}`;
    await deliverStripe(stripeEvent('checkout.session.completed', paidCheckoutSession({ sessionId: await startCheckout(token, 'starter', 'monthly'), purpose: 'plan', subscription: subscriptionId })));
    const renewedUntil = new Date('2027-01-22T00:00:00Z');
    const at = (seconds: number) => ({ createdAt: new Date(Date.UTC(2026, 10, 22, 13, 0, seconds)) });

    await deliverStripe(stripeEvent('invoice.payment_failed', invoiceObject({ subscriptionId, periodEnd: renewedUntil }), at(1)));
    const pastDue = await billing(token);
    await deliverStripe(stripeEvent('invoice.payment_succeeded', invoiceObject({ subscriptionId, periodEnd: renewedUntil }), at(2)));
    const renewed = await billing(token);
    await deliverStripe(stripeEvent('customer.subscription.deleted', subscriptionObject({ id: subscriptionId, status: 'canceled', priceId: 'price_sm', periodEnd: renewedUntil }), at(3)));
    const ended = await billing(token);

    expect(pastDue).toMatchObject({ planTier: 'starter', status: 'past_due' });
    expect(renewed).toMatchObject({ planTier: 'starter', status: 'active', currentPeriodEnd: renewedUntil.toISOString() });
    expect(ended).toEqual({ planTier: 'free', billingInterval: null, status: 'active', currentPeriodEnd: null });
  });

  it('records an event type it does not act on as ignored, with 200, and once', async () => {
    const { deliverStripe, eventCount } = setup();
    const before = await eventCount('stripe');

    const body = stripeEvent('plan.created', { id: 'plan_x', object: 'plan' });
    const response = await deliverStripe(body);
    const again = await deliverStripe(body);

    expect(await response.json()).toEqual({ received: true, outcome: 'ignored' });
    expect(await again.json()).toEqual({ received: true, outcome: 'duplicate' });
    expect(await eventCount('stripe')).toBe(before + 1);
  });

  it('upgrades an Indian account on Razorpay payment_link.paid, once per event id', async () => {
    const { deliverRazorpay, startCheckout, billing } = setup();
    const token = await signToken({ sub: aUserId(), country: 'IN' });
    const sessionId = await startCheckout(token, 'pro', 'monthly');
    const body = razorpayEvent('payment_link.paid', {
      payment_link: { id: 'plink_test_1', status: 'paid', reference_id: sessionId, amount: 416_500, amount_paid: 416_500, currency: 'INR', notes: { purpose: 'plan', checkout_session_id: sessionId } },
      payment: { id: 'pay_test_1', status: 'captured', amount: 416_500, currency: 'INR' },
    });

    const first = await deliverRazorpay(body, `evt_rzp_${sessionId}`);
    const again = await deliverRazorpay(body, `evt_rzp_${sessionId}`);

    expect(await first.json()).toEqual({ received: true, outcome: 'applied' });
    expect(await again.json()).toEqual({ received: true, outcome: 'duplicate' });
    expect(await billing(token)).toMatchObject({ planTier: 'pro', billingInterval: 'monthly', status: 'active' });
  });

  it('accepts Razorpay events signed with the old or the new secret during a rotation', async () => {
    const { deliverRazorpay } = setup({ RAZORPAY_WEBHOOK_SECRET: `new-secret-${RAZORPAY_WEBHOOK_SECRET},${RAZORPAY_WEBHOOK_SECRET}` });
    const body = razorpayEvent('payment.failed', { payment: { id: 'pay_failed', status: 'failed' } });

    const old = await deliverRazorpay(body, `evt_old_${aUserId()}`, razorpaySignature(body));
    const fresh = await deliverRazorpay(body, `evt_new_${aUserId()}`, razorpaySignature(body, `new-secret-${RAZORPAY_WEBHOOK_SECRET}`));

    expect([old.status, fresh.status]).toEqual([200, 200]);
  });

  it('completes on checkout.session.async_payment_succeeded and closes on async_payment_failed and expired', async () => {
    const { deliverStripe, startCheckout, billing, request } = setup();
    const token = await signToken({ sub: aUserId(), country: 'US' });
    const pending = await startCheckout(token);
    const failed = await startCheckout(token, 'starter', 'monthly');
    const expired = await startCheckout(token, 'business', 'monthly');
    const unpaid = { ...paidCheckoutSession({ sessionId: pending, purpose: 'plan' }), payment_status: 'unpaid' };

    const waiting = await (await deliverStripe(stripeEvent('checkout.session.completed', unpaid))).json();
    await deliverStripe(stripeEvent('checkout.session.async_payment_failed', paidCheckoutSession({ sessionId: failed, purpose: 'plan' })));
    await deliverStripe(stripeEvent('checkout.session.expired', paidCheckoutSession({ sessionId: expired, purpose: 'plan' })));
    await deliverStripe(stripeEvent('checkout.session.async_payment_succeeded', paidCheckoutSession({ sessionId: pending, purpose: 'plan' })));

    expect(waiting.outcome).toBe('ignored');
    expect((await billing(token)).planTier).toBe('pro');
    expect((await request(`/api/billing/verify-session?session_id=${failed}`, { token })).json().error).toMatch(/canceled/);
    expect((await request(`/api/billing/verify-session?session_id=${expired}`, { token })).json().error).toMatch(/expired/);
  });

  it('follows a Razorpay subscription: activated, halted (past due), charged (active) and cancelled (free)', async () => {
    const { deliverRazorpay, billing } = setup();
    const userId = aUserId();
    const token = await signToken({ sub: userId, country: 'IN' });
    await billing(token);
    const subscription = (status: string, currentEnd: number) => ({
      id: `sub_rzp_${userId}`,
      status,
      current_end: currentEnd,
      customer_id: `cust_${userId}`,
      notes: { user_id: userId, tier: 'starter', billing_interval: 'yearly' },
    });
    const at = (minute: number) => new Date(Date.UTC(2026, 10, 22, 14, minute));
    const states = [];
    for (const [n, [event, status]] of ([
      ['subscription.activated', 'active'],
      ['subscription.halted', 'halted'],
      ['subscription.charged', 'active'],
      ['subscription.cancelled', 'cancelled'],
    ] as const).entries()) {
      await deliverRazorpay(razorpayEvent(event, { subscription: subscription(status, 1_830_000_000) }, at(n)), `evt_${event}_${userId}`);
      states.push(await billing(token));
    }

    expect(states.map((state) => [state.planTier, state.status])).toEqual([
      ['starter', 'active'],
      ['starter', 'past_due'],
      ['starter', 'active'],
      ['free', 'active'],
    ]);
    expect(states[0].currentPeriodEnd).toBe(new Date(1_830_000_000 * 1000).toISOString());
  });

  it('completes a Razorpay checkout on payment.captured carrying our session in its notes', async () => {
    const { deliverRazorpay, startCheckout, billing } = setup();
    const token = await signToken({ sub: aUserId(), country: 'IN' });
    const sessionId = await startCheckout(token, 'business', 'yearly');

    const response = await deliverRazorpay(
      razorpayEvent('payment.captured', { payment: { id: `pay_${sessionId}`, status: 'captured', notes: { checkout_session_id: sessionId, purpose: 'plan' } } }),
      `evt_captured_${sessionId}`,
    );

    expect((await response.json()).outcome).toBe('applied');
    expect((await billing(token)).planTier).toBe('business');
  });

  describe('refunds and disputes of deposits', () => {
    async function depositThroughWebhook(testApp: ReturnType<typeof setup>, cents: number) {
      const userId = aUserId();
      const token = await signToken({ sub: userId, country: 'US' });
      const { data } = await testApp.graphql(`mutation { startDeposit(amountCents: ${cents}, successUrl: "${URLS.successUrl}", cancelUrl: "${URLS.cancelUrl}") { sessionId } }`, { token });
      const paymentIntent = `pi_${userId}`;
      await testApp.deliverStripe(stripeEvent('checkout.session.completed', paidCheckoutSession({ sessionId: data.startDeposit.sessionId, purpose: 'deposit', paymentIntent })));
      const wallet = async () => (await testApp.graphql('{ wallet { balanceCents flagged } }', { token })).data.wallet;
      return { userId, token, paymentIntent, wallet };
    }

    it('takes a partial and then a full refund back from the wallet, once each', async () => {
      const testApp = setup();
      const { paymentIntent, wallet } = await depositThroughWebhook(testApp, 2_500);

      await testApp.deliverStripe(stripeEvent('charge.refunded', refundedCharge(paymentIntent, 1_000)));
      const afterPartial = await wallet();
      const repeated = await (await testApp.deliverStripe(stripeEvent('charge.refunded', refundedCharge(paymentIntent, 1_000)))).json();
      await testApp.deliverStripe(stripeEvent('charge.refunded', refundedCharge(paymentIntent, 2_500)));

      expect(afterPartial).toEqual({ balanceCents: 1_500, flagged: false });
      expect(repeated.outcome).toBe('ignored');
      expect(await wallet()).toEqual({ balanceCents: 0, flagged: false });
    });

    it('lets a refund of money already spent take the wallet below zero, and flags it', async () => {
      const testApp = setup();
      const { userId, paymentIntent, wallet } = await depositThroughWebhook(testApp, 1_000);
      const service = await signToken({ sub: 'marketplace', role: 'service' });
      await testApp.graphql('mutation ($input: ChargeToolCallInput!) { chargeToolCall(input: $input) { chargeId } }', {
        token: service,
        variables: { input: { consumerId: userId, creatorId: 'creator', toolId: 't', priceCents: 800, idempotencyKey: `spend-${userId}` } },
      });

      await testApp.deliverStripe(stripeEvent('charge.refunded', refundedCharge(paymentIntent, 1_000)));

      expect(await wallet()).toEqual({ balanceCents: -800, flagged: true });
    });

    it('takes a disputed deposit back and returns it when the dispute is won', async () => {
      const testApp = setup();
      const { paymentIntent, wallet } = await depositThroughWebhook(testApp, 2_000);

      await testApp.deliverStripe(stripeEvent('charge.dispute.created', dispute(paymentIntent, 2_000, 'needs_response')));
      const disputed = await wallet();
      await testApp.deliverStripe(stripeEvent('charge.dispute.closed', dispute(paymentIntent, 2_000, 'won')));

      expect(disputed.balanceCents).toBe(0);
      expect(await wallet()).toEqual({ balanceCents: 2_000, flagged: false });
    });

    it('takes a deposit back on a Razorpay dispute and returns it when won', async () => {
      const testApp = setup();
      const userId = aUserId();
      const token = await signToken({ sub: userId, country: 'IN' });
      const { data } = await testApp.graphql(`mutation { startDeposit(amountCents: 1000, successUrl: "${URLS.successUrl}", cancelUrl: "${URLS.cancelUrl}") { sessionId } }`, { token });
      await testApp.deliverRazorpay(
        razorpayEvent('payment_link.paid', {
          payment_link: { id: `plink_${userId}`, reference_id: data.startDeposit.sessionId, notes: { purpose: 'deposit' } },
          payment: { id: `pay_${userId}` },
        }),
        `evt_paid_${userId}`,
      );
      const balance = async () => (await testApp.graphql('{ wallet { balanceCents } }', { token })).data.wallet.balanceCents;
      const disputeOf = (event: string) => razorpayEvent(event, { dispute: { id: `disp_${userId}`, payment_id: `pay_${userId}`, amount: 85_000 } });

      await testApp.deliverRazorpay(disputeOf('payment.dispute.created'), `evt_dc_${userId}`);
      const disputed = await balance();
      await testApp.deliverRazorpay(disputeOf('payment.dispute.won'), `evt_dw_${userId}`);

      expect(disputed).toBe(0);
      expect(await balance()).toBe(1_000);
    });

    it('takes back the same share of the US cents credited when a Razorpay deposit in INR is half refunded', async () => {
      const testApp = setup({ INR_PER_USD: '83.25' });
      const userId = aUserId();
      const token = await signToken({ sub: userId, country: 'IN' });
      const { data } = await testApp.graphql(`mutation { startDeposit(amountCents: 2500, successUrl: "${URLS.successUrl}", cancelUrl: "${URLS.cancelUrl}") { sessionId } }`, { token });
      const sessionId = data.startDeposit.sessionId as string;
      await testApp.deliverRazorpay(
        razorpayEvent('payment_link.paid', {
          payment_link: { id: `plink_${userId}`, status: 'paid', reference_id: sessionId, amount: 208_125, amount_paid: 208_125, notes: { purpose: 'deposit' } },
          payment: { id: `pay_${userId}`, amount: 208_125, status: 'captured' },
        }),
        `evt_paid_${userId}`,
      );

      await testApp.deliverRazorpay(
        razorpayEvent('refund.processed', { refund: { id: `rfnd_${userId}`, payment_id: `pay_${userId}`, amount: 104_062 }, payment: { id: `pay_${userId}`, amount_refunded: 104_062 } }),
        `evt_refund_${userId}`,
      );

      expect((await testApp.graphql('{ wallet { balanceCents } }', { token })).data.wallet.balanceCents).toBe(1_250);
    });
  });

  it('lets an admin list events and replay one that arrived before its account existed', async () => {
    const { deliverStripe, graphql, billing } = setup(PRICES, { stripe: new SandboxPaymentGateway(new SandboxProvider({ publicUrl: 'http://localhost', ids: new UuidV7IdGenerator(), clock: new SystemClock() }), { region: 'stripe' }) });
    const userId = aUserId();
    const admin = await signToken({ sub: 'admin-1', role: 'admin' });
    const periodEnd = new Date('2027-03-01T00:00:00Z');
    const early = stripeEvent('customer.subscription.updated', subscriptionObject({ id: `sub_${userId}`, status: 'active', priceId: 'price_py', periodEnd, userId, customer: `cus_${userId}` }));
    const eventId = JSON.parse(early).id as string;

    expect((await (await deliverStripe(early)).json()).outcome).toBe('ignored');
    const token = await signToken({ sub: userId, country: 'US' });
    expect((await billing(token)).planTier).toBe('free');
    const listed = await graphql('{ webhookEvents(provider: "stripe", outcome: "ignored", first: 50) { edges { node { id type outcome } } hasNextPage } }', { token: admin });
    const replayed = await graphql(`mutation { replayWebhookEvent(id: "stripe:${eventId}") { id outcome } }`, { token: admin });
    const forbidden = await graphql('{ webhookEvents { hasNextPage } }', { token });

    expect(listed.data.webhookEvents.edges).toContainEqual({ node: { id: `stripe:${eventId}`, type: 'customer.subscription.updated', outcome: 'ignored' } });
    expect(replayed.data.replayWebhookEvent).toEqual({ id: `stripe:${eventId}`, outcome: 'applied' });
    expect(await billing(token)).toEqual({ planTier: 'pro', billingInterval: 'yearly', status: 'active', currentPeriodEnd: periodEnd.toISOString() });
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  describe('refusing what Stripe did not just sign, writing nothing', () => {
    const body = () => stripeEvent('checkout.session.completed', paidCheckoutSession({ sessionId: 'nope', purpose: 'plan' }));
    const nowSeconds = () => Math.floor(Date.now() / 1000);

    it.each([
      ['a forged signature', (b: string) => stripeSignature(b, { secret: 'whsec_someone_else' })],
      ['a stale timestamp', (b: string) => stripeSignature(b, { timestamp: nowSeconds() - 301 })],
      ['a timestamp in the future', (b: string) => stripeSignature(b, { timestamp: nowSeconds() + 301 })],
      ['a body altered after signing', (b: string) => stripeSignature(b.replace('"paid"', '"unpaid"'))],
      ['garbage', () => 't=1,v1=00'],
    ])('refuses %s with 400', async (_name, sign) => {
      const { deliverStripe, eventCount } = setup();
      const before = await eventCount('stripe');
      const payload = body();

      const response = await deliverStripe(payload, sign(payload));

      expect(response.status).toBe(400);
      expect((await response.json()).error).toBeTruthy();
      expect(await eventCount('stripe')).toBe(before);
    });

    it('refuses a delivery without the header', async () => {
      const { app } = setup();
      const response = await app.request('/api/billing/webhook', { method: 'POST', body: body() });

      expect(response.status).toBe(400);
    });

    it('refuses a thin event payload, saying it is not supported', async () => {
      const { deliverStripe } = setup();
      const thin = JSON.stringify({ id: 'evt_thin', object: 'v2.core.event', type: 'v1.billing.meter.error_report_triggered', created: '2026-11-22T00:00:00Z' });

      const response = await deliverStripe(thin);

      expect(response.status).toBe(400);
      expect((await response.json()).error).toMatch(/thin/);
    });

    it('refuses every delivery with 503 when no secret is configured', async () => {
      const testApp = makeTestApp({ database, env: {} });
      const payload = body();

      const stripe = await testApp.app.request('/api/billing/webhook', { method: 'POST', headers: { 'stripe-signature': stripeSignature(payload) }, body: payload });
      const razorpay = await testApp.app.request('/api/billing/webhook/razorpay', { method: 'POST', headers: { 'x-razorpay-signature': 'x', 'x-razorpay-event-id': 'e' }, body: '{}' });

      expect([stripe.status, razorpay.status]).toEqual([503, 503]);
      expect(testApp.logs()).toContainEqual(expect.objectContaining({ msg: expect.stringContaining('STRIPE_WEBHOOK_SECRET is not configured') }));
    });

    it('refuses a Razorpay delivery with a wrong signature or without an event id', async () => {
      const { deliverRazorpay, eventCount } = setup();
      const payload = razorpayEvent('payment.failed', { payment: { id: 'pay_x' } });
      const before = await eventCount('razorpay');

      const forged = await deliverRazorpay(payload, 'evt_forged', razorpaySignature(payload, 'not-the-secret'));
      const noId = await deliverRazorpay(payload, '');

      expect([forged.status, noId.status]).toEqual([400, 400]);
      expect(await eventCount('razorpay')).toBe(before);
    });
  });
});
