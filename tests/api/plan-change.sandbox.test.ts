import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../adapters/persistence/database.ts';
import { CHECKOUT_SESSION_REPOSITORY } from '../../application/billing/checkout-session.repository.ts';
import { PLAN_CHANGE_REPOSITORY } from '../../application/billing/plan-change.repository.ts';
import { ReconcileCheckouts } from '../../application/billing/reconcile-checkouts.use-case.ts';
import { resolve } from '../../api/container.ts';
import { aUserId, FixedClock } from '../support/builders.ts';
import { BACKENDS, openTestDatabase } from '../support/databases.ts';
import { makeTestApp, signToken } from '../support/test-app.ts';

const URLS = { success_url: 'https://app.aerostack.dev/settings/billing?success=true', cancel_url: 'https://app.aerostack.dev/settings/billing' };
const DAY_S = 24 * 60 * 60;
const BILLING = '{ billing { planTier billingInterval status currentPeriodEnd scheduledChange { tier billingInterval effectiveAt } } }';

type Json = Record<string, any>;

describe.each(['memory', ...BACKENDS] as const)('changing plan through the sandbox, stored %s', (backend) => {
  let database: Database | undefined;
  beforeAll(async () => {
    if (backend !== 'memory') database = await openTestDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  function setup() {
    const testApp = makeTestApp({ database, clock: new FixedClock(new Date('2026-11-22T12:00:00Z')) });
    const state = async () => (await testApp.request('/sandbox/state')).json() as Json;
    const sandboxNow = async () => new Date((await testApp.request('/sandbox/clock')).json().now as string);
    const subscriptionOf = async (userId: string) => (await state()).subscriptions.find((subscription: Json) => subscription.userId === userId && subscription.status !== 'canceled');
    const paymentsOf = async (userId: string) => (await state()).payments.filter((payment: Json) => payment.userId === userId);
    const billing = async (token: string) => (await testApp.graphql(BILLING, { token })).data.billing;
    const changes = (userId: string) => resolve(testApp.container, PLAN_CHANGE_REPOSITORY).listForUser(userId, 20);
    const advance = async (seconds: number) => {
      const answer = await testApp.request('/sandbox/clock/advance', { body: { seconds } });
      expect(answer.status, answer.text).toBe(200);
    };
    const startCheckout = (token: string, tier: string, billingInterval: string) =>
      testApp.request('/api/billing/checkout', { token, body: { tier, billing_interval: billingInterval, ...URLS } });
    /** The user presses the button of the sandbox page at `url` and follows the 303. */
    const press = async (url: string, button: 'pay' | 'confirm' | 'cancel') => {
      const response = await testApp.app.request(`${new URL(url).pathname}/${button}`, { method: 'POST' });
      expect(response.status).toBe(303);
      return new URL(response.headers.get('location')!);
    };
    const verify = (token: string, sessionId: string) => testApp.request(`/api/billing/verify-session?session_id=${encodeURIComponent(sessionId)}`, { token });

    /** A user subscribed through the spec's checkout, paid on the sandbox's page and verified. */
    async function aSubscriber(tier: string, billingInterval: string, country = 'US') {
      const userId = aUserId();
      const token = await signToken({ sub: userId, country, expiresIn: '2h' });
      const started = await startCheckout(token, tier, billingInterval);
      const sessionId = (await press(started.json().url, 'pay')).searchParams.get('session_id')!;
      expect((await verify(token, sessionId)).status).toBe(200);
      await testApp.applyEvents();
      return { userId, token };
    }
    return { ...testApp, state, sandboxNow, subscriptionOf, paymentsOf, billing, changes, advance, startCheckout, press, verify, aSubscriber };
  }

  it('upgrades pro to business through POST /api/billing/checkout and verify-session: business at once, the rest of the period charged at the difference', async () => {
    const { startCheckout, press, verify, request, billing, changes, advance, subscriptionOf, paymentsOf, sandboxNow, applyEvents, aSubscriber } = setup();
    const { userId, token } = await aSubscriber('pro', 'monthly');
    await advance(10 * DAY_S);
    const before = await subscriptionOf(userId);

    const started = await startCheckout(token, 'business', 'monthly');
    const page = await request(new URL(started.json().url).pathname);
    const returned = await press(started.json().url, 'confirm');
    const confirmedAt = await sandboxNow();
    const verified = await verify(token, started.json().session_id);
    const again = await verify(token, started.json().session_id);
    await applyEvents();

    const periodMs = Date.parse(before.currentPeriodEnd) - Date.parse(before.currentPeriodStart);
    const remainingMs = Date.parse(before.currentPeriodEnd) - confirmedAt.getTime();
    const proration = (await paymentsOf(userId)).filter((payment: Json) => payment.purpose === 'proration');
    expect(started.status).toBe(200);
    expect(page.text).toContain('Takes effect now');
    expect(`${returned.origin}${returned.pathname}`).toBe('https://app.aerostack.dev/settings/billing');
    expect(returned.searchParams.get('session_id')).toBe(started.json().session_id);
    expect(verified.json()).toEqual({ tier: 'business' });
    expect(again.json()).toEqual({ tier: 'business' });
    expect(proration.map((payment: Json) => payment.amount)).toEqual([{ amountMinor: Math.round(((19_900 - 4_900) * remainingMs) / periodMs), currency: 'USD' }]);
    expect(proration[0].subscriptionId).toBe(before.id);
    expect(await subscriptionOf(userId)).toMatchObject({ tier: 'business', billingInterval: 'monthly', amount: { amountMinor: 19_900 }, currentPeriodEnd: before.currentPeriodEnd });
    expect(await billing(token)).toMatchObject({ planTier: 'business', billingInterval: 'monthly', status: 'active', scheduledChange: null });
    expect((await changes(userId)).filter((change) => change.reason !== 'checkout')).toEqual([
      expect.objectContaining({ reason: 'plan_change', fromTier: 'pro', toTier: 'business', fromInterval: 'monthly', toInterval: 'monthly', reference: started.json().session_id }),
    ]);
  });

  it('downgrades business to pro at the period end: business until then, shown as the scheduled change, pro once it renews', async () => {
    const { startCheckout, press, verify, request, billing, changes, advance, subscriptionOf, paymentsOf, sandboxNow, applyEvents, aSubscriber } = setup();
    const { userId, token } = await aSubscriber('business', 'monthly');
    const periodEnd = (await subscriptionOf(userId)).currentPeriodEnd as string;

    const started = await startCheckout(token, 'pro', 'monthly');
    await press(started.json().url, 'confirm');
    const verified = await verify(token, started.json().session_id);
    await applyEvents();
    const waiting = await billing(token);
    const rest = (await request('/api/billing', { token })).json();
    await advance(Math.ceil((Date.parse(periodEnd) - (await sandboxNow()).getTime()) / 1000) + 3600);
    const renewed = await billing(token);

    expect(verified.json()).toEqual({ tier: 'business' });
    expect(waiting).toMatchObject({ planTier: 'business', billingInterval: 'monthly', scheduledChange: { tier: 'pro', billingInterval: 'monthly', effectiveAt: periodEnd } });
    expect(rest).toEqual({ plan_tier: 'business', payment_gateway: 'stripe', status: 'active', scheduled_change: { tier: 'pro', billing_interval: 'monthly', effective_at: periodEnd } });
    expect(renewed).toMatchObject({ planTier: 'pro', billingInterval: 'monthly', status: 'active', scheduledChange: null });
    expect((await paymentsOf(userId)).map((payment: Json) => [payment.purpose, payment.amount.amountMinor]).reverse()).toEqual([
      ['plan', 19_900],
      ['renewal', 4_900],
    ]);
    expect((await changes(userId)).map((change) => [change.reason, change.fromTier, change.toTier]).reverse()).toEqual([
      ['checkout', 'free', 'business'],
      ['plan_change_scheduled', 'business', 'pro'],
      ['provider_event', 'business', 'pro'],
    ]);
    expect((await request('/api/billing', { token })).json()).toEqual({ plan_tier: 'pro', payment_gateway: 'stripe', status: 'active' });
  });

  it('upgrades an Indian subscriber at the Razorpay-region sandbox, charging the prorated difference in INR', async () => {
    const { startCheckout, press, verify, advance, subscriptionOf, paymentsOf, sandboxNow, aSubscriber } = setup();
    const { userId, token } = await aSubscriber('pro', 'monthly', 'IN');
    await advance(5 * DAY_S);
    const before = await subscriptionOf(userId);

    const started = await startCheckout(token, 'business', 'monthly');
    await press(started.json().url, 'confirm');
    const confirmedAt = await sandboxNow();
    const verified = await verify(token, started.json().session_id);

    const remainingMs = Date.parse(before.currentPeriodEnd) - confirmedAt.getTime();
    const periodMs = Date.parse(before.currentPeriodEnd) - Date.parse(before.currentPeriodStart);
    expect(verified.json()).toEqual({ tier: 'business' });
    expect((await paymentsOf(userId)).find((payment: Json) => payment.purpose === 'proration').amount).toEqual({
      amountMinor: Math.round(((19_900 - 4_900) * 85 * remainingMs) / periodMs),
      currency: 'INR',
    });
  });

  it('answers 409 for the plan the subscriber is on already, writing nothing', async () => {
    const { startCheckout, state, changes, aSubscriber, graphql } = setup();
    const { userId, token } = await aSubscriber('pro', 'yearly');
    const before = await changes(userId);

    const same = await startCheckout(token, 'pro', 'yearly');
    const overGraphql = await graphql('mutation { changePlan(tier: pro, billingInterval: yearly) { planTier } }', { token });

    expect(same.status).toBe(409);
    expect(same.json()).toMatchObject({ code: 'CONFLICT', error: expect.stringMatching(/pro yearly already: there is nothing to change/) });
    expect(overGraphql.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect((await state()).planChanges.filter((change: Json) => change.userId === userId)).toEqual([]);
    expect(await changes(userId)).toEqual(before);
  });

  it("answers 409 while the change is not confirmed, 404 for someone else's session, and sends a user who keeps their plan back to cancel_url", async () => {
    const { startCheckout, press, verify, billing, container, aSubscriber } = setup();
    const owner = await aSubscriber('pro', 'monthly');
    const stranger = await aSubscriber('pro', 'monthly');
    const started = await startCheckout(owner.token, 'business', 'yearly');
    const sessionId = started.json().session_id as string;

    const unconfirmed = await verify(owner.token, sessionId);
    const stolen = await verify(stranger.token, sessionId);
    const kept = await press(started.json().url, 'cancel');
    const afterCancel = await verify(owner.token, sessionId);

    expect(unconfirmed.status).toBe(409);
    expect(unconfirmed.json().error).toMatch(/not confirmed/);
    expect(stolen.status).toBe(404);
    expect(kept.href).toBe(URLS.cancel_url);
    expect(afterCancel.status).toBe(409);
    expect(await billing(owner.token)).toMatchObject({ planTier: 'pro', billingInterval: 'monthly', scheduledChange: null });
    expect((await resolve(container, CHECKOUT_SESSION_REPOSITORY).findByReference(sessionId))?.status).toBe('open');
  });

  it('has the reconciliation complete a change confirmed by a user who never came back, and close one left unconfirmed for a day', async () => {
    const { startCheckout, press, billing, advance, container, aSubscriber } = setup();
    const confirmed = await aSubscriber('pro', 'monthly');
    const abandoned = await aSubscriber('pro', 'monthly');
    const confirming = await startCheckout(confirmed.token, 'business', 'monthly');
    const leaving = await startCheckout(abandoned.token, 'business', 'monthly');
    await press(confirming.json().url, 'confirm');
    const sessions = resolve(container, CHECKOUT_SESSION_REPOSITORY);
    const reconcile = resolve(container, ReconcileCheckouts);

    await advance(3600);
    await reconcile.execute();
    const afterAnHour = [(await sessions.findByReference(confirming.json().session_id))?.status, (await sessions.findByReference(leaving.json().session_id))?.status];
    await advance(25 * 3600);
    await reconcile.execute();

    expect(afterAnHour).toEqual(['completed', 'open']);
    expect(await billing(confirmed.token)).toMatchObject({ planTier: 'business' });
    expect((await sessions.findByReference(leaving.json().session_id))?.status).toBe('expired');
    expect(await billing(abandoned.token)).toMatchObject({ planTier: 'pro' });
  });

  it('changes plan over GraphQL with changePlan: an upgrade at once with its prorated charge, a downgrade scheduled for the period end', async () => {
    const { graphql, changes, advance, paymentsOf, subscriptionOf, startCheckout, aSubscriber } = setup();
    const { userId, token } = await aSubscriber('starter', 'monthly');
    await advance(3 * DAY_S);

    const upgraded = await graphql('mutation { changePlan(tier: pro, billingInterval: monthly) { planTier billingInterval scheduledChange { tier } } }', { token });
    const periodEnd = (await subscriptionOf(userId)).currentPeriodEnd;
    const downgraded = await graphql('mutation { changePlan(tier: starter, billingInterval: monthly) { planTier scheduledChange { tier billingInterval effectiveAt } } }', { token });
    const invalid = await graphql('mutation { changePlan(tier: free, billingInterval: monthly) { planTier } }', { token });

    expect(upgraded.data.changePlan).toEqual({ planTier: 'pro', billingInterval: 'monthly', scheduledChange: null });
    expect((await paymentsOf(userId)).filter((payment: Json) => payment.purpose === 'proration')).toHaveLength(1);
    const hosted = await startCheckout(token, 'business', 'monthly');
    const replaced = await graphql('mutation { changePlan(tier: starter, billingInterval: yearly) { scheduledChange { tier billingInterval } } }', { token });

    expect(downgraded.data.changePlan).toEqual({ planTier: 'pro', scheduledChange: { tier: 'starter', billingInterval: 'monthly', effectiveAt: periodEnd } });
    expect(hosted.status).toBe(409);
    expect(hosted.json().error).toMatch(/is scheduled for .*changePlan/);
    expect(replaced.data.changePlan.scheduledChange).toEqual({ tier: 'starter', billingInterval: 'yearly' });
    expect(invalid.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'tier' });
    expect((await changes(userId)).map((change) => [change.reason, change.fromTier, change.toTier]).reverse()).toEqual([
      ['checkout', 'free', 'starter'],
      ['plan_change', 'starter', 'pro'],
      ['plan_change_scheduled', 'pro', 'starter'],
      ['plan_change_scheduled', 'pro', 'starter'],
    ]);
  });

  it('switches monthly to yearly at once: the billing cycle restarts, charging the year less the unused rest of the month', async () => {
    const { graphql, advance, paymentsOf, subscriptionOf, sandboxNow, aSubscriber } = setup();
    const { userId, token } = await aSubscriber('pro', 'monthly');
    await advance(15 * DAY_S);
    const before = await subscriptionOf(userId);

    const changed = await graphql('mutation { changePlan(tier: pro, billingInterval: yearly) { planTier billingInterval currentPeriodEnd } }', { token });
    const at = await sandboxNow();

    const unusedCents = Math.round((4_900 * (Date.parse(before.currentPeriodEnd) - at.getTime())) / (Date.parse(before.currentPeriodEnd) - Date.parse(before.currentPeriodStart)));
    expect(changed.data.changePlan).toMatchObject({ planTier: 'pro', billingInterval: 'yearly' });
    expect(Date.parse(changed.data.changePlan.currentPeriodEnd)).toBeGreaterThan(at.getTime() + 364 * DAY_S * 1000);
    expect((await paymentsOf(userId)).find((payment: Json) => payment.purpose === 'proration').amount.amountMinor).toBe(44_100 - unusedCents);
  });
});
