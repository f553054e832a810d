import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../adapters/persistence/database.ts';
import { ACCOUNT_PLAN_REPOSITORY } from '../../application/billing/account-plan.repository.ts';
import { CHECKOUT_SESSION_REPOSITORY } from '../../application/billing/checkout-session.repository.ts';
import type { PaymentGateway, PlanCheckoutRequest } from '../../application/billing/payment-gateway.port.ts';
import { PLAN_CHANGE_REPOSITORY } from '../../application/billing/plan-change.repository.ts';
import { resolve, SANDBOX_PROVIDER } from '../../api/container.ts';
import { ProviderError } from '../../domain/shared/errors.ts';
import { aUserId, FixedClock } from '../support/builders.ts';
import { BACKENDS, openTestDatabase } from '../support/databases.ts';
import { makeTestApp, signToken } from '../support/test-app.ts';

const SUCCESS_URL = 'https://app.aerostack.dev/settings/billing?success=true';
const CANCEL_URL = 'https://app.aerostack.dev/settings/billing';
const checkoutBody = (tier = 'pro', interval = 'yearly') => ({
  tier,
  billing_interval: interval,
  success_url: SUCCESS_URL,
  cancel_url: CANCEL_URL,
});

/** The sandbox's own checkout id: the last segment of its hosted page's address. */
const sandboxCheckoutId = (url: string) => decodeURIComponent(new URL(url).pathname.split('/').pop()!);

describe.each(['memory', ...BACKENDS] as const)('plan checkout through the sandbox, stored %s', (backend) => {
  let database: Database | undefined;

  beforeAll(async () => {
    if (backend !== 'memory') database = await openTestDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  function setup() {
    const clock = new FixedClock(new Date('2026-11-22T12:00:00Z'));
    const testApp = makeTestApp({ database, clock });
    const sandbox = resolve(testApp.container, SANDBOX_PROVIDER);

    /** Does what the user's browser does on the hosted page: press Pay, follow the 303. */
    async function payAtProvider(checkoutUrl: string): Promise<string> {
      const response = await testApp.app.request(`${new URL(checkoutUrl).pathname}/pay`, { method: 'POST' });
      expect(response.status).toBe(303);
      const sessionId = new URL(response.headers.get('location')!).searchParams.get('session_id');
      expect(sessionId).toBeTruthy();
      return sessionId!;
    }

    async function startCheckout(token: string, body: object = checkoutBody()) {
      return testApp.request('/api/billing/checkout', { token, body });
    }

    return { ...testApp, clock, sandbox, payAtProvider, startCheckout };
  }

  it('upgrades a US user to pro yearly through the spec flow, in USD', async () => {
    const { request, graphql, startCheckout, payAtProvider, sandbox } = setup();
    const token = await signToken({ sub: aUserId(), country: 'US' });

    const started = await startCheckout(token);
    expect(started.status).toBe(200);
    expect(Object.keys(started.json())).toEqual(['url']);
    const sessionId = await payAtProvider(started.json().url);
    const verified = await request(`/api/billing/verify-session?session_id=${sessionId}`, { token });
    const billing = await request('/api/billing', { token });
    const { data } = await graphql('{ billing { planTier billingInterval status currentPeriodEnd } }', { token });

    expect((await sandbox.checkout(sandboxCheckoutId(started.json().url)))?.amount).toMatchObject({ amountMinor: 44_100, currency: 'USD' });
    expect(verified.json()).toEqual({ tier: 'pro' });
    expect(billing.json()).toEqual({ plan_tier: 'pro', payment_gateway: 'stripe', status: 'active' });
    expect(data.billing).toEqual({ planTier: 'pro', billingInterval: 'yearly', status: 'active', currentPeriodEnd: '2027-11-22T12:00:00.000Z' });
  });

  it('upgrades an Indian user through GraphQL, charged in INR at the configured rate', async () => {
    const { graphql, payAtProvider, sandbox } = setup();
    const token = await signToken({ sub: aUserId(), country: 'IN' });

    const started = await graphql(
      'mutation ($input: StartPlanCheckoutInput!) { startPlanCheckout(input: $input) { url sessionId } }',
      { token, variables: { input: { tier: 'pro', billingInterval: 'monthly', successUrl: SUCCESS_URL, cancelUrl: CANCEL_URL } } },
    );
    const redirectedSessionId = await payAtProvider(started.data.startPlanCheckout.url);
    const verified = await graphql('mutation ($id: String!) { verifyCheckoutSession(sessionId: $id) { planTier paymentGateway billingInterval } }', {
      token,
      variables: { id: started.data.startPlanCheckout.sessionId },
    });

    expect(redirectedSessionId).toBe(started.data.startPlanCheckout.sessionId);
    expect((await sandbox.checkout(sandboxCheckoutId(started.data.startPlanCheckout.url)))?.amount).toMatchObject({ amountMinor: 4_900 * 85, currency: 'INR' });
    expect(verified.data.verifyCheckoutSession).toEqual({ planTier: 'pro', paymentGateway: 'razorpay', billingInterval: 'monthly' });
  });

  it.each(['US', 'IN'])('answers startPlanCheckout and startDeposit with the session id their redirect carries, which verifies (%s)', async (country) => {
    const { graphql, request, payAtProvider } = setup();
    const token = await signToken({ sub: aUserId(), country });
    const input = { tier: 'pro', billingInterval: 'monthly', successUrl: SUCCESS_URL, cancelUrl: CANCEL_URL };

    const plan = (await graphql('mutation ($input: StartPlanCheckoutInput!) { startPlanCheckout(input: $input) { url sessionId } }', { token, variables: { input } })).data.startPlanCheckout;
    const deposit = (await graphql('mutation ($s: String!, $c: String!) { startDeposit(amountCents: 1000, successUrl: $s, cancelUrl: $c) { url sessionId } }', { token, variables: { s: SUCCESS_URL, c: CANCEL_URL } })).data.startDeposit;
    const redirected = [await payAtProvider(plan.url), await payAtProvider(deposit.url)];
    const verifiedPlan = await graphql('mutation ($id: String!) { verifyCheckoutSession(sessionId: $id) { planTier } }', { token, variables: { id: redirected[0] } });
    const verifiedDeposit = await request(`/api/balance/verify?session_id=${redirected[1]}`, { token });

    expect(redirected).toEqual([plan.sessionId, deposit.sessionId]);
    expect(verifiedPlan.data?.verifyCheckoutSession).toEqual({ planTier: 'pro' });
    expect(verifiedDeposit.json()).toMatchObject({ deposited: true, amount_cents: 1_000 });
  });

  it('upgrades once when verify-session is called 50 times at once and again afterwards', async () => {
    const { request, container, startCheckout, payAtProvider } = setup();
    const userId = aUserId();
    const token = await signToken({ sub: userId, country: 'US' });
    const sessionId = await payAtProvider((await startCheckout(token)).json().url);

    const answers = await Promise.all(
      Array.from({ length: 50 }, () => request(`/api/billing/verify-session?session_id=${sessionId}`, { token })),
    );
    const again = await request(`/api/billing/verify-session?session_id=${sessionId}`, { token });
    const changes = await resolve(container, PLAN_CHANGE_REPOSITORY).listForUser(userId, 10);

    expect(answers.map((answer) => answer.status)).toEqual(Array(50).fill(200));
    expect(new Set(answers.map((answer) => answer.text))).toEqual(new Set(['{"tier":"pro"}']));
    expect(again.json()).toEqual({ tier: 'pro' });
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ reason: 'checkout', fromTier: 'free', toTier: 'pro', toInterval: 'yearly' });
  });

  it('says an unpaid checkout is not paid and changes nothing', async () => {
    const { request, startCheckout, sandbox } = setup();
    const token = await signToken({ sub: aUserId() });
    const url = (await startCheckout(token)).json().url as string;
    const providerSessionId = decodeURIComponent(url.split('/').pop()!);

    const verified = await request(`/api/billing/verify-session?session_id=${providerSessionId}`, { token });

    expect(verified.status).toBe(409);
    expect(verified.json().error).toMatch(/not paid/);
    expect((await sandbox.checkout(providerSessionId))?.status).toBe('open');
    expect((await request('/api/billing', { token })).json().plan_tier).toBe('free');
  });

  it('marks a checkout the user canceled and refuses to verify it', async () => {
    const { request, app, container, startCheckout } = setup();
    const token = await signToken({ sub: aUserId() });
    const url = (await startCheckout(token)).json().url as string;
    const providerSessionId = decodeURIComponent(url.split('/').pop()!);

    const cancel = await app.request(`${new URL(url).pathname}/cancel`, { method: 'POST' });
    const verified = await request(`/api/billing/verify-session?session_id=${providerSessionId}`, { token });

    expect(cancel.status).toBe(303);
    expect(cancel.headers.get('location')).toBe(CANCEL_URL);
    expect(verified.status).toBe(409);
    expect((await resolve(container, CHECKOUT_SESSION_REPOSITORY).findByReference(providerSessionId))?.status).toBe('canceled');
  });

  it("answers 404 for another user's session, exactly as for an unknown one", async () => {
    const { request, startCheckout, payAtProvider } = setup();
    const owner = await signToken({ sub: aUserId() });
    const stranger = await signToken({ sub: aUserId() });
    const sessionId = await payAtProvider((await startCheckout(owner)).json().url);

    const stolen = await request(`/api/billing/verify-session?session_id=${sessionId}`, { token: stranger });
    const unknown = await request('/api/billing/verify-session?session_id=cs_test_nothing', { token: stranger });

    expect(stolen.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect((await request('/api/billing', { token: owner })).json().plan_tier).toBe('free');
  });

  it('opens no second subscription for a subscriber: another plan is a change to confirm, the same plan a conflict', async () => {
    const { request, startCheckout, payAtProvider, sandbox } = setup();
    const userId = aUserId();
    const token = await signToken({ sub: userId });
    const sessionId = await payAtProvider((await startCheckout(token)).json().url);
    await request(`/api/billing/verify-session?session_id=${sessionId}`, { token });

    const change = await startCheckout(token, checkoutBody('business', 'monthly'));
    const same = await startCheckout(token, checkoutBody('pro', 'yearly'));

    expect(change.status).toBe(200);
    expect(Object.keys(change.json()).sort()).toEqual(['session_id', 'url']);
    expect(new URL(change.json().url).pathname).toMatch(/^\/sandbox\/plan-change\//);
    expect((await sandbox.state()).checkouts.filter((checkout) => checkout.userId === userId)).toHaveLength(1);
    expect(same.status).toBe(409);
    expect(same.json().error).toMatch(/pro yearly already: there is nothing to change/);
  });

  it('opens the sandbox customer portal for a subscribed Stripe-region user', async () => {
    const { request, app, startCheckout, payAtProvider } = setup();
    const token = await signToken({ sub: aUserId(), country: 'US' });
    const before = await request(`/api/billing/portal?return_url=${encodeURIComponent(CANCEL_URL)}`, { token });
    const sessionId = await payAtProvider((await startCheckout(token)).json().url);
    await request(`/api/billing/verify-session?session_id=${sessionId}`, { token });

    const portal = await request(`/api/billing/portal?return_url=${encodeURIComponent(CANCEL_URL)}`, { token });
    const page = await app.request(new URL(portal.json().url).pathname);

    expect(before.status).toBe(409);
    expect(portal.status).toBe(200);
    expect(await page.text()).toContain(CANCEL_URL);
  });

  it('cancels renewal and changes the billing interval over GraphQL, recording each change', async () => {
    const { request, graphql, container, startCheckout, payAtProvider } = setup();
    const userId = aUserId();
    const token = await signToken({ sub: userId, country: 'IN' });
    const sessionId = await payAtProvider((await startCheckout(token)).json().url);
    await request(`/api/billing/verify-session?session_id=${sessionId}`, { token });

    const changed = await graphql('mutation { changeBillingInterval(billingInterval: monthly) { billingInterval planTier } }', { token });
    const unchanged = await graphql('mutation { changeBillingInterval(billingInterval: monthly) { billingInterval } }', { token });
    const canceled = await graphql('mutation { cancelSubscription { status planTier } }', { token });
    const canceledAgain = await graphql('mutation { cancelSubscription { status } }', { token });
    const changes = await resolve(container, PLAN_CHANGE_REPOSITORY).listForUser(userId, 10);

    expect(changed.data.changeBillingInterval).toEqual({ billingInterval: 'monthly', planTier: 'pro' });
    expect(unchanged.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(canceled.data.cancelSubscription).toEqual({ status: 'canceled', planTier: 'pro' });
    expect(canceledAgain.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(changes.map((change) => change.reason).sort()).toEqual(['cancel_renewal', 'checkout', 'interval_change']);
  });
});

describe('plan checkout input and failures', () => {
  it.each([
    [{ ...checkoutBody(), tier: 'free' }, 'tier'],
    [{ ...checkoutBody(), tier: 'gold' }, 'tier'],
    [{ ...checkoutBody(), tier: undefined }, 'tier'],
    [{ ...checkoutBody(), billing_interval: 'weekly' }, 'billing_interval'],
    [{ ...checkoutBody(), success_url: 'https://evil.example/steal' }, 'success_url'],
    [{ ...checkoutBody(), cancel_url: 'https://app.aerostack.dev.evil.example/' }, 'cancel_url'],
    [{ ...checkoutBody(), success_url: 'javascript:alert(1)' }, 'success_url'],
  ])('refuses %j with 400 naming %s, and writes nothing', async (body, field) => {
    const { request, container } = makeTestApp();
    const userId = aUserId();

    const response = await request('/api/billing/checkout', { token: await signToken({ sub: userId }), body });

    expect(response.status).toBe(400);
    expect(response.json()).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await resolve(container, ACCOUNT_PLAN_REPOSITORY).findByUserId(userId)).toBeNull();
  });

  it('refuses an unknown tier listing only the tiers a checkout takes, never free, and free saying it needs no checkout', async () => {
    const { request } = makeTestApp();
    const token = await signToken({ sub: aUserId() });

    const checkout = (tier: string) => request('/api/billing/checkout', { token, body: { ...checkoutBody(), tier } });
    const [gold, free] = await Promise.all([checkout('gold'), checkout('free')]);

    expect(gold.json()).toEqual({ error: 'tier must be one of starter, pro, business', code: 'BAD_USER_INPUT', field: 'tier' });
    expect(free.json()).toEqual({ error: 'the free tier needs no checkout; choose starter, pro, business', code: 'BAD_USER_INPUT', field: 'tier' });
  });

  it.each([
    ['not JSON', 'tier=pro', 'application/json'],
    ['a JSON array', '[]', 'application/json'],
    ['a form body', 'tier=pro', 'application/x-www-form-urlencoded'],
  ])('refuses %s with 400', async (_name, body, contentType) => {
    const { app } = makeTestApp();
    const response = await app.request('/api/billing/checkout', {
      method: 'POST',
      headers: { authorization: `Bearer ${await signToken({ sub: aUserId() })}`, 'content-type': contentType },
      body,
    });

    expect(response.status).toBe(400);
    expect((await response.json()).error).toBeTruthy();
  });

  it('names GraphQL inputs the GraphQL way when refusing them', async () => {
    const { graphql } = makeTestApp();
    const result = await graphql(
      'mutation ($input: StartPlanCheckoutInput!) { startPlanCheckout(input: $input) { url } }',
      {
        token: await signToken({ sub: aUserId() }),
        variables: { input: { tier: 'pro', billingInterval: 'yearly', successUrl: SUCCESS_URL, cancelUrl: 'https://evil.example/' } },
      },
    );

    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'cancelUrl' });
  });

  it('answers 502 PROVIDER_ERROR when the provider refuses, and leaves no checkout session behind', async () => {
    const attempted: PlanCheckoutRequest[] = [];
    const refusing: PaymentGateway = {
      provider: 'stripe',
      hostsCustomerPortal: true,
      async createPlanCheckout(request) {
        attempted.push(request);
        throw new ProviderError('stripe', 'create a checkout session', 'No such price: price_missing');
      },
      createDepositCheckout: () => Promise.reject(new Error('unused')),
      retrieveCheckout: () => Promise.reject(new Error('unused')),
      createPortalSession: () => Promise.reject(new Error('unused')),
      cancelSubscription: () => Promise.reject(new Error('unused')),
      changeSubscriptionInterval: () => Promise.reject(new Error('unused')),
      createPlanChangeSession: () => Promise.reject(new Error('unused')),
      changePlan: () => Promise.reject(new Error('unused')),
      retrieveSubscription: () => Promise.reject(new Error('unused')),
      retrievePayment: () => Promise.reject(new Error('unused')),
      retrieveDispute: () => Promise.reject(new Error('unused')),
      createRenewalCheckout: () => Promise.reject(new Error('unused')),
      takesRenewalPayments: false,
      checkoutPage: () => null,
      verifyCheckoutReturn: () => {
        throw new Error('unused');
      },
      expireCheckout: () => Promise.reject(new Error('unused')),
      cancelSubscriptionNow: () => Promise.reject(new Error('unused')),
      refundPayment: () => Promise.reject(new Error('unused')),
    };
    const { request, container, logs } = makeTestApp({ gateways: { stripe: refusing } });

    const response = await request('/api/billing/checkout', { token: await signToken({ sub: aUserId(), country: 'US' }), body: checkoutBody() });

    expect(logs()).toContainEqual(expect.objectContaining({ provider: 'stripe', providerMessage: 'No such price: price_missing' }));
    expect(response.status).toBe(502);
    expect(response.json()).toMatchObject({ code: 'PROVIDER_ERROR', error: expect.stringContaining('No such price') });
    expect(attempted).toHaveLength(1);
    expect(await resolve(container, CHECKOUT_SESSION_REPOSITORY).findByReference(attempted[0]!.sessionId)).toBeNull();
  });

  it("gives a Razorpay user this server's own billing page, by a signed link that opens it", async () => {
    const { request } = makeTestApp();
    const response = await request(`/api/billing/portal?return_url=${encodeURIComponent(CANCEL_URL)}`, {
      token: await signToken({ sub: aUserId(), country: 'IN' }),
    });
    const url = new URL(response.json().url as string);
    const page = await request(`${url.pathname}${url.search}`);

    expect(response.status).toBe(200);
    expect(url.pathname).toBe('/api/billing/portal/page');
    expect(url.searchParams.get('return_url')).toBe(CANCEL_URL);
    expect(page.status).toBe(200);
    expect(page.text).toContain('You are on the free plan.');
  });

  it('refuses a portal return_url off the allow-list', async () => {
    const { request } = makeTestApp();
    const response = await request('/api/billing/portal?return_url=https://evil.example/', { token: await signToken({ sub: aUserId() }) });

    expect(response.status).toBe(400);
    expect(response.json().field).toBe('return_url');
  });

  it('requires a session_id to verify', async () => {
    const { request } = makeTestApp();
    const response = await request('/api/billing/verify-session', { token: await signToken({ sub: aUserId() }) });

    expect(response.status).toBe(400);
    expect(response.json().field).toBe('session_id');
  });

  it('lists plans in USD for Stripe accounts and in INR with the rate for Razorpay accounts', async () => {
    const { graphql } = makeTestApp({ env: { INR_PER_USD: '83.5' } });
    const query = '{ plans { tier billingInterval amountMinor currency listPriceUsdCents fxRate } }';

    const us = await graphql(query, { token: await signToken({ sub: aUserId(), country: 'US' }) });
    const india = await graphql(query, { token: await signToken({ sub: aUserId(), country: 'IN' }) });

    expect(us.data.plans).toContainEqual({ tier: 'pro', billingInterval: 'yearly', amountMinor: 44_100, currency: 'USD', listPriceUsdCents: 44_100, fxRate: null });
    expect(india.data.plans).toContainEqual({ tier: 'pro', billingInterval: 'monthly', amountMinor: 409_150, currency: 'INR', listPriceUsdCents: 4_900, fxRate: '83.5' });
    expect(india.data.plans).toHaveLength(6);
  });
});
