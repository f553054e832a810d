import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../adapters/persistence/database.ts';
import { CHECKOUT_SESSION_REPOSITORY } from '../../application/billing/checkout-session.repository.ts';
import { PLAN_CHANGE_REPOSITORY } from '../../application/billing/plan-change.repository.ts';
import { resolve } from '../../api/container.ts';
import { aUserId } from '../support/builders.ts';
import { BACKENDS, openTestDatabase } from '../support/databases.ts';
import { STRIPE_WEBHOOK_SECRET, stripeSignature } from '../support/provider-events.ts';
import { startProviderFakes, type ProviderFakes } from '../support/provider-fakes.ts';
import { makeTestApp, signToken, STRIPE_PRICE_ENV } from '../support/test-app.ts';

const URLS = { success_url: 'https://app.aerostack.dev/settings/billing?success=true', cancel_url: 'https://app.aerostack.dev/settings/billing' };
const BILLING = '{ billing { planTier billingInterval status currentPeriodEnd scheduledChange { tier billingInterval effectiveAt } } }';

type Json = Record<string, any>;

describe.each(['memory', ...BACKENDS] as const)('changing plan at Stripe (the official SDK against the local fake), stored %s', (backend) => {
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

  function setup() {
    const testApp = makeTestApp({ database, gateways: fakes.gateways, payoutGateways: fakes.payoutGateways, env: { STRIPE_WEBHOOK_SECRET } });
    const stripe = fakes.stripe;
    const billing = async (token: string) => (await testApp.graphql(BILLING, { token })).data.billing;
    const changes = (userId: string) => resolve(testApp.container, PLAN_CHANGE_REPOSITORY).listForUser(userId, 20);
    const verify = (token: string, sessionId: string) => testApp.request(`/api/billing/verify-session?session_id=${encodeURIComponent(sessionId)}`, { token });
    const startCheckout = (token: string, tier: string, billingInterval: string) =>
      testApp.request('/api/billing/checkout', { token, body: { tier, billing_interval: billingInterval, ...URLS } });
    /** Stripe delivers the event about `objectId` as it is now; the workers apply it. */
    const deliver = async (type: string, objectId: string) => {
      const body = stripe.eventFor(type, objectId);
      const response = await testApp.app.request('/api/billing/webhook', { method: 'POST', headers: { 'stripe-signature': stripeSignature(body), 'content-type': 'application/json' }, body });
      expect(response.status).toBe(200);
      await testApp.applyEvents();
    };
    const providerSessionOf = async (sessionId: string) => (await resolve(testApp.container, CHECKOUT_SESSION_REPOSITORY).findByReference(sessionId))!.providerSessionId!;

    /** A US user who paid a plan checkout at Stripe and verified it. */
    async function aSubscriber(tier: string, billingInterval: string) {
      const userId = aUserId();
      const token = await signToken({ sub: userId, country: 'US', expiresIn: '2h' });
      const { data } = await testApp.graphql('mutation ($input: StartPlanCheckoutInput!) { startPlanCheckout(input: $input) { sessionId } }', {
        token,
        variables: { input: { tier, billingInterval, successUrl: URLS.success_url, cancelUrl: URLS.cancel_url } },
      });
      const { subscriptionId } = stripe.completeCheckout(await providerSessionOf(data.startPlanCheckout.sessionId));
      expect((await verify(token, data.startPlanCheckout.sessionId)).status).toBe(200);
      return { userId, token, subscriptionId };
    }
    /** The subscription's item and price at the fake. */
    const itemOf = (subscriptionId: string) => (stripe.subscription(subscriptionId)!['items'] as { data: Json[] }).data[0]!;
    return { ...testApp, stripe, billing, changes, verify, startCheckout, deliver, providerSessionOf, aSubscriber, itemOf };
  }

  it('upgrades pro to business through POST /api/billing/checkout, the portal confirmation and verify-session, Stripe invoicing the prorated difference', async () => {
    const { stripe, startCheckout, verify, billing, changes, deliver, aSubscriber, itemOf, providerSessionOf } = setup();
    const { userId, token, subscriptionId } = await aSubscriber('pro', 'monthly');

    const started = await startCheckout(token, 'business', 'monthly');
    const portal = stripe.portalSession(await providerSessionOf(started.json().session_id))!;
    const configuration = stripe.portalConfiguration(String(portal['configuration']))!;
    const unconfirmed = await verify(token, started.json().session_id);
    const redirect = new URL(stripe.confirmPortalFlow(started.json().url));
    const verified = await verify(token, started.json().session_id);
    const invoice = stripe.invoice(String(stripe.subscription(subscriptionId)!['latest_invoice']))!;
    await deliver('invoice.paid', subscriptionId);
    await deliver('customer.subscription.updated', subscriptionId);

    expect(started.status).toBe(200);
    expect(started.json().url).toBe(portal['url']);
    expect(portal['flow']).toMatchObject({
      type: 'subscription_update_confirm',
      subscription_update_confirm: { subscription: subscriptionId, items: [{ id: itemOf(subscriptionId)['id'], price: STRIPE_PRICE_ENV.STRIPE_PRICE_BUSINESS_MONTHLY, quantity: 1 }] },
      after_completion: { type: 'redirect', redirect: { return_url: `${URLS.success_url}&session_id=${started.json().session_id}` } },
    });
    expect(configuration['features']).toMatchObject({ subscription_update: { enabled: true, proration_behavior: 'always_invoice', schedule_at_period_end: { conditions: [] } } });
    expect(unconfirmed.status).toBe(409);
    expect(redirect.searchParams.get('session_id')).toBe(started.json().session_id);
    expect(verified.json()).toEqual({ tier: 'business' });
    expect(itemOf(subscriptionId)['price']).toMatchObject({ id: STRIPE_PRICE_ENV.STRIPE_PRICE_BUSINESS_MONTHLY });
    // Unused time on pro credited, the rest of the period on business charged: what Stripe computes, paid at once.
    expect(invoice).toMatchObject({ billing_reason: 'subscription_update', status: 'paid' });
    expect(invoice['amount_paid']).toBe((invoice['lines'] as { data: Json[] }).data.reduce((sum, line) => sum + line['amount'], 0));
    expect(invoice['amount_paid']).toBeGreaterThan(15_000 - 100);
    expect(invoice['amount_paid']).toBeLessThanOrEqual(15_000);
    expect(await billing(token)).toMatchObject({ planTier: 'business', billingInterval: 'monthly', status: 'active', scheduledChange: null });
    expect((await changes(userId)).map((change) => [change.reason, change.fromTier, change.toTier]).reverse()).toEqual([
      ['checkout', 'free', 'pro'],
      ['plan_change', 'pro', 'business'],
    ]);
  });

  it('downgrades business to pro at the period end: a schedule at Stripe, business until the renewal, pro from it', async () => {
    const { stripe, startCheckout, verify, billing, changes, deliver, aSubscriber, itemOf, request, providerSessionOf } = setup();
    const { userId, token, subscriptionId } = await aSubscriber('business', 'monthly');
    const periodEnd = new Date(Number(itemOf(subscriptionId)['current_period_end']) * 1000).toISOString();

    const started = await startCheckout(token, 'pro', 'monthly');
    const portal = stripe.portalSession(await providerSessionOf(started.json().session_id))!;
    stripe.confirmPortalFlow(String(portal['id']));
    const verified = await verify(token, started.json().session_id);
    await deliver('customer.subscription.updated', subscriptionId);
    const waiting = await billing(token);
    const rest = (await request('/api/billing', { token })).json();
    const schedule = stripe.schedule(String(stripe.subscription(subscriptionId)!['schedule']))!;
    stripe.renewSubscription(subscriptionId);
    await deliver('customer.subscription.updated', subscriptionId);

    expect(stripe.portalConfiguration(String(portal['configuration']))!['features']).toMatchObject({
      subscription_update: { proration_behavior: 'always_invoice', schedule_at_period_end: { conditions: [{ type: 'decreasing_item_amount' }, { type: 'shortening_interval' }] } },
    });
    expect(verified.json()).toEqual({ tier: 'business' });
    expect(schedule['phases']).toMatchObject([
      { items: [{ price: STRIPE_PRICE_ENV.STRIPE_PRICE_BUSINESS_MONTHLY }] },
      { items: [{ price: STRIPE_PRICE_ENV.STRIPE_PRICE_PRO_MONTHLY }], start_date: Date.parse(periodEnd) / 1000 },
    ]);
    expect(waiting).toMatchObject({ planTier: 'business', scheduledChange: { tier: 'pro', billingInterval: 'monthly', effectiveAt: periodEnd } });
    expect(rest.scheduled_change).toEqual({ tier: 'pro', billing_interval: 'monthly', effective_at: periodEnd });
    expect(itemOf(subscriptionId)['price']).toMatchObject({ id: STRIPE_PRICE_ENV.STRIPE_PRICE_PRO_MONTHLY });
    expect(await billing(token)).toMatchObject({ planTier: 'pro', billingInterval: 'monthly', status: 'active', scheduledChange: null });
    expect((await changes(userId)).map((change) => [change.reason, change.fromTier, change.toTier]).reverse()).toEqual([
      ['checkout', 'free', 'business'],
      ['plan_change_scheduled', 'business', 'pro'],
      ['provider_event', 'business', 'pro'],
    ]);
  });

  it("forgets a scheduled downgrade withdrawn in Stripe's dashboard once the schedule's event arrives", async () => {
    const { stripe, graphql, billing, deliver, aSubscriber } = setup();
    const { token, subscriptionId } = await aSubscriber('business', 'yearly');
    await graphql('mutation { changePlan(tier: business, billingInterval: monthly) { planTier } }', { token });
    const scheduleId = String(stripe.subscription(subscriptionId)!['schedule']);
    const scheduled = await billing(token);

    stripe.releaseScheduleNow(scheduleId);
    await deliver('subscription_schedule.released', scheduleId);

    expect(scheduled).toMatchObject({ planTier: 'business', billingInterval: 'yearly', scheduledChange: { tier: 'business', billingInterval: 'monthly' } });
    expect(await billing(token)).toMatchObject({ planTier: 'business', billingInterval: 'yearly', scheduledChange: null });
  });

  it('answers 409 for the plan the subscriber is on, asking Stripe nothing and writing nothing', async () => {
    const { stripe, startCheckout, changes, aSubscriber, graphql } = setup();
    const { userId, token } = await aSubscriber('pro', 'yearly');
    const portalRequests = stripe.requestsTo('POST', '/v1/billing_portal/sessions').length;
    const before = await changes(userId);

    const same = await startCheckout(token, 'pro', 'yearly');
    const overGraphql = await graphql('mutation { changePlan(tier: pro, billingInterval: yearly) { planTier } }', { token });

    expect(same.status).toBe(409);
    expect(same.json().error).toMatch(/nothing to change/);
    expect(overGraphql.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(stripe.requestsTo('POST', '/v1/billing_portal/sessions')).toHaveLength(portalRequests);
    expect(await changes(userId)).toEqual(before);
  });

  it("answers 404 for another user's plan change session, exactly as for an unknown one", async () => {
    const { startCheckout, verify, stripe, aSubscriber, billing } = setup();
    const owner = await aSubscriber('pro', 'monthly');
    const stranger = await aSubscriber('pro', 'monthly');
    const started = await startCheckout(owner.token, 'business', 'monthly');
    stripe.confirmPortalFlow(started.json().url);

    const stolen = await verify(stranger.token, started.json().session_id);
    const unknown = await verify(stranger.token, 'bps_nothing');

    expect([stolen.status, unknown.status]).toEqual([404, 404]);
    expect(await billing(stranger.token)).toMatchObject({ planTier: 'pro' });
  });

  it('changes plan over GraphQL through the API: an upgrade invoiced at once, a downgrade as a schedule for the period end', async () => {
    const { stripe, graphql, changes, aSubscriber, itemOf } = setup();
    const { userId, token, subscriptionId } = await aSubscriber('starter', 'monthly');
    const periodEnd = new Date(Number(itemOf(subscriptionId)['current_period_end']) * 1000).toISOString();

    const upgraded = await graphql('mutation { changePlan(tier: pro, billingInterval: monthly) { planTier billingInterval scheduledChange { tier } } }', { token });
    const update = stripe.requestsTo('POST', `/v1/subscriptions/${subscriptionId}`).at(-1)!;
    const invoice = stripe.invoice(String(stripe.subscription(subscriptionId)!['latest_invoice']))!;
    const downgraded = await graphql('mutation { changePlan(tier: starter, billingInterval: monthly) { planTier scheduledChange { tier billingInterval effectiveAt } } }', { token });
    const schedule = structuredClone(stripe.schedule(String(stripe.subscription(subscriptionId)!['schedule']))!);
    const replaced = await graphql('mutation { changePlan(tier: starter, billingInterval: yearly) { scheduledChange { tier billingInterval } } }', { token });
    const replacing = stripe.schedule(String(schedule['id']))!;

    expect(replaced.data.changePlan.scheduledChange).toEqual({ tier: 'starter', billingInterval: 'yearly' });
    expect(stripe.subscription(subscriptionId)!['schedule']).toBe(schedule['id']);
    expect((replacing['phases'] as Json[]).map((phase) => phase['items'][0].price)).toEqual([STRIPE_PRICE_ENV.STRIPE_PRICE_PRO_MONTHLY, STRIPE_PRICE_ENV.STRIPE_PRICE_STARTER_YEARLY]);
    expect(upgraded.data.changePlan).toEqual({ planTier: 'pro', billingInterval: 'monthly', scheduledChange: null });
    expect(update.body).toMatchObject({ items: [{ price: STRIPE_PRICE_ENV.STRIPE_PRICE_PRO_MONTHLY }], proration_behavior: 'always_invoice', payment_behavior: 'error_if_incomplete' });
    expect(update.idempotencyKey).toMatch(/^plan-change:/);
    expect(invoice).toMatchObject({ status: 'paid', billing_reason: 'subscription_update' });
    expect(invoice['amount_paid']).toBeGreaterThan(0);
    expect(downgraded.data.changePlan).toEqual({ planTier: 'pro', scheduledChange: { tier: 'starter', billingInterval: 'monthly', effectiveAt: periodEnd } });
    expect(schedule).toMatchObject({ status: 'active', end_behavior: 'release', subscription: subscriptionId });
    expect((schedule['phases'] as Json[]).map((phase) => phase['items'][0].price)).toEqual([STRIPE_PRICE_ENV.STRIPE_PRICE_PRO_MONTHLY, STRIPE_PRICE_ENV.STRIPE_PRICE_STARTER_MONTHLY]);
    expect(itemOf(subscriptionId)['price']).toMatchObject({ id: STRIPE_PRICE_ENV.STRIPE_PRICE_PRO_MONTHLY });
    expect((await changes(userId)).map((change) => change.reason).reverse()).toEqual(['checkout', 'plan_change', 'plan_change_scheduled', 'plan_change_scheduled']);
  });

  it('changes nothing when Stripe refuses: a declined proration over GraphQL, a portal session it will not open', async () => {
    const { stripe, graphql, startCheckout, changes, billing, aSubscriber, itemOf, container } = setup();
    const { userId, token, subscriptionId } = await aSubscriber('pro', 'monthly');
    const before = { billing: await billing(token), changes: await changes(userId) };

    stripe.declineNextInvoicePayment();
    const declined = await graphql('mutation { changePlan(tier: business, billingInterval: monthly) { planTier } }', { token });
    // Stripe moved the subscription to past_due and no event has said so yet: its portal will not update it.
    stripe.setSubscriptionStatus(subscriptionId, 'past_due');
    const refused = await startCheckout(token, 'business', 'yearly');
    const attempted = stripe.requestsTo('POST', '/v1/billing_portal/sessions').at(-1)!;

    expect(declined.errors?.[0]?.extensions?.code).toBe('PROVIDER_ERROR');
    expect(declined.errors?.[0]?.message).toMatch(/declined/);
    expect(refused.status).toBe(502);
    expect(refused.json().error).toMatch(/cannot be updated in the portal/);
    expect(itemOf(subscriptionId)['price']).toMatchObject({ id: STRIPE_PRICE_ENV.STRIPE_PRICE_PRO_MONTHLY });
    expect(await billing(token)).toEqual(before.billing);
    expect(await changes(userId)).toEqual(before.changes);
    // The session stored before asking Stripe is gone again, under the id Stripe was given as its idempotency key.
    const sessionId = attempted.idempotencyKey!.replace(/^plan-change:/, '');
    expect(await resolve(container, CHECKOUT_SESSION_REPOSITORY).findByReference(sessionId)).toBeNull();
  });
});
