import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Database } from '../../adapters/persistence/database.ts';
import { CHECKOUT_SESSION_REPOSITORY } from '../../application/billing/checkout-session.repository.ts';
import { PLAN_CHANGE_REPOSITORY } from '../../application/billing/plan-change.repository.ts';
import { SyncDepositReversals } from '../../application/wallet/sync-deposit-reversals.service.ts';
import { MAX_ATTEMPTS, retryDelayMs } from '../../application/webhooks/apply-provider-events.use-case.ts';
import { PROVIDER_EVENT_INBOX } from '../../application/webhooks/provider-event-inbox.port.ts';
import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { METRICS, resolve } from '../../api/container.ts';
import { aUserId, FixedClock } from '../support/builders.ts';
import { BACKENDS, openTestDatabase } from '../support/databases.ts';
import { RAZORPAY_WEBHOOK_SECRET, razorpaySignature, STRIPE_WEBHOOK_SECRET, stripeEvent, stripeSignature } from '../support/provider-events.ts';
import { startProviderFakes, type ProviderFakes } from '../support/provider-fakes.ts';
import { inboxCount } from '../support/stored-state.ts';
import { makeTestApp, signToken, STRIPE_PRICE_ENV } from '../support/test-app.ts';

const URLS = { successUrl: 'https://app.aerostack.dev/settings/billing?success=true', cancelUrl: 'https://app.aerostack.dev/settings/billing' };
const DAY_MS = 24 * 60 * 60 * 1000;
const INBOX_FIELDS = 'id provider type subject status attempts lastError note';

describe.each(['memory', ...BACKENDS] as const)('provider events, stored %s', (backend) => {
  let database: Database | undefined;
  let fakes: ProviderFakes;
  beforeAll(async () => {
    fakes = await startProviderFakes();
    if (backend !== 'memory') database = await openTestDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
    await fakes?.stop();
  });

  function setup(options: { env?: Record<string, string>; clock?: FixedClock } = {}) {
    const testApp = makeTestApp({
      database,
      clock: options.clock,
      gateways: fakes.gateways,
      payoutGateways: fakes.payoutGateways,
      env: { STRIPE_WEBHOOK_SECRET, RAZORPAY_WEBHOOK_SECRET, ...options.env },
    });
    const signedAt = () => Math.floor((options.clock ?? new FixedClock(new Date())).now().getTime() / 1000);
    const deliverStripe = async (body: string, signature = stripeSignature(body, { timestamp: signedAt() })) => {
      const response = await testApp.app.request('/api/billing/webhook', { method: 'POST', headers: { 'stripe-signature': signature, 'content-type': 'application/json' }, body });
      return { status: response.status, json: await response.json() };
    };
    const deliverRazorpay = async (body: string, eventId: string, signature = razorpaySignature(body)) => {
      const response = await testApp.app.request('/api/billing/webhook/razorpay', {
        method: 'POST',
        headers: { 'x-razorpay-signature': signature, 'x-razorpay-event-id': eventId, 'content-type': 'application/json' },
        body,
      });
      return { status: response.status, json: await response.json() };
    };
    /** Our session id and the provider's checkout (Stripe session or Razorpay link) it was opened as. */
    const opened = async (sessionId: string) => {
      const session = await resolve(testApp.container, CHECKOUT_SESSION_REPOSITORY).findByReference(sessionId);
      return { sessionId, providerSessionId: session!.providerSessionId! };
    };
    async function startPlanCheckout(token: string, tier = 'pro', billingInterval = 'yearly') {
      const { data, errors } = await testApp.graphql('mutation ($input: StartPlanCheckoutInput!) { startPlanCheckout(input: $input) { sessionId } }', {
        token,
        variables: { input: { tier, billingInterval, ...URLS } },
      });
      expect(errors).toBeUndefined();
      return opened(data.startPlanCheckout.sessionId as string);
    }
    async function startDeposit(token: string, cents: number) {
      const { data, errors } = await testApp.graphql(
        `mutation { startDeposit(amountCents: ${cents}, successUrl: "${URLS.successUrl}", cancelUrl: "${URLS.cancelUrl}") { sessionId } }`,
        { token },
      );
      expect(errors).toBeUndefined();
      return opened(data.startDeposit.sessionId as string);
    }
    const verifySession = (token: string, sessionId: string) => testApp.request(`/api/billing/verify-session?session_id=${sessionId}`, { token });
    const billing = async (token: string) => (await testApp.graphql('{ billing { planTier billingInterval status currentPeriodEnd } }', { token })).data.billing;
    const wallet = async (token: string) => (await testApp.graphql('{ wallet { balanceCents flagged } }', { token })).data.wallet;
    const inbox = resolve(testApp.container, PROVIDER_EVENT_INBOX);
    const eventCount = (provider: PaymentGatewayName) => inboxCount({ container: testApp.container, database }, provider);
    const admin = signToken({ sub: 'ops-admin', role: 'admin', expiresIn: '30d' });
    async function webhookEvents(filter: string) {
      const { data, errors } = await testApp.graphql(`{ webhookEvents(${filter}, first: 100) { edges { node { ${INBOX_FIELDS} } } } }`, { token: await admin });
      expect(errors).toBeUndefined();
      return data.webhookEvents.edges.map((edge: { node: Record<string, unknown> }) => edge.node) as Record<string, unknown>[];
    }
    /** A US user with a paid plan checkout at Stripe, verified: its subscription at the fake and the account on it. */
    async function aStripeSubscriber(tier = 'pro', billingInterval = 'monthly') {
      const userId = aUserId();
      const token = await signToken({ sub: userId, country: 'US', expiresIn: '30d' });
      const checkout = await startPlanCheckout(token, tier, billingInterval);
      const { subscriptionId } = fakes.stripe.completeCheckout(checkout.providerSessionId);
      expect((await verifySession(token, checkout.sessionId)).status).toBe(200);
      return { userId, token, subscriptionId, ...checkout };
    }
    /** A US user whose deposit Stripe took: the fake holds its payment intent; the wallet is credited. */
    async function aStripeDepositor(cents: number) {
      const userId = aUserId();
      const token = await signToken({ sub: userId, country: 'US' });
      const checkout = await startDeposit(token, cents);
      const { paymentIntentId } = fakes.stripe.completeCheckout(checkout.providerSessionId);
      await deliverStripe(fakes.stripe.eventFor('checkout.session.completed', checkout.providerSessionId));
      await testApp.applyEvents();
      expect(await wallet(token)).toEqual({ balanceCents: cents, flagged: false });
      return { userId, token, paymentIntentId: paymentIntentId!, ...checkout };
    }
    return { ...testApp, deliverStripe, deliverRazorpay, startPlanCheckout, startDeposit, verifySession, billing, wallet, inbox, eventCount, webhookEvents, aStripeSubscriber, aStripeDepositor };
  }

  describe('the inbox', () => {
    it('acknowledges a verified delivery with {"received":true} before anything is applied, and a redelivery alike', async () => {
      const { deliverStripe, startDeposit, wallet, applyEvents, eventCount } = setup();
      const token = await signToken({ sub: aUserId(), country: 'US' });
      const { providerSessionId } = await startDeposit(token, 2_500);
      fakes.stripe.completeCheckout(providerSessionId);
      const body = fakes.stripe.eventFor('checkout.session.completed', providerSessionId);
      const before = await eventCount('stripe');

      const first = await deliverStripe(body);
      const again = await deliverStripe(body);
      const unapplied = await wallet(token);
      await applyEvents();

      expect([first, again]).toEqual([
        { status: 200, json: { received: true } },
        { status: 200, json: { received: true } },
      ]);
      expect(unapplied.balanceCents).toBe(0);
      expect(await wallet(token)).toEqual({ balanceCents: 2_500, flagged: false });
      expect(await eventCount('stripe')).toBe(before + 1);
    });

    it('records an event type it does not act on as ignored, with the reason, without a worker', async () => {
      const { deliverStripe, webhookEvents } = setup();
      const body = JSON.stringify({ id: `evt_${aUserId()}`, object: 'event', type: 'plan.created', created: Math.floor(Date.now() / 1000), data: { object: { id: 'plan_x', object: 'plan' } } });

      const response = await deliverStripe(body);

      expect(response.json).toEqual({ received: true });
      expect(await webhookEvents('provider: "stripe", status: "ignored"')).toContainEqual(
        expect.objectContaining({ type: 'plan.created', subject: null, status: 'ignored', note: 'plan.created is not an event this service acts on' }),
      );
    });

    it('credits a deposit once however often and however concurrently its completion is delivered, and verify then agrees', async () => {
      const { deliverStripe, startDeposit, request, wallet, applyEvents } = setup();
      const token = await signToken({ sub: aUserId(), country: 'US' });
      const { sessionId, providerSessionId } = await startDeposit(token, 2_500);
      fakes.stripe.completeCheckout(providerSessionId);
      const events = [fakes.stripe.eventFor('checkout.session.completed', providerSessionId), fakes.stripe.eventFor('checkout.session.completed', providerSessionId)];

      await Promise.all([...events, ...events].map((body) => deliverStripe(body)));
      await Promise.all([applyEvents(), applyEvents(), request(`/api/balance/verify?session_id=${sessionId}`, { token })]);

      expect((await request(`/api/balance/verify?session_id=${sessionId}`, { token })).json()).toEqual({ deposited: true, amount_cents: 2_500 });
      expect(await wallet(token)).toEqual({ balanceCents: 2_500, flagged: false });
    });

    it('upgrades the plan once from the checkout session Stripe holds, whether verify-session or the worker sees it first', async () => {
      const { deliverStripe, startPlanCheckout, verifySession, billing, applyEvents, container } = setup();
      const userId = aUserId();
      const token = await signToken({ sub: userId, country: 'US' });
      const { sessionId, providerSessionId } = await startPlanCheckout(token, 'pro', 'yearly');
      const { currentPeriodEnd } = fakes.stripe.completeCheckout(providerSessionId);

      await deliverStripe(fakes.stripe.eventFor('checkout.session.completed', providerSessionId));
      await Promise.all([applyEvents(), ...Array.from({ length: 10 }, () => verifySession(token, sessionId))]);

      expect(await billing(token)).toEqual({ planTier: 'pro', billingInterval: 'yearly', status: 'active', currentPeriodEnd: new Date(currentPeriodEnd * 1000).toISOString() });
      expect(await resolve(container, PLAN_CHANGE_REPOSITORY).listForUser(userId, 10)).toHaveLength(1);
    });

    it('closes a checkout the provider reports expired, whatever the event type says', async () => {
      const { deliverStripe, startPlanCheckout, verifySession, applyEvents } = setup();
      const token = await signToken({ sub: aUserId(), country: 'US' });
      const expired = await startPlanCheckout(token, 'business', 'monthly');
      fakes.stripe.expireCheckout(expired.providerSessionId);
      const stillOpen = await startPlanCheckout(token, 'starter', 'monthly');

      await deliverStripe(fakes.stripe.eventFor('checkout.session.async_payment_failed', expired.providerSessionId));
      // A forged-looking but signed "completed" for a session that is still open at Stripe changes nothing.
      await deliverStripe(fakes.stripe.eventFor('checkout.session.completed', stillOpen.providerSessionId));
      await applyEvents();

      expect((await verifySession(token, expired.sessionId)).json().error).toMatch(/expired/);
      expect((await verifySession(token, stillOpen.sessionId)).json().error).toMatch(/not paid yet/);
    });

    it('follows a subscription as Stripe holds it: a failed renewal (past due), a paid one (active, next period), deleted (free)', async () => {
      const { deliverStripe, aStripeSubscriber, billing, applyEvents } = setup();
      const { token, subscriptionId } = await aStripeSubscriber('starter', 'monthly');
      const states = [];

      fakes.stripe.setSubscriptionStatus(subscriptionId, 'past_due');
      await deliverStripe(fakes.stripe.eventFor('invoice.payment_failed', subscriptionId));
      await applyEvents();
      states.push(await billing(token));
      const renewed = fakes.stripe.renewSubscription(subscriptionId);
      await deliverStripe(fakes.stripe.eventFor('invoice.paid', subscriptionId));
      await deliverStripe(fakes.stripe.eventFor('customer.subscription.updated', subscriptionId));
      await applyEvents();
      states.push(await billing(token));
      fakes.stripe.cancelSubscriptionNow(subscriptionId);
      await deliverStripe(fakes.stripe.eventFor('customer.subscription.deleted', subscriptionId));
      await applyEvents();
      states.push(await billing(token));

      expect(states).toEqual([
        expect.objectContaining({ planTier: 'starter', status: 'past_due' }),
        { planTier: 'starter', billingInterval: 'monthly', status: 'active', currentPeriodEnd: new Date(renewed.currentPeriodEnd * 1000).toISOString() },
        { planTier: 'free', billingInterval: null, status: 'active', currentPeriodEnd: null },
      ]);
    });

    it('upgrades an Indian account from the subscription Razorpay holds, once however many event ids it comes under', async () => {
      const { deliverRazorpay, startPlanCheckout, billing, applyEvents, eventCount } = setup();
      const token = await signToken({ sub: aUserId(), country: 'IN' });
      const { providerSessionId } = await startPlanCheckout(token, 'pro', 'monthly');
      fakes.razorpay.authorizeSubscription(providerSessionId);
      const body = fakes.razorpay.eventFor('subscription.activated', { subscription: providerSessionId });
      const before = await eventCount('razorpay');

      const answers = await Promise.all([deliverRazorpay(body, `evt_a_${providerSessionId}`), deliverRazorpay(body, `evt_b_${providerSessionId}`)]);
      await applyEvents();

      expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
      expect(await eventCount('razorpay')).toBe(before + 1);
      expect(await billing(token)).toMatchObject({ planTier: 'pro', billingInterval: 'monthly', status: 'active' });
    });

    it('accepts Razorpay events signed with the old or the new secret during a rotation', async () => {
      const { deliverRazorpay } = setup({ env: { RAZORPAY_WEBHOOK_SECRET: `new-secret-${RAZORPAY_WEBHOOK_SECRET},${RAZORPAY_WEBHOOK_SECRET}` } });
      const body = (n: number) => JSON.stringify({ entity: 'event', event: 'payment.failed', contains: [], payload: { payment: { entity: { id: `pay_failed_${n}` } } }, created_at: 1_780_000_000 });

      const old = await deliverRazorpay(body(1), `evt_old_${aUserId()}`, razorpaySignature(body(1)));
      const fresh = await deliverRazorpay(body(2), `evt_new_${aUserId()}`, razorpaySignature(body(2), `new-secret-${RAZORPAY_WEBHOOK_SECRET}`));

      expect([old.status, fresh.status]).toEqual([200, 200]);
    });
  });

  describe('refunds and disputes of deposits, from the payment as the provider holds it', () => {
    it('takes a partial and then a full refund back from the wallet, once each however often they are told', async () => {
      const { deliverStripe, aStripeDepositor, wallet, applyEvents } = setup();
      const { token, paymentIntentId } = await aStripeDepositor(2_500);

      fakes.stripe.refund(paymentIntentId, 1_000);
      const partial = fakes.stripe.eventFor('charge.refunded', paymentIntentId);
      await deliverStripe(partial);
      await applyEvents();
      const afterPartial = await wallet(token);
      await deliverStripe(fakes.stripe.eventFor('charge.refunded', paymentIntentId));
      await applyEvents();
      const repeated = await wallet(token);
      fakes.stripe.refund(paymentIntentId, 1_500);
      await deliverStripe(fakes.stripe.eventFor('charge.refunded', paymentIntentId));
      await applyEvents();

      expect(afterPartial).toEqual({ balanceCents: 1_500, flagged: false });
      expect(repeated).toEqual({ balanceCents: 1_500, flagged: false });
      expect(await wallet(token)).toEqual({ balanceCents: 0, flagged: false });
    });

    it('moves no wallet by a refund Stripe states in another currency than the deposit was charged in, and lists it as failed', async () => {
      const { deliverStripe, aStripeDepositor, wallet, applyEvents, webhookEvents } = setup();
      const { token, paymentIntentId } = await aStripeDepositor(2_500);
      fakes.stripe.refund(paymentIntentId, 1_000);
      // The payment stays in USD; its charge now states what it refunded in euros: 1,000 of them are not 1,000 US cents.
      fakes.stripe.charge(String(fakes.stripe.paymentIntent(paymentIntentId)!['latest_charge']))!['currency'] = 'eur';

      await deliverStripe(fakes.stripe.eventFor('charge.refunded', paymentIntentId));
      await applyEvents();

      expect(await wallet(token)).toEqual({ balanceCents: 2_500, flagged: false });
      const [refused] = (await webhookEvents('provider: "stripe", status: "failed"')).filter((event) => event['subject'] === `payment:${paymentIntentId}`);
      expect(refused?.['note']).toMatch(new RegExp(`refunds of payment ${paymentIntentId} in EUR .* charged in USD`));
    });

    it('moves no wallet by a dispute Stripe states in another currency than the deposit was charged in, and lists it as failed', async () => {
      const { deliverStripe, aStripeDepositor, wallet, applyEvents, webhookEvents } = setup();
      const { token, paymentIntentId } = await aStripeDepositor(2_500);
      const disputeId = fakes.stripe.openDispute(paymentIntentId, 1_000);
      fakes.stripe.dispute(disputeId)!['currency'] = 'eur';

      await deliverStripe(fakes.stripe.eventFor('charge.dispute.created', disputeId));
      await applyEvents();

      expect(await wallet(token)).toEqual({ balanceCents: 2_500, flagged: false });
      const [refused] = (await webhookEvents('provider: "stripe", status: "failed"')).filter((event) => event['subject'] === `payment:${paymentIntentId}`);
      expect(refused?.['note']).toMatch(new RegExp(`disputes of payment ${paymentIntentId} in EUR .* charged in USD`));
    });

    it('lets a refund of money already spent take the wallet below zero, and flags it', async () => {
      const { deliverStripe, aStripeDepositor, wallet, applyEvents, graphql } = setup();
      const { userId: consumerId, token, paymentIntentId } = await aStripeDepositor(1_000);
      const service = await signToken({ sub: 'marketplace', role: 'service' });
      await graphql('mutation ($input: ChargeToolCallInput!) { chargeToolCall(input: $input) { chargeId } }', {
        token: service,
        variables: { input: { consumerId, creatorId: 'creator', toolId: 't', priceCents: 800, idempotencyKey: `spend-${consumerId}` } },
      });

      fakes.stripe.refund(paymentIntentId, 1_000);
      await deliverStripe(fakes.stripe.eventFor('charge.refunded', paymentIntentId));
      await applyEvents();

      expect(await wallet(token)).toEqual({ balanceCents: -800, flagged: true });
    });

    it('looks again at a refund that arrived before its deposit completed, once the deposit does', async () => {
      const { deliverStripe, startDeposit, wallet, applyEvents, webhookEvents } = setup();
      const token = await signToken({ sub: aUserId(), country: 'US' });
      const { providerSessionId } = await startDeposit(token, 2_000);
      const { paymentIntentId } = fakes.stripe.completeCheckout(providerSessionId);
      fakes.stripe.refund(paymentIntentId!, 500);

      await deliverStripe(fakes.stripe.eventFor('charge.refunded', paymentIntentId!));
      await applyEvents();
      const early = (await webhookEvents('provider: "stripe", status: "ignored"')).find((event) => event['subject'] === `payment:${paymentIntentId}`);
      await deliverStripe(fakes.stripe.eventFor('checkout.session.completed', providerSessionId));
      await applyEvents();

      expect(early).toBeDefined();
      expect(await wallet(token)).toEqual({ balanceCents: 1_500, flagged: false });
    });

    it('takes a Razorpay deposit back while its dispute is open and gives it back when it is won', async () => {
      const { deliverRazorpay, startDeposit, wallet, applyEvents } = setup();
      const token = await signToken({ sub: aUserId(), country: 'IN' });
      const { providerSessionId } = await startDeposit(token, 1_000);
      fakes.razorpay.payLink(providerSessionId);
      await deliverRazorpay(fakes.razorpay.eventFor('payment_link.paid', { payment_link: providerSessionId }), `evt_paid_${providerSessionId}`);
      await applyEvents();
      const paymentId = fakes.razorpay.link(providerSessionId)!.payments![0]!['payment_id'] as string;

      const disputeId = fakes.razorpay.openDispute(paymentId, 85_000);
      await deliverRazorpay(fakes.razorpay.eventFor('payment.dispute.created', { dispute: disputeId }), `evt_dc_${disputeId}`);
      await applyEvents();
      const disputed = await wallet(token);
      fakes.razorpay.setDisputeStatus(disputeId, 'won');
      await deliverRazorpay(fakes.razorpay.eventFor('payment.dispute.won', { dispute: disputeId }), `evt_dw_${disputeId}`);
      await applyEvents();

      expect(disputed.balanceCents).toBe(0);
      expect(await wallet(token)).toEqual({ balanceCents: 1_000, flagged: false });
    });

    it('takes back the same share of the US cents credited when a Razorpay deposit in INR is half refunded', async () => {
      const { deliverRazorpay, startDeposit, wallet, applyEvents } = setup({ env: { INR_PER_USD: '83.25' } });
      const token = await signToken({ sub: aUserId(), country: 'IN' });
      const { providerSessionId } = await startDeposit(token, 2_500);
      fakes.razorpay.payLink(providerSessionId);
      await deliverRazorpay(fakes.razorpay.eventFor('payment_link.paid', { payment_link: providerSessionId }), `evt_paid_${providerSessionId}`);
      await applyEvents();
      const paymentId = fakes.razorpay.link(providerSessionId)!.payments![0]!['payment_id'] as string;

      const refundId = fakes.razorpay.refundPayment(paymentId, 104_062);
      await deliverRazorpay(fakes.razorpay.eventFor('refund.processed', { refund: refundId, payment: paymentId }), `evt_refund_${refundId}`);
      await applyEvents();

      expect((await wallet(token)).balanceCents).toBe(1_250);
    });
  });

  describe('what the service trusts', () => {
    it('an event about a subscription the account no longer holds never ends the plan it pays for now (D1)', async () => {
      const { deliverStripe, startPlanCheckout, verifySession, billing, applyEvents } = setup();
      const token = await signToken({ sub: aUserId(), country: 'US' });
      const older = await startPlanCheckout(token, 'pro', 'monthly');
      const newer = await startPlanCheckout(token, 'business', 'monthly');
      // The older one's payment was under way as the newer one was opened: Stripe confirms it although it expired.
      const { subscriptionId: oldSubscription } = fakes.stripe.completeCheckout(older.providerSessionId, { evenIfExpired: true });
      await verifySession(token, older.sessionId);
      fakes.stripe.completeCheckout(newer.providerSessionId);
      // The newer one stands: the older subscription is canceled at Stripe (and refunded) as it completes.
      await verifySession(token, newer.sessionId);

      await deliverStripe(fakes.stripe.eventFor('customer.subscription.updated', oldSubscription, { createdAt: new Date(Date.now() + 1_000) }));
      await deliverStripe(fakes.stripe.eventFor('customer.subscription.deleted', oldSubscription, { createdAt: new Date(Date.now() + 2_000) }));
      await applyEvents();

      expect(await billing(token)).toMatchObject({ planTier: 'business', status: 'active' });
    });

    it("a signed checkout completion naming another user's unpaid session in its metadata credits nothing, and is listed as failed (D3)", async () => {
      const { deliverStripe, startDeposit, wallet, applyEvents, webhookEvents, container } = setup();
      const victim = await signToken({ sub: aUserId(), country: 'US' });
      const { sessionId: victimSession } = await startDeposit(victim, 50_000);
      // A $5.00 checkout someone opened at the same Stripe account (not through this service), its metadata naming the victim's session.
      const foreign = await fakeStripeCheckout(fakes, { amountCents: 500, metadata: { checkout_session_id: victimSession, purpose: 'deposit' } });
      fakes.stripe.completeCheckout(foreign);

      await deliverStripe(fakes.stripe.eventFor('checkout.session.completed', foreign));
      await applyEvents();

      expect(await wallet(victim)).toEqual({ balanceCents: 0, flagged: false });
      const [failed] = (await webhookEvents('provider: "stripe", status: "failed"')).filter((event) => event['subject'] === `checkout:${foreign}`);
      expect(failed).toMatchObject({ status: 'failed', note: expect.stringContaining(victimSession) });
      expect(await metric(container, 'billing_provider_events_total{provider="stripe",status="failed"}')).toBeGreaterThanOrEqual(1);
    });

    it('a Razorpay payment whose notes name a session it did not pay credits nothing, and is listed as failed (D3)', async () => {
      const { deliverRazorpay, startDeposit, wallet, applyEvents, webhookEvents } = setup();
      const victim = await signToken({ sub: aUserId(), country: 'IN' });
      const { sessionId } = await startDeposit(victim, 50_000);
      const paymentId = fakes.razorpay.createPayment({ amount: 100, notes: { checkout_session_id: sessionId, purpose: 'deposit' } });

      await deliverRazorpay(fakes.razorpay.eventFor('payment.captured', { payment: paymentId }), `evt_captured_${paymentId}`);
      await applyEvents();

      expect(await wallet(victim)).toEqual({ balanceCents: 0, flagged: false });
      expect((await webhookEvents('provider: "razorpay", status: "failed"')).map((event) => event['subject'])).toContain(`payment:${paymentId}`);
    });

    it('refuses a paid checkout whose amount is not the one we asked for, crediting nothing', async () => {
      const { deliverRazorpay, startDeposit, wallet, applyEvents, webhookEvents } = setup();
      const token = await signToken({ sub: aUserId(), country: 'IN' });
      const { providerSessionId } = await startDeposit(token, 10_000);
      // The link's amount edited at Razorpay before it was paid: the payment is real, but not the deposit we asked for.
      Object.assign(fakes.razorpay.link(providerSessionId)!, { amount: 100 });
      fakes.razorpay.payLink(providerSessionId);

      await deliverRazorpay(fakes.razorpay.eventFor('payment_link.paid', { payment_link: providerSessionId }), `evt_${providerSessionId}`);
      await applyEvents();

      expect(await wallet(token)).toEqual({ balanceCents: 0, flagged: false });
      const [refused] = (await webhookEvents('provider: "razorpay", status: "failed"')).filter((event) => event['subject'] === `checkout:${providerSessionId}`);
      expect(refused?.['note']).toMatch(/asked for 850000 INR/);
    });

    it('an older plan checkout Stripe confirms by webhook after the newer one was verified is canceled at once and refunded, and the newer plan stands', async () => {
      const { deliverStripe, startPlanCheckout, verifySession, billing, applyEvents, container } = setup();
      const token = await signToken({ sub: aUserId(), country: 'US' });
      // Two checkouts (two tabs): the older one's payment was under way when the newer one expired it.
      const older = await startPlanCheckout(token, 'pro', 'monthly');
      const newer = await startPlanCheckout(token, 'business', 'monthly');
      const { subscriptionId: olderSubscription, paymentIntentId } = fakes.stripe.completeCheckout(older.providerSessionId, { evenIfExpired: true });
      fakes.stripe.completeCheckout(newer.providerSessionId);

      await verifySession(token, newer.sessionId);
      await deliverStripe(fakes.stripe.eventFor('checkout.session.completed', older.providerSessionId));
      await applyEvents();
      await deliverStripe(fakes.stripe.eventFor('customer.subscription.deleted', olderSubscription));
      await applyEvents();

      expect(await billing(token)).toMatchObject({ planTier: 'business', status: 'active' });
      expect(fakes.stripe.subscription(olderSubscription)).toMatchObject({ status: 'canceled' });
      expect(fakes.stripe.charge(String(fakes.stripe.paymentIntent(paymentIntentId!)!['latest_charge']))).toMatchObject({ amount_refunded: 4_900, refunded: true });
      expect((await resolve(container, CHECKOUT_SESSION_REPOSITORY).findByReference(older.sessionId))!.reviewReason).toMatch(/opened later, stands/);
    });

    it.each(['paused', 'unpaid'] as const)('a Stripe subscription that is %s grants no tier but stays the account’s', async (status) => {
      const { deliverStripe, aStripeSubscriber, billing, applyEvents } = setup();
      const { token, subscriptionId } = await aStripeSubscriber('pro', 'monthly');

      fakes.stripe.setSubscriptionStatus(subscriptionId, status);
      await deliverStripe(fakes.stripe.eventFor('customer.subscription.updated', subscriptionId));
      await applyEvents();
      const lapsed = await billing(token);
      fakes.stripe.setSubscriptionStatus(subscriptionId, 'active');
      await deliverStripe(fakes.stripe.eventFor('invoice.paid', subscriptionId));
      await applyEvents();

      expect(lapsed.planTier).toBe('free');
      expect((await billing(token)).planTier).toBe('pro');
    });

    it("a late event about a Razorpay payment's first dispute, won, gives nothing back while its second dispute holds the money", async () => {
      const { deliverRazorpay, startDeposit, wallet, applyEvents } = setup();
      const token = await signToken({ sub: aUserId(), country: 'IN' });
      const { providerSessionId } = await startDeposit(token, 1_000);
      fakes.razorpay.payLink(providerSessionId);
      await deliverRazorpay(fakes.razorpay.eventFor('payment_link.paid', { payment_link: providerSessionId }), `evt_${providerSessionId}`);
      await applyEvents();
      const paymentId = fakes.razorpay.link(providerSessionId)!.payments![0]!['payment_id'] as string;
      const paise = fakes.razorpay.payment(paymentId)!.amount;
      const chargeback = fakes.razorpay.openDispute(paymentId, paise);
      await deliverRazorpay(fakes.razorpay.eventFor('payment.dispute.created', { dispute: chargeback }), `evt_${chargeback}_created`);
      await applyEvents();
      fakes.razorpay.setDisputeStatus(chargeback, 'won');
      const won = fakes.razorpay.eventFor('payment.dispute.won', { dispute: chargeback });
      // The customer challenges again (pre-arbitration): a second dispute of the same payment.
      const second = fakes.razorpay.openDispute(paymentId, paise);
      await deliverRazorpay(fakes.razorpay.eventFor('payment.dispute.created', { dispute: second }), `evt_${second}_created`);
      await applyEvents();

      await deliverRazorpay(won, `evt_${chargeback}_won`);
      await applyEvents();

      expect(await wallet(token)).toEqual({ balanceCents: 0, flagged: false });
    });

    it('takes back a refund whose worker looked before the deposit completed, when it settles after the completion did', async () => {
      const { deliverStripe, startDeposit, wallet, applyEvents, inbox } = setup();
      const token = await signToken({ sub: aUserId(), country: 'US' });
      const { providerSessionId } = await startDeposit(token, 2_000);
      const { paymentIntentId } = fakes.stripe.completeCheckout(providerSessionId);
      fakes.stripe.refund(paymentIntentId!, 500);
      await deliverStripe(fakes.stripe.eventFor('checkout.session.completed', providerSessionId));
      await deliverStripe(fakes.stripe.eventFor('charge.refunded', paymentIntentId!));
      const statusesAbout = async (objectId: string) => (await inbox.list({}, { first: 100 })).items.filter((item) => item.node.subject?.id === objectId).map((item) => item.node.status);
      // The interleaving two workers can have: the refund's worker finds no deposit holding the
      // payment, and settles only after the completion committed and looked for ignored events.
      const original = SyncDepositReversals.prototype.preparePayment;
      const held = vi.spyOn(SyncDepositReversals.prototype, 'preparePayment').mockImplementation(async function (this: SyncDepositReversals, provider, subject) {
        const prepared = await original.call(this, provider, subject);
        for (let tries = 0; subject.id === paymentIntentId && tries < 200 && !(await statusesAbout(providerSessionId)).includes('applied'); tries++) {
          await new Promise((done) => setTimeout(done, 10));
        }
        return prepared;
      });
      await applyEvents();
      held.mockRestore();
      await applyEvents();

      expect(await statusesAbout(paymentIntentId!)).not.toContain('ignored');
      expect(await wallet(token)).toEqual({ balanceCents: 1_500, flagged: false });
    });

    it('looks again later at a Razorpay payment.captured read before its payment link lists it, rather than refusing it', async () => {
      const clock = new FixedClock(new Date());
      const { deliverRazorpay, startDeposit, wallet, applyEvents, webhookEvents } = setup({ clock });
      const token = await signToken({ sub: aUserId(), country: 'IN', expiresIn: '30d' });
      const { providerSessionId } = await startDeposit(token, 1_000);
      fakes.razorpay.payLink(providerSessionId);
      const link = fakes.razorpay.link(providerSessionId)!;
      const paymentId = link.payments![0]!['payment_id'] as string;
      const settled = { status: link.status, amount_paid: link.amount_paid, payments: link.payments };
      // The moment between the capture and the link's own update at Razorpay.
      Object.assign(link, { status: 'created', amount_paid: 0, payments: [] });
      await deliverRazorpay(fakes.razorpay.eventFor('payment.captured', { payment: paymentId }), `evt_captured_${paymentId}`);
      await applyEvents();
      const early = (await webhookEvents('provider: "razorpay"')).find((event) => event['subject'] === `payment:${paymentId}`);

      Object.assign(link, settled);
      clock.advance(retryDelayMs(1));
      await applyEvents();

      expect(early).toMatchObject({ status: 'pending', lastError: expect.stringContaining('does not list payment') });
      expect((await webhookEvents('provider: "razorpay"')).find((event) => event['subject'] === `payment:${paymentId}`)).toMatchObject({ status: 'applied' });
      expect(await wallet(token)).toEqual({ balanceCents: 1_000, flagged: false });
    });

    it('dispute events in any order leave the deposit as the provider holds it: a late dispute.created after the dispute was won takes nothing (D4)', async () => {
      const { deliverStripe, aStripeDepositor, wallet, applyEvents } = setup();
      const { token, paymentIntentId } = await aStripeDepositor(2_000);
      const disputeId = fakes.stripe.openDispute(paymentIntentId, 2_000);
      const created = fakes.stripe.eventFor('charge.dispute.created', disputeId, { createdAt: new Date(Date.now() - 2 * DAY_MS) });
      fakes.stripe.setDisputeStatus(disputeId, 'won');

      await deliverStripe(fakes.stripe.eventFor('charge.dispute.closed', disputeId));
      await applyEvents();
      await deliverStripe(created, stripeSignature(created));
      await applyEvents();

      expect(await wallet(token)).toEqual({ balanceCents: 2_000, flagged: false });
    });

    it('an admin replay of an old dispute.created after the dispute was won takes nothing (D4)', async () => {
      const { deliverStripe, aStripeDepositor, wallet, applyEvents, webhookEvents, graphql } = setup();
      const { token, paymentIntentId } = await aStripeDepositor(3_000);
      const disputeId = fakes.stripe.openDispute(paymentIntentId, 3_000);
      await deliverStripe(fakes.stripe.eventFor('charge.dispute.created', disputeId));
      await applyEvents();
      const disputed = await wallet(token);
      fakes.stripe.setDisputeStatus(disputeId, 'won');
      await deliverStripe(fakes.stripe.eventFor('charge.dispute.closed', disputeId));
      await applyEvents();
      const [old] = (await webhookEvents('provider: "stripe"')).filter((event) => event['type'] === 'charge.dispute.created' && event['subject'] === `payment:${paymentIntentId}`);

      const replayed = await graphql(`mutation { replayWebhookEvent(id: "${old!['id']}") { id status } }`, { token: await signToken({ sub: 'ops', role: 'admin' }) });
      await applyEvents();

      expect(disputed.balanceCents).toBe(0);
      expect(replayed.data.replayWebhookEvent).toEqual({ id: old!['id'], status: 'pending' });
      expect(await wallet(token)).toEqual({ balanceCents: 3_000, flagged: false });
    });

    it('a subscription whose first payment never went through grants no tier, whatever its metadata says (D5)', async () => {
      const { deliverStripe, aStripeSubscriber, billing, applyEvents } = setup();
      const outsider = aUserId();
      const outsiderToken = await signToken({ sub: outsider, country: 'US' });
      await billing(outsiderToken);
      const unlinked = fakes.stripe.createSubscription({ priceId: 'price_pm', status: 'incomplete', metadata: { user_id: outsider } });
      const { token, subscriptionId } = await aStripeSubscriber('pro', 'monthly');

      await deliverStripe(fakes.stripe.eventFor('customer.subscription.updated', unlinked));
      fakes.stripe.setSubscriptionStatus(subscriptionId, 'incomplete');
      await deliverStripe(fakes.stripe.eventFor('customer.subscription.updated', subscriptionId));
      await applyEvents();
      const incomplete = await billing(token);
      fakes.stripe.setSubscriptionStatus(subscriptionId, 'incomplete_expired');
      await deliverStripe(fakes.stripe.eventFor('customer.subscription.updated', subscriptionId));
      await applyEvents();

      expect((await billing(outsiderToken)).planTier).toBe('free');
      expect(incomplete).toMatchObject({ planTier: 'free', status: 'incomplete' });
      expect((await billing(token)).planTier).toBe('free');
    });

    it('a subscription deleted and then updated as canceled in the same second stays ended (D5)', async () => {
      const { deliverStripe, aStripeSubscriber, billing, applyEvents } = setup();
      const { token, subscriptionId } = await aStripeSubscriber('pro', 'monthly');
      const second = new Date(Math.floor(Date.now() / 1000) * 1000);
      fakes.stripe.cancelSubscriptionNow(subscriptionId);
      const deleted = fakes.stripe.eventFor('customer.subscription.deleted', subscriptionId, { createdAt: second });
      const updated = fakes.stripe.eventFor('customer.subscription.updated', subscriptionId, { createdAt: second });

      await deliverStripe(deleted);
      await applyEvents();
      await deliverStripe(updated);
      await applyEvents();

      expect(await billing(token)).toEqual({ planTier: 'free', billingInterval: null, status: 'active', currentPeriodEnd: null });
    });

    it('a payment the provider confirms for a checkout closed here still credits once, flagged for review (D7)', async () => {
      const { deliverStripe, startDeposit, wallet, applyEvents, webhookEvents, container } = setup();
      const token = await signToken({ sub: aUserId(), country: 'US' });
      const { sessionId, providerSessionId } = await startDeposit(token, 1_500);
      fakes.stripe.expireCheckout(providerSessionId);
      await deliverStripe(fakes.stripe.eventFor('checkout.session.expired', providerSessionId));
      await applyEvents();
      const closed = (await resolve(container, CHECKOUT_SESSION_REPOSITORY).findByReference(sessionId))!.status;

      fakes.stripe.completeCheckout(providerSessionId, { evenIfExpired: true });
      const paid = fakes.stripe.eventFor('checkout.session.completed', providerSessionId);
      await deliverStripe(paid);
      await deliverStripe(paid);
      await applyEvents();

      expect(closed).toBe('expired');
      expect(await wallet(token)).toEqual({ balanceCents: 1_500, flagged: false });
      expect((await resolve(container, CHECKOUT_SESSION_REPOSITORY).findByReference(sessionId))!.reviewReason).toMatch(/after it was expired here/);
      expect((await webhookEvents('provider: "stripe", status: "applied"')).find((event) => event['subject'] === `checkout:${providerSessionId}` && event['note'])).toMatchObject({
        note: expect.stringContaining('flagged for review'),
      });
    });

    it('a Razorpay payment_link.expired followed by an older payment_link.paid credits the deposit once (D7)', async () => {
      const { deliverRazorpay, startDeposit, wallet, applyEvents } = setup();
      const token = await signToken({ sub: aUserId(), country: 'IN' });
      const { providerSessionId } = await startDeposit(token, 1_000);
      const expired = fakes.razorpay.eventFor('payment_link.expired', { payment_link: providerSessionId });
      fakes.razorpay.payLink(providerSessionId);
      const paid = fakes.razorpay.eventFor('payment_link.paid', { payment_link: providerSessionId }, new Date(Date.now() - 60_000));

      await deliverRazorpay(expired, `evt_expired_${providerSessionId}`);
      await applyEvents();
      await deliverRazorpay(paid, `evt_paid_${providerSessionId}`);
      await applyEvents();

      expect(await wallet(token)).toEqual({ balanceCents: 1_000, flagged: false });
    });

    it('a restricted payout account stays restricted when an older verified account.updated arrives late (D9)', async () => {
      const { deliverStripe, graphql, applyEvents } = setup();
      const token = await signToken({ sub: aUserId(), country: 'US' });
      const started = await graphql(
        'mutation { startPayoutOnboarding(returnUrl: "https://app.aerostack.dev/settings/payouts", refreshUrl: "https://app.aerostack.dev/settings/payouts") { status } }',
        { token },
      );
      expect(started.errors).toBeUndefined();
      const accountId = fakes.stripe.requestsTo('POST', '/v1/account_links').at(-1)!.body['account'] as string;
      fakes.stripe.verifyAccount(accountId);
      const verified = fakes.stripe.eventFor('account.updated', accountId);
      fakes.stripe.restrictAccount(accountId, 'The account was flagged for fraud', 'rejected.fraud');

      await deliverStripe(fakes.stripe.eventFor('account.updated', accountId));
      await applyEvents();
      await deliverStripe(verified);
      await applyEvents();
      const payout = await graphql('mutation { requestPayout(amountCents: 1000) { status } }', { token });

      expect((await graphql('{ payoutSettings { onboardingStatus restrictionReason } }', { token })).data.payoutSettings).toEqual({
        onboardingStatus: 'restricted',
        restrictionReason: expect.stringContaining('rejected.fraud'),
      });
      expect(payout.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    });

    it('a Razorpay body signed once is one event under any event id, and another body under a used id is another event (D10)', async () => {
      const { deliverRazorpay, startDeposit, wallet, applyEvents, eventCount } = setup();
      const token = await signToken({ sub: aUserId(), country: 'IN' });
      const { providerSessionId } = await startDeposit(token, 2_000);
      fakes.razorpay.payLink(providerSessionId);
      const paid = fakes.razorpay.eventFor('payment_link.paid', { payment_link: providerSessionId });
      const paymentId = fakes.razorpay.link(providerSessionId)!.payments![0]!['payment_id'] as string;
      const refund = fakes.razorpay.eventFor('refund.processed', { refund: fakes.razorpay.refundPayment(paymentId, 85_000), payment: paymentId });
      const before = await eventCount('razorpay');

      await deliverRazorpay(paid, `evt_one_${providerSessionId}`);
      await deliverRazorpay(paid, `evt_two_${providerSessionId}`);
      await applyEvents();
      const credited = await wallet(token);
      await deliverRazorpay(refund, `evt_one_${providerSessionId}`);
      await applyEvents();

      expect(credited.balanceCents).toBe(2_000);
      expect(await eventCount('razorpay')).toBe(before + 2);
      expect(await wallet(token)).toEqual({ balanceCents: 1_000, flagged: false });
    });

    it("cancelling a subscription keeps it canceled when Stripe's echo says active with cancel_at_period_end (D11)", async () => {
      const { deliverStripe, aStripeSubscriber, graphql, billing, applyEvents } = setup();
      const { token, subscriptionId } = await aStripeSubscriber('pro', 'monthly');

      const canceled = await graphql('mutation { cancelSubscription { status } }', { token });
      await deliverStripe(fakes.stripe.eventFor('customer.subscription.updated', subscriptionId));
      await applyEvents();

      expect(canceled.data.cancelSubscription.status).toBe('canceled');
      expect(fakes.stripe.subscription(subscriptionId)).toMatchObject({ status: 'active', cancel_at_period_end: true });
      expect(await billing(token)).toMatchObject({ planTier: 'pro', status: 'canceled' });
    });

    it('a renewal that failed, was paid and is told failed again within one second ends active, as the subscription stands (D12)', async () => {
      const { deliverStripe, aStripeSubscriber, billing, applyEvents } = setup();
      const { token, subscriptionId } = await aStripeSubscriber('pro', 'monthly');
      const second = new Date(Math.floor(Date.now() / 1000) * 1000);
      fakes.stripe.setSubscriptionStatus(subscriptionId, 'past_due');
      const failed = fakes.stripe.eventFor('invoice.payment_failed', subscriptionId, { createdAt: second });
      fakes.stripe.renewSubscription(subscriptionId);
      const succeeded = fakes.stripe.eventFor('invoice.payment_succeeded', subscriptionId, { createdAt: second });
      const failedAgain = fakes.stripe.eventFor('invoice.payment_failed', subscriptionId, { createdAt: second });

      await deliverStripe(failed);
      await applyEvents();
      await deliverStripe(succeeded);
      await deliverStripe(failedAgain);
      await applyEvents();

      expect(await billing(token)).toMatchObject({ planTier: 'pro', status: 'active' });
    });
  });

  describe('retries, dead events and replays', () => {
    it('retries an event whose provider cannot be read with backoff for about a day, gives up after the last attempt, and an admin replay applies it', async () => {
      const clock = new FixedClock(new Date());
      const { deliverRazorpay, startDeposit, wallet, applyEvents, webhookEvents, graphql } = setup({ clock });
      const token = await signToken({ sub: aUserId(), country: 'IN', expiresIn: '30d' });
      const { providerSessionId } = await startDeposit(token, 1_000);
      fakes.razorpay.payLink(providerSessionId);
      await deliverRazorpay(fakes.razorpay.eventFor('payment_link.paid', { payment_link: providerSessionId }), `evt_${providerSessionId}`);
      const startedAt = clock.now().getTime();
      const mine = async (status: string) => (await webhookEvents(`provider: "razorpay", status: "${status}"`)).find((event) => event['subject'] === `checkout:${providerSessionId}`);

      fakes.razorpay.failNext({ status: 500 }, MAX_ATTEMPTS);
      await applyEvents();
      const afterFirst = await mine('pending');
      for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) {
        clock.advance(retryDelayMs(attempt));
        await applyEvents();
      }
      const dead = await mine('dead');
      const gaveUpAfterMs = clock.now().getTime() - startedAt;
      const replayed = await graphql(`mutation { replayWebhookEvent(id: "${dead!['id']}") { status attempts } }`, { token: await signToken({ sub: 'ops', role: 'admin', expiresIn: '30d' }) });
      await applyEvents();

      expect(afterFirst).toMatchObject({ attempts: 1, lastError: expect.stringContaining('HTTP 500') });
      expect(gaveUpAfterMs).toBeGreaterThan(20 * 60 * 60 * 1000);
      expect(dead).toMatchObject({ attempts: MAX_ATTEMPTS, lastError: expect.stringContaining('HTTP 500') });
      expect(replayed.data.replayWebhookEvent).toEqual({ status: 'pending', attempts: 0 });
      expect(await wallet(token)).toEqual({ balanceCents: 1_000, flagged: false });
      expect(await mine('applied')).toBeDefined();
    });

    it('lets only admins list and replay events, and refuses a replay of an event there is nothing to apply for', async () => {
      const { deliverStripe, graphql, webhookEvents } = setup();
      const body = JSON.stringify({ id: `evt_${aUserId()}`, object: 'event', type: 'plan.created', created: Math.floor(Date.now() / 1000), data: { object: { id: 'plan_y' } } });
      await deliverStripe(body);
      const ignoredEvent = (await webhookEvents('provider: "stripe", status: "ignored"')).find((event) => event['type'] === 'plan.created');
      const user = await signToken({ sub: aUserId() });
      const admin = await signToken({ sub: 'ops', role: 'admin' });

      const forbidden = await graphql('{ webhookEvents { pageInfo { hasNextPage } } }', { token: user });
      const nothingToApply = await graphql(`mutation { replayWebhookEvent(id: "${ignoredEvent!['id']}") { id } }`, { token: admin });
      const unknown = await graphql('mutation { replayWebhookEvent(id: "999999999") { id } }', { token: admin });
      const badStatus = await graphql('{ webhookEvents(status: "stale") { pageInfo { hasNextPage } } }', { token: admin });

      expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(nothingToApply.errors?.[0]?.extensions?.code).toBe('CONFLICT');
      expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect(badStatus.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'status' });
    });
  });

  describe('refusing what the provider did not just sign, writing nothing', () => {
    const body = () => JSON.stringify({ id: `evt_${aUserId()}`, object: 'event', type: 'checkout.session.completed', created: Math.floor(Date.now() / 1000), data: { object: { id: 'cs_nope', payment_status: 'paid' } } });
    const nowSeconds = () => Math.floor(Date.now() / 1000);

    // A minute beyond the five-minute tolerance: a signature made at X.999 s and checked after the next second still lies outside it.
    it.each([
      ['a forged signature', (b: string) => stripeSignature(b, { secret: 'whsec_someone_else' })],
      ['a stale timestamp', (b: string) => stripeSignature(b, { timestamp: nowSeconds() - 360 })],
      ['a timestamp in the future', (b: string) => stripeSignature(b, { timestamp: nowSeconds() + 360 })],
      ['a body altered after signing', (b: string) => stripeSignature(b.replace('"paid"', '"unpaid"'))],
      ['garbage', () => 't=1,v1=00'],
    ])('refuses %s with 400', async (_name, sign) => {
      const { deliverStripe, eventCount } = setup();
      const before = await eventCount('stripe');
      const payload = body();

      const response = await deliverStripe(payload, sign(payload));

      expect(response.status).toBe(400);
      expect(response.json.error).toBeTruthy();
      expect(await eventCount('stripe')).toBe(before);
    });

    it('refuses a delivery without the header', async () => {
      const { app } = setup();
      const response = await app.request('/api/billing/webhook', { method: 'POST', body: body() });

      expect(response.status).toBe(400);
    });

    it('refuses a thin event payload, saying it is not supported', async () => {
      const { deliverStripe } = setup();
      const thin = JSON.stringify({ id: 'evt_thin', object: 'v2.core.event', type: 'v1.billing.meter.error_report_triggered', created: 1_780_000_000 });

      const response = await deliverStripe(thin);

      expect(response.status).toBe(400);
      expect(response.json.error).toMatch(/thin/);
    });

    it("refuses every delivery with 503 when a provider's keys are configured and its webhook secret is not", async () => {
      const testApp = makeTestApp({ database, env: { STRIPE_SECRET_KEY: 'sk_test_configured', ...STRIPE_PRICE_ENV, RAZORPAY_KEY_ID: 'rzp_test_configured', RAZORPAY_KEY_SECRET: 'secret' } });
      const payload = body();

      const stripe = await testApp.app.request('/api/billing/webhook', { method: 'POST', headers: { 'stripe-signature': stripeSignature(payload) }, body: payload });
      const razorpay = await testApp.app.request('/api/billing/webhook/razorpay', { method: 'POST', headers: { 'x-razorpay-signature': 'x', 'x-razorpay-event-id': 'e' }, body: '{}' });

      expect([stripe.status, razorpay.status]).toEqual([503, 503]);
      expect(await razorpay.json()).toEqual({ error: expect.stringContaining('RAZORPAY_WEBHOOK_SECRET is not configured'), code: 'WEBHOOK_SECRET_NOT_CONFIGURED' });
      expect(testApp.logs()).toContainEqual(expect.objectContaining({ msg: expect.stringContaining('STRIPE_WEBHOOK_SECRET is not configured') }));
    });

    it('refuses a Razorpay delivery with a wrong signature, without an event id, or with one over 255 characters', async () => {
      const { deliverRazorpay, eventCount } = setup();
      const payload = JSON.stringify({ entity: 'event', event: 'payment.failed', contains: [], payload: { payment: { entity: { id: 'pay_x' } } }, created_at: 1_780_000_000 });
      const before = await eventCount('razorpay');

      const forged = await deliverRazorpay(payload, 'evt_forged', razorpaySignature(payload, 'not-the-secret'));
      const noId = await deliverRazorpay(payload, '');
      const longId = await deliverRazorpay(payload, 'e'.repeat(256));

      expect([forged.status, noId.status, longId.status]).toEqual([400, 400, 400]);
      expect(noId.json).toMatchObject({ error: 'missing X-Razorpay-Event-Id header', code: 'BAD_USER_INPUT' });
      expect(longId.json).toEqual({ error: 'X-Razorpay-Event-Id is 256 characters long; the limit is 255', code: 'BAD_USER_INPUT', field: 'x-razorpay-event-id' });
      expect(await eventCount('razorpay')).toBe(before);
    });

    it('says a correctly signed body that is not UTF-8 is not UTF-8 (400), and one whose signature does not match that no signature matches, recording nothing', async () => {
      const clock = new FixedClock(new Date());
      const testApp = makeTestApp({ database, clock, env: { STRIPE_WEBHOOK_SECRET, RAZORPAY_WEBHOOK_SECRET } });
      const eventCount = (provider: PaymentGatewayName) => inboxCount({ container: testApp.container, database }, provider);
      // "René" in latin-1: 0xe9 alone, where UTF-8 writes é in two bytes.
      const bytes = (json: string) => {
        const [head, tail] = json.split('Ren') as [string, string];
        return Buffer.concat([Buffer.from(`${head}Ren`), Buffer.from([0xe9]), Buffer.from(tail)]);
      };
      const razorpayBody = bytes(JSON.stringify({ entity: 'event', event: 'payment.failed', payload: { payment: { entity: { id: 'pay_x', notes: { name: 'Ren' } } } }, created_at: 1_780_000_000 }));
      const stripeBody = bytes(stripeEvent('payment_intent.created', { id: 'pi_x', metadata: { name: 'Ren' } }));
      const timestamp = Math.floor(clock.now().getTime() / 1000);
      const stripeHeader = (secret: string) => `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.`).update(stripeBody).digest('hex')}`;
      const deliver = async (path: string, headers: Record<string, string>, body: Uint8Array) => {
        const response = await testApp.app.request(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: new Uint8Array(body) });
        return { status: response.status, json: await response.json() };
      };
      const before = [await eventCount('stripe'), await eventCount('razorpay')];

      const answers = [
        await deliver('/api/billing/webhook/razorpay', { 'x-razorpay-signature': createHmac('sha256', RAZORPAY_WEBHOOK_SECRET).update(razorpayBody).digest('hex'), 'x-razorpay-event-id': 'evt_latin1' }, razorpayBody),
        await deliver('/api/billing/webhook', { 'stripe-signature': stripeHeader(STRIPE_WEBHOOK_SECRET) }, stripeBody),
        await deliver('/api/billing/webhook/razorpay', { 'x-razorpay-signature': createHmac('sha256', 'not-the-secret').update(razorpayBody).digest('hex'), 'x-razorpay-event-id': 'evt_latin1' }, razorpayBody),
        await deliver('/api/billing/webhook', { 'stripe-signature': stripeHeader('whsec_not_the_secret') }, stripeBody),
      ];

      const notUtf8 = { error: 'the event could not be read: the body is signed but is not UTF-8 text: a webhook body must be UTF-8 JSON', code: 'BAD_USER_INPUT', field: 'body' };
      expect(answers).toEqual([
        { status: 400, json: notUtf8 },
        { status: 400, json: notUtf8 },
        { status: 400, json: { error: 'no signature matches the body with the configured secret', code: 'BAD_USER_INPUT', field: 'x-razorpay-signature' } },
        { status: 400, json: { error: 'no signature matches the body with the configured secret', code: 'BAD_USER_INPUT', field: 'stripe-signature' } },
      ]);
      expect([await eventCount('stripe'), await eventCount('razorpay')]).toEqual(before);
    });
  });
});

/** A checkout session made at the Stripe fake directly, as another integration on the same account would. */
async function fakeStripeCheckout(fakes: ProviderFakes, fields: { amountCents: number; metadata: Record<string, string> }): Promise<string> {
  const Stripe = (await import('stripe')).default;
  const address = new URL(fakes.env['STRIPE_API_URL']!);
  const stripe = new Stripe(fakes.env['STRIPE_SECRET_KEY']!, { host: address.hostname, port: Number(address.port), protocol: 'http', maxNetworkRetries: 0 });
  const session = await stripe.checkout.sessions.create({
    mode: 'payment',
    line_items: [{ price_data: { currency: 'usd', unit_amount: fields.amountCents, product_data: { name: 'Something else' } }, quantity: 1 }],
    success_url: 'https://elsewhere.example/ok',
    metadata: fields.metadata,
  });
  return session.id;
}

/** A counter's value from the app's own Prometheus registry. */
async function metric(container: Parameters<typeof resolve>[0], series: string): Promise<number> {
  const { body } = await resolve(container, METRICS).exposition();
  const line = body.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line ? Number(line.split(' ')[1]) : 0;
}
