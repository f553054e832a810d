import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../adapters/persistence/database.ts';
import { PAST_DUE_RETRY_WINDOW_DAYS } from '../../adapters/sandbox/sandbox.provider.ts';
import { resolve, SANDBOX_PROVIDER } from '../../api/container.ts';
import { aUserId } from '../support/builders.ts';
import { BACKENDS, openTestDatabase } from '../support/databases.ts';
import { payThroughSandbox } from '../support/sandbox.ts';
import { makeTestApp, signToken } from '../support/test-app.ts';

const RETURN_URL = 'https://app.aerostack.dev/settings/payouts?onboarding=done';
const DAY_S = 24 * 60 * 60;

type Json = Record<string, any>;

describe.each(['memory', ...BACKENDS] as const)('the sandbox provider, stored %s', (backend) => {
  let database: Database | undefined;
  beforeAll(async () => {
    if (backend !== 'memory') database = await openTestDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  function setup() {
    const testApp = makeTestApp({ database, env: { MARKETPLACE_FEE_BPS: '2000' } });
    const sandbox = resolve(testApp.container, SANDBOX_PROVIDER);
    const action = async (path: string, body?: unknown) => {
      const response = await testApp.request(`/sandbox${path}`, { method: 'POST', ...(body === undefined ? {} : { body }) });
      return { status: response.status, json: response.json() as Json };
    };
    const ok = async (path: string, body: unknown = {}) => {
      const answer = await action(path, body);
      expect(answer, path).toMatchObject({ status: 200 });
      return answer.json;
    };
    async function aUser(country = 'US') {
      const userId = aUserId();
      return { userId, token: await signToken({ sub: userId, country, expiresIn: '2h' }) };
    }
    const paid = (token: string, path: '/api/billing/checkout' | '/api/balance/deposit', body: Json) => payThroughSandbox(testApp, token, path, body);
    const state = async () => (await testApp.request('/sandbox/state')).json() as Json;
    const subscriptionOf = async (userId: string) => (await state()).subscriptions.find((subscription: Json) => subscription.userId === userId);
    const paymentOf = async (userId: string, purpose: string) => (await state()).payments.find((payment: Json) => payment.userId === userId && payment.purpose === purpose);
    const billing = async (token: string) => (await testApp.graphql('{ billing { planTier billingInterval status currentPeriodEnd } }', { token })).data.billing;
    const wallet = async (token: string) => (await testApp.graphql('{ wallet { balanceCents } }', { token })).data.wallet.balanceCents;
    const events = async () => {
      const admin = await signToken({ sub: 'ops', role: 'admin' });
      return (await testApp.graphql('{ webhookEvents(first: 100) { edges { node { provider type status subject } } } }', { token: admin })).data.webhookEvents.edges.map((edge: Json) => edge.node);
    };
    /** A creator onboarded at the sandbox who earned `earnedCents` (after the 20% fee) from a consumer's tool call. */
    async function aCreatorWhoEarned(earnedCents: number) {
      const consumer = await aUser();
      const creator = await aUser();
      await paid(consumer.token, '/api/balance/deposit', { amount_cents: earnedCents * 2 });
      const service = await signToken({ sub: 'tool-runner', role: 'service' });
      await testApp.graphql('mutation ($input: ChargeToolCallInput!) { chargeToolCall(input: $input) { chargeId } }', {
        token: service,
        variables: { input: { consumerId: consumer.userId, creatorId: creator.userId, toolId: 'tool', priceCents: (earnedCents * 10) / 8, idempotencyKey: `${creator.userId}-1` } },
      });
      const onboarding = await testApp.graphql('mutation ($url: String!) { startPayoutOnboarding(returnUrl: $url, refreshUrl: $url) { url } }', { token: creator.token, variables: { url: RETURN_URL } });
      await testApp.app.request(`${new URL(onboarding.data.startPayoutOnboarding.url).pathname}/complete`, { method: 'POST' });
      return creator;
    }
    /** Seconds from the sandbox's now to `iso`. */
    const secondsUntil = async (iso: string) => Math.ceil((Date.parse(iso) - Date.parse((await testApp.request('/sandbox/clock')).json().now)) / 1000);
    return { ...testApp, sandbox, action, ok, aUser, paid, state, subscriptionOf, paymentOf, billing, wallet, events, secondsUntil, aCreatorWhoEarned };
  }

  it('renews an Indian plan through Razorpay-shaped events: the period moves and subscription.charged is applied', async () => {
    const { aUser, paid, ok, subscriptionOf, billing, events, secondsUntil } = setup();
    const { userId, token } = await aUser('IN');
    await paid(token, '/api/billing/checkout', { tier: 'pro', billing_interval: 'monthly' });
    const started = await subscriptionOf(userId);

    await ok('/clock/advance', { seconds: (await secondsUntil(started.currentPeriodEnd)) + 3_600 });
    const renewed = await subscriptionOf(userId);

    expect(renewed).toMatchObject({ region: 'razorpay', status: 'active', amount: { currency: 'INR' } });
    expect(Date.parse(renewed.currentPeriodEnd)).toBeGreaterThan(Date.parse(started.currentPeriodEnd));
    expect(await billing(token)).toEqual({ planTier: 'pro', billingInterval: 'monthly', status: 'active', currentPeriodEnd: renewed.currentPeriodEnd });
    expect(await events()).toContainEqual({ provider: 'razorpay', type: 'subscription.charged', status: 'applied', subject: `subscription:${renewed.id}` });
  });

  it('takes back a refunded part and a lost dispute of an Indian deposit through refund.processed and payment.dispute.* events', async () => {
    const { aUser, paid, ok, paymentOf, wallet, events } = setup();
    const { userId, token } = await aUser('IN');
    await paid(token, '/api/balance/deposit', { amount_cents: 2_000 });
    const payment = await paymentOf(userId, 'deposit');
    const tenth = payment.amount.amountMinor / 10;

    await ok(`/payments/${payment.id}/refund`, { amount_minor: tenth });
    const refunded = await wallet(token);
    const { dispute } = await ok(`/payments/${payment.id}/dispute`, { amount_minor: 2 * tenth });
    const disputed = await wallet(token);
    await ok(`/disputes/${dispute.id}/lose`);

    expect([refunded, disputed, await wallet(token)]).toEqual([1_800, 1_400, 1_400]);
    const types = (await events()).filter((event: Json) => event.provider === 'razorpay' && event.status === 'applied').map((event: Json) => event.type);
    expect(types).toEqual(expect.arrayContaining(['refund.processed', 'payment.dispute.created']));
  });

  it('ends a plan whose renewal was canceled when its period ends, and not before', async () => {
    const { aUser, paid, ok, graphql, subscriptionOf, billing, secondsUntil } = setup();
    const { userId, token } = await aUser();
    await paid(token, '/api/billing/checkout', { tier: 'starter', billing_interval: 'monthly' });

    const canceled = await graphql('mutation { cancelSubscription { status } }', { token });
    const subscription = await subscriptionOf(userId);
    await ok('/clock/advance', { seconds: (await secondsUntil(subscription.currentPeriodEnd)) - 3_600 });
    const beforeEnd = await billing(token);
    await ok('/clock/advance', { seconds: 7_200 });

    expect(canceled.data.cancelSubscription.status).toBe('canceled');
    expect(subscription.cancelAtPeriodEnd).toBe(true);
    expect(beforeEnd).toMatchObject({ planTier: 'starter', status: 'canceled' });
    expect(await subscriptionOf(userId)).toMatchObject({ status: 'canceled' });
    expect(await billing(token)).toMatchObject({ planTier: 'free' });
  });

  it('ends the plan at once when the sandbox cancels the subscription now', async () => {
    const { aUser, paid, ok, subscriptionOf, billing } = setup();
    const { userId, token } = await aUser();
    await paid(token, '/api/billing/checkout', { tier: 'pro', billing_interval: 'yearly' });

    const { subscription } = await ok(`/subscriptions/${(await subscriptionOf(userId)).id}/cancel`);

    expect(subscription).toMatchObject({ status: 'canceled' });
    expect(await billing(token)).toMatchObject({ planTier: 'free' });
  });

  it('gives up a past-due subscription once its retry window has passed, ending the plan', async () => {
    const { aUser, paid, ok, subscriptionOf, billing, secondsUntil, events } = setup();
    const { userId, token } = await aUser();
    await paid(token, '/api/billing/checkout', { tier: 'pro', billing_interval: 'monthly' });
    await ok('/subscriptions/fail-next-renewal', { user_id: userId });

    await ok('/clock/advance', { seconds: (await secondsUntil((await subscriptionOf(userId)).currentPeriodEnd)) + 60 });
    const pastDue = { sandbox: (await subscriptionOf(userId)).status, plan: await billing(token) };
    await ok('/clock/advance', { seconds: PAST_DUE_RETRY_WINDOW_DAYS * DAY_S });

    expect(pastDue).toMatchObject({ sandbox: 'past_due', plan: { planTier: 'pro', status: 'past_due' } });
    expect(await subscriptionOf(userId)).toMatchObject({ status: 'canceled' });
    expect(await billing(token)).toMatchObject({ planTier: 'free' });
    expect((await events()).map((event: Json) => event.type)).toEqual(expect.arrayContaining(['invoice.payment_failed', 'customer.subscription.deleted']));
  });

  it('moves the subscription to yearly at the new price when the billing interval changes', async () => {
    const { aUser, paid, graphql, subscriptionOf, applyEvents, billing } = setup();
    const { userId, token } = await aUser();
    await paid(token, '/api/billing/checkout', { tier: 'pro', billing_interval: 'monthly' });
    const monthly = await subscriptionOf(userId);

    const changed = await graphql('mutation { changeBillingInterval(billingInterval: yearly) { billingInterval } }', { token });
    await applyEvents();
    const yearly = await subscriptionOf(userId);

    expect(changed.errors).toBeUndefined();
    expect(yearly).toMatchObject({ billingInterval: 'yearly', status: 'active', amount: { amountMinor: 44_100, currency: 'USD' } });
    expect(monthly.amount).toEqual({ amountMinor: 4_900, currency: 'USD' });
    expect(await billing(token)).toMatchObject({ planTier: 'pro', billingInterval: 'yearly', currentPeriodEnd: yearly.currentPeriodEnd });
  });

  it('pays a payout held in transit once it settles, and returns a failed one to the balance', async () => {
    const { ok, graphql, request, aCreatorWhoEarned } = setup();
    const creator = await aCreatorWhoEarned(4_000);
    const payout = async () => (await graphql('mutation { requestPayout(amountCents: 1500) { id status providerTransferId } }', { token: creator.token })).data.requestPayout;
    const statusOf = async (id: string) => (await graphql('query ($id: String!) { payout(id: $id) { status failureReason } }', { token: creator.token, variables: { id } })).data.payout;
    const available = async () => (await graphql('{ developerBalance { availableCents } }', { token: creator.token })).data.developerBalance.availableCents;

    await ok('/transfers/hold-next');
    const held = await payout();
    await ok(`/transfers/${held.providerTransferId}/settle`);
    await ok('/transfers/hold-next');
    const failing = await payout();
    await ok(`/transfers/${failing.providerTransferId}/fail`, { reason: 'the bank account is closed' });

    expect(held.status).toBe('in_transit');
    expect(await statusOf(held.id)).toEqual({ status: 'paid', failureReason: null });
    expect(await statusOf(failing.id)).toEqual({ status: 'failed', failureReason: 'the bank account is closed' });
    expect(await available()).toBe(4_000 - 1_500);
    const transfers = (await request('/sandbox/state')).json().transfers.filter((transfer: Json) => [held.id, failing.id].includes(transfer.payoutId));
    expect(transfers.map((transfer: Json) => [transfer.payoutId, transfer.status])).toEqual([
      [failing.id, 'failed'],
      [held.id, 'paid'],
    ]);
  });

  it('refuses to refund money a lost dispute took, as Stripe refuses a disputed charge: no payment gives back more than it took', async () => {
    const { aUser, paid, ok, action, paymentOf, wallet } = setup();
    const { userId, token } = await aUser();
    await paid(token, '/api/balance/deposit', { amount_cents: 1_000 });
    const payment = await paymentOf(userId, 'deposit');
    const { dispute } = await ok(`/payments/${payment.id}/dispute`, { amount_minor: 600 });
    await ok(`/disputes/${dispute.id}/lose`);

    const over = await action(`/payments/${payment.id}/refund`, { amount_minor: 401 });
    const rest = await action(`/payments/${payment.id}/refund`);
    const more = await action(`/payments/${payment.id}/refund`);

    expect([over.status, rest.status, more.status]).toEqual([400, 200, 409]);
    expect((await paymentOf(userId, 'deposit')).refunds.map((refund: Json) => refund.amountMinor)).toEqual([400]);
    expect(await wallet(token)).toBe(0);
  });

  it('reads form posts as strictly as JSON: an unreadable form, a hexadecimal number, a control character or an unpaired surrogate is a 400', async () => {
    const { app } = setup();
    const post = (path: string, contentType: string, body: string) => app.request(`/sandbox${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });

    const answers = await Promise.all([
      post('/clock/advance', 'multipart/form-data', 'seconds=1'),
      post('/clock/advance', 'application/x-www-form-urlencoded', 'seconds=0x10'),
      post('/transfers/refuse-next', 'application/json', JSON.stringify({ reason: 'bank\u009b[2J' })),
      post('/transfers/refuse-next', 'application/x-www-form-urlencoded', 'reason=closed%7F'),
      post('/transfers/refuse-next', 'application/json', '{"reason":"closed \\ud800"}'),
    ]);

    expect(answers.map((answer) => answer.status)).toEqual([400, 400, 400, 400, 400]);
  });

  it("pays a weekly creator when the sandbox's clock passes Monday's payout run", async () => {
    const { ok, graphql, aCreatorWhoEarned } = setup();
    const creator = await aCreatorWhoEarned(2_000);
    await graphql('mutation { updatePayoutSettings(frequency: weekly) { frequency } }', { token: creator.token });
    const payouts = async () => (await graphql('{ payouts(first: 5) { edges { node { status amountCents period } } } }', { token: creator.token })).data.payouts.edges.map((edge: Json) => edge.node);

    const before = await payouts();
    await ok('/clock/advance', { seconds: 8 * DAY_S });

    expect(before).toEqual([]);
    expect(await payouts()).toEqual([{ status: 'paid', amountCents: 2_000, period: expect.stringMatching(/^weekly:\d{4}-W\d{2}$/) }]);
  });

  it('refuses a bad action with a clear error and changes nothing', async () => {
    const { aUser, paid, action, state, paymentOf, ok } = setup();
    const { userId, token } = await aUser();
    await paid(token, '/api/balance/deposit', { amount_cents: 1_000 });
    const payment = await paymentOf(userId, 'deposit');
    const { dispute } = await ok(`/payments/${payment.id}/dispute`, { amount_minor: 100 });
    await ok(`/disputes/${dispute.id}/win`);
    const before = await state();

    const answers = [
      await action('/clock/advance', { seconds: 0 }),
      await action('/clock/advance', { seconds: 'soon' }),
      await action('/clock/advance', { seconds: 10 * 366 * DAY_S }),
      await action('/clock/advance', '{"seconds":'),
      await action(`/payments/${payment.id}/refund`, { amount_minor: 1_001 }),
      await action(`/payments/${payment.id}/refund`, { amount_minor: 1.5 }),
      await action('/payments/sbx_pay_nobody/refund'),
      await action('/subscriptions/fail-next-renewal', { user_id: userId }),
      await action('/subscriptions/fail-next-renewal', {}),
      await action(`/disputes/${dispute.id}/lose`),
      await action('/transfers/sbx_tr_nobody/reverse'),
      await action('/payments/sbx%00pay/refund'),
    ];

    expect(answers.map((answer) => [answer.status, answer.json.field ?? null])).toEqual([
      [400, 'seconds'],
      [400, 'seconds'],
      [400, 'seconds'],
      [400, 'body'],
      [400, 'amount_minor'],
      [400, 'amount_minor'],
      [404, null],
      [404, null],
      [400, 'user_id'],
      [409, null],
      [404, null],
      [404, null],
    ]);
    expect(answers.every((answer) => typeof answer.json.error === 'string' && typeof answer.json.code === 'string')).toBe(true);
    expect({ ...(await state()), now: null }).toEqual({ ...before, now: null });
  });

  it('answers a hosted page that does not exist (checkout, plan change, onboarding, receipt, portal) 404 with its error and code NOT_FOUND', async () => {
    const { request } = setup();

    const answers = await Promise.all(['checkout', 'plan-change', 'onboarding', 'receipts', 'portal'].map((page) => request(`/sandbox/${page}/sbx_nobody`)));

    expect(answers.map((answer) => [answer.status, answer.json()])).toEqual(
      ['checkout', 'plan change', 'payout account', 'payment', 'portal session'].map((what) => [404, { error: `no such sandbox ${what}`, code: 'NOT_FOUND' }]),
    );
  });

  it("checks a token against real time, not the sandbox's: one issued now still works a year later in sandbox time", async () => {
    const { aUser, ok, billing } = setup();
    const { token } = await aUser();

    const { now } = await ok('/clock/advance', { seconds: 366 * DAY_S });

    expect(Date.parse(now) - Date.now()).toBeGreaterThan(365 * DAY_S * 1000);
    expect(await billing(token)).toMatchObject({ planTier: 'free' });
  });
});
