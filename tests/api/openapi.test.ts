import type { ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CHECKOUT_SESSION_REPOSITORY } from '../../application/billing/checkout-session.repository.ts';
import { HEALTH_CHECK } from '../../application/shared/health.port.ts';
import { resolve, SANDBOX_PROVIDER } from '../../api/container.ts';
import { httpOperations, type Operation } from '../../api/rest/openapi.ts';
import { aUserId } from '../support/builders.ts';
import { RAZORPAY_WEBHOOK_SECRET, razorpayEvent, razorpaySignature, STRIPE_WEBHOOK_SECRET, stripeEvent, stripeSignature } from '../support/provider-events.ts';
import { startProviderFakes, type ProviderFakes } from '../support/provider-fakes.ts';
import { STRIPE_PRICE_ENV, makeTestApp, signToken } from '../support/test-app.ts';

const URLS = { success_url: 'https://app.aerostack.dev/settings/billing?success=true', cancel_url: 'https://app.aerostack.dev/settings/billing' };
const RETURN_URL = 'https://app.aerostack.dev/settings/billing';
const ENV = { STRIPE_WEBHOOK_SECRET, RAZORPAY_WEBHOOK_SECRET, MARKETPLACE_FEE_BPS: '2000' };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

type TestApp = ReturnType<typeof makeTestApp>;
type Json = Record<string, any>;

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: () => Json;
}

const OPERATIONS = httpOperations({ sandbox: true });

/** The documented operation answering `method` at `pathname`: `{id}` stands for one path segment. */
function operationFor(method: string, pathname: string): Operation | undefined {
  return OPERATIONS.find(
    (operation) => operation.method === method.toLowerCase() && new RegExp(`^${operation.path.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(pathname),
  );
}

/** Which statuses each operation was seen to answer, keyed `get /path/{id}`. */
const seen = new Map<string, Set<number>>();

/** Fails unless the answer is one the document lists for its route: its status, media type, body schema and headers. */
function expectAsDocumented(method: string, pathname: string, answer: Answer): void {
  const operation = operationFor(method, pathname);
  expect(operation, `${method} ${pathname} is not in the document`).toBeDefined();
  const where = `${method} ${operation!.path} answered ${answer.status} ${answer.text.slice(0, 300)}`;
  const documented = operation!.responses[String(answer.status)] as ResponseConfig | undefined;
  expect(documented, `${where}: a status the document does not list`).toBeDefined();
  const mediaType = (answer.headers.get('content-type') ?? '').split(';')[0]!.trim();
  if (documented!.content) {
    const media = documented!.content[mediaType];
    expect(media, `${where}: ${mediaType} is not documented`).toBeDefined();
    if (mediaType === 'application/json') {
      const parsed = (media as { schema: z.ZodType }).schema.safeParse(JSON.parse(answer.text));
      expect(parsed.error, `${where}: the body breaks its documented schema`).toBeUndefined();
    }
  } else {
    expect(answer.text, `${where}: the document says no body`).toBe('');
  }
  if (documented!.headers instanceof z.ZodObject) {
    const parsed = documented!.headers.safeParse(Object.fromEntries(answer.headers));
    expect(parsed.error, `${where}: its headers break the documented ones`).toBeUndefined();
  }
  const key = `${operation!.method} ${operation!.path}`;
  seen.set(key, (seen.get(key) ?? new Set()).add(answer.status));
}

/** A request through the app in process, its answer checked against the document. */
async function send(testApp: TestApp, path: string, init: { method?: string; token?: string; headers?: Record<string, string>; body?: unknown; form?: Record<string, string> } = {}): Promise<Answer> {
  const method = init.method ?? (init.body === undefined && init.form === undefined ? 'GET' : 'POST');
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers['authorization'] = `Bearer ${init.token}`;
  let body: string | undefined;
  if (init.form) {
    Object.assign(headers, FORM);
    body = new URLSearchParams(init.form).toString();
  } else if (init.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
  }
  const response = await testApp.app.request(path, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  const answer = { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) as Json };
  expectAsDocumented(method, new URL(path, 'http://test').pathname, answer);
  return answer;
}

const pathOf = (url: string) => {
  const parsed = new URL(url, 'http://test');
  return `${parsed.pathname}${parsed.search}`;
};

describe('the OpenAPI document', () => {
  it('is served at GET /openapi.json and validates as OpenAPI 3.1 (and the validator refuses a broken one)', async () => {
    const testApp = makeTestApp();
    const answer = await send(testApp, '/openapi.json');
    const validator = new Validator();

    const result = await validator.validate(answer.json());
    const broken = await new Validator().validate({ ...answer.json(), info: { title: 'no version' } });

    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(broken.valid).toBe(false);
  });

  it('documents every route the app mounts and no route it does not, with and without the sandbox', async () => {
    for (const [testApp, sandbox] of [
      [makeTestApp(), true],
      [makeTestApp({ configure: (container) => container.unbind(SANDBOX_PROVIDER) }), false],
    ] as const) {
        const mounted = testApp.app.routes
          .filter((route) => route.method !== 'ALL')
          .map((route) => `${route.method.toLowerCase()} ${route.path.replace(/(.)\/$/, '$1').replace(/:(\w+)/g, '{$1}')}`);
        const document = (await (await testApp.app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
        const documented = Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`));

        expect(new Set(documented)).toEqual(new Set(mounted));
        expect(documented.some((operation) => operation.startsWith('post /sandbox/'))).toBe(sandbox);
    }
  });
});

describe('every HTTP route answers as its OpenAPI document says', () => {
  let fakes: ProviderFakes;
  beforeAll(async () => {
    fakes = await startProviderFakes();
  });
  afterAll(async () => {
    await fakes?.stop();
  });

  async function aUser(country = 'US') {
    const userId = aUserId();
    return { userId, token: await signToken({ sub: userId, country, expiresIn: '2h' }) };
  }

  it('the service routes: health, metrics, the document and GraphQL', async () => {
    const testApp = makeTestApp();
    const down = makeTestApp({ configure: (container) => void container.rebind(HEALTH_CHECK).toConstantValue({ check: () => Promise.reject(new Error('down')) }) });
    const { token } = await aUser();

    expect((await send(testApp, '/healthz')).status).toBe(200);
    expect((await send(down, '/healthz')).status).toBe(503);
    expect((await send(testApp, '/metrics')).status).toBe(200);
    expect((await send(makeTestApp({ env: { METRICS_TOKEN: 'm'.repeat(16) } }), '/metrics')).status).toBe(401);
    expect((await send(testApp, '/graphql', { headers: { accept: 'text/html' } })).status).toBe(200);
    expect((await send(testApp, '/graphql?query=%7B__typename%7D', { headers: { accept: 'application/json' } })).status).toBe(200);
    expect((await send(testApp, '/graphql?query=mutation%7B__typename%7D', { headers: { accept: 'application/json' } })).status).toBe(405);
    expect((await send(testApp, '/graphql', { token, body: { query: '{ billing { planTier } }' } })).status).toBe(200);
    expect((await send(testApp, '/graphql', { token, body: '{' })).status).toBe(400);
    expect((await send(testApp, '/graphql', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, method: 'POST', body: 'query=mutation%7B__typename%7D' })).status).toBe(415);
    expect((await send(makeTestApp({ env: { GRAPHIQL: 'off' } }), '/graphql', { headers: { accept: 'text/html' } })).status).toBe(404);
    expect((await send(testApp, '/')).status).toBe(200);
  });

  it('the billing and balance routes through the sandbox: plan checkout, plan changes, portal and deposits', async () => {
    const testApp = makeTestApp({ env: ENV });
    const { token } = await aUser();

    expect((await send(testApp, '/api/billing', { token })).status).toBe(200);
    expect((await send(testApp, '/api/billing')).status).toBe(401);
    expect((await send(testApp, '/api/billing/checkout', { token, body: { tier: 'free', billing_interval: 'monthly', ...URLS } })).status).toBe(400);
    const checkout = await send(testApp, '/api/billing/checkout', { token, body: { tier: 'pro', billing_interval: 'monthly', ...URLS } });
    expect(checkout.status).toBe(200);
    const paid = await send(testApp, `${pathOf(checkout.json().url)}/pay`, { method: 'POST' });
    const sessionId = new URL(paid.headers.get('location')!).searchParams.get('session_id')!;
    expect((await send(testApp, `/api/billing/verify-session?session_id=${sessionId}`, { token })).json()).toEqual({ tier: 'pro' });
    expect((await send(testApp, '/api/billing/verify-session', { token })).status).toBe(400);
    await testApp.applyEvents();
    expect((await send(testApp, '/api/billing/checkout', { token, body: { tier: 'pro', billing_interval: 'monthly', ...URLS } })).status).toBe(409);

    // Three subscribers change plan, one per way out of the sandbox's page.
    for (const way of ['confirm', 'pay', 'cancel']) {
      const subscriber = await aUser();
      const first = await send(testApp, '/api/billing/checkout', { token: subscriber.token, body: { tier: 'pro', billing_interval: 'monthly', ...URLS } });
      await send(testApp, `${pathOf(first.json().url)}/pay`, { method: 'POST' });
      await testApp.applyEvents();
      const change = await send(testApp, '/api/billing/checkout', { token: subscriber.token, body: { tier: 'business', billing_interval: 'monthly', ...URLS } });
      expect(change.json()).toMatchObject({ url: expect.any(String), session_id: expect.any(String) });
      expect((await send(testApp, pathOf(change.json().url))).status).toBe(200);
      expect((await send(testApp, `${pathOf(change.json().url)}/${way}`, { method: 'POST' })).status).toBe(303);
      expect((await send(testApp, `/sandbox/plan-change/nothing-here/${way}`, { method: 'POST' })).status).toBe(404);
    }
    expect((await send(testApp, '/sandbox/plan-change/%00')).status).toBe(404);
    expect((await send(testApp, '/api/billing', { token })).status).toBe(200);

    const portal = await send(testApp, `/api/billing/portal?return_url=${encodeURIComponent(RETURN_URL)}`, { token });
    expect((await send(testApp, pathOf(portal.json().url))).status).toBe(200);
    expect((await send(testApp, '/api/billing/portal', { token })).status).toBe(400);
    expect((await send(testApp, '/sandbox/portal/%00')).status).toBe(404);

    expect((await send(testApp, '/api/balance/deposit', { token, body: { amount_cents: 499, ...URLS } })).status).toBe(400);
    const deposit = await send(testApp, '/api/balance/deposit', { token, body: { amount_cents: 2_500, ...URLS } });
    const depositPage = pathOf(deposit.json().url);
    expect((await send(testApp, depositPage)).status).toBe(200);
    const depositSession = new URL((await send(testApp, `${depositPage}/pay`, { method: 'POST' })).headers.get('location')!).searchParams.get('session_id')!;
    expect((await send(testApp, `/api/balance/verify?session_id=${depositSession}`, { token })).json()).toMatchObject({ deposited: true });
    expect((await send(testApp, '/api/balance/verify?session_id=', { token })).status).toBe(400);

    const leftOpen = await send(testApp, '/api/balance/deposit', { token, body: { amount_cents: 600, ...URLS } });
    expect((await send(testApp, `${pathOf(leftOpen.json().url)}/cancel`, { method: 'POST' })).status).toBe(303);
    const unpaid = new URL(leftOpen.json().url).pathname.split('/').at(-1)!;
    expect((await send(testApp, `/sandbox/checkout/${unpaid}/pay`, { method: 'POST' })).status).toBe(409);
    expect((await send(testApp, '/sandbox/checkout/%00/cancel', { method: 'POST' })).status).toBe(404);
    expect((await send(testApp, '/sandbox/checkout/%00')).status).toBe(404);
  });

  it('the webhook routes: a signed delivery is received, a forged one refused', async () => {
    const testApp = makeTestApp({ env: ENV });
    const stripe = stripeEvent('customer.created', { id: 'cus_1', object: 'customer' });
    const razorpay = razorpayEvent('account.updated', {});

    expect((await send(testApp, '/api/billing/webhook', { headers: { 'stripe-signature': stripeSignature(stripe) }, body: stripe })).json()).toEqual({ received: true });
    expect((await send(testApp, '/api/billing/webhook', { headers: { 'stripe-signature': 't=1,v1=00' }, body: stripe })).status).toBe(400);
    const razorpayHeaders = { 'x-razorpay-signature': razorpaySignature(razorpay), 'x-razorpay-event-id': 'evt_openapi_1' };
    expect((await send(testApp, '/api/billing/webhook/razorpay', { headers: razorpayHeaders, body: razorpay })).json()).toEqual({ received: true });
    expect((await send(testApp, '/api/billing/webhook/razorpay', { headers: { ...razorpayHeaders, 'x-razorpay-signature': 'f'.repeat(64) }, body: razorpay })).status).toBe(400);
  });

  it("the sandbox's pages and actions, each with a refusal", async () => {
    const testApp = makeTestApp({ env: ENV });
    const sandbox = (path: string, init: Parameters<typeof send>[2] = {}) => send(testApp, `/sandbox${path}`, { method: 'POST', ...init });
    const consumer = await aUser();
    const creator = await aUser();
    const state = async () => (await send(testApp, '/sandbox/state')).json();

    expect((await send(testApp, '/sandbox')).status).toBe(200);
    expect((await send(testApp, '/sandbox/clock')).status).toBe(200);
    expect((await sandbox('/clock/advance', { body: { seconds: 60 } })).status).toBe(200);
    expect((await sandbox('/clock/advance', { form: { seconds: '60' } })).status).toBe(303);
    expect((await sandbox('/clock/advance', { body: { seconds: '0x10' } })).status).toBe(400);

    // A plan and a deposit, paid: a subscription and payments to act on.
    const plan = await send(testApp, '/api/billing/checkout', { token: consumer.token, body: { tier: 'pro', billing_interval: 'monthly', ...URLS } });
    await send(testApp, `${pathOf(plan.json().url)}/pay`, { method: 'POST' });
    const deposit = await send(testApp, '/api/balance/deposit', { token: consumer.token, body: { amount_cents: 10_000, ...URLS } });
    await send(testApp, `${pathOf(deposit.json().url)}/pay`, { method: 'POST' });
    await testApp.applyEvents();
    const { subscriptions, payments } = await state();
    const subscription = subscriptions.find((one: Json) => one.userId === consumer.userId).id;
    const depositPayment = payments.find((one: Json) => one.userId === consumer.userId && one.purpose === 'deposit').id;

    expect((await sandbox('/subscriptions/fail-next-renewal', { body: { user_id: consumer.userId } })).status).toBe(200);
    expect((await sandbox('/subscriptions/fail-next-renewal', { body: {} })).status).toBe(400);
    for (const path of ['fail-next-renewal', 'renew']) {
      expect((await sandbox(`/subscriptions/${subscription}/${path}`)).status).toBe(200);
      expect((await sandbox(`/subscriptions/nothing-here/${path}`)).status).toBe(404);
    }
    expect((await sandbox(`/subscriptions/${subscription}/cancel`, { body: { at_period_end: 'maybe' } })).status).toBe(400);
    expect((await sandbox(`/subscriptions/${subscription}/cancel`, { body: { at_period_end: true } })).status).toBe(200);

    expect((await send(testApp, `/sandbox/receipts/${depositPayment}`)).status).toBe(200);
    expect((await send(testApp, '/sandbox/receipts/%00')).status).toBe(404);
    expect((await sandbox(`/payments/${depositPayment}/refund`, { body: { amount_minor: 'all' } })).status).toBe(400);
    expect((await sandbox(`/payments/${depositPayment}/refund`, { body: { amount_minor: 500 } })).status).toBe(200);
    const won = (await sandbox(`/payments/${depositPayment}/dispute`, { body: { amount_minor: 500 } })).json().dispute.id;
    const lost = (await sandbox(`/payments/${depositPayment}/dispute`, { body: { amount_minor: 500 } })).json().dispute.id;
    expect((await sandbox(`/payments/nothing-here/dispute`)).status).toBe(404);
    expect((await sandbox(`/disputes/${won}/win`)).status).toBe(200);
    expect((await sandbox(`/disputes/${won}/lose`)).status).toBe(409);
    expect((await sandbox(`/disputes/${lost}/lose`)).status).toBe(200);
    expect((await sandbox(`/disputes/${lost}/win`)).status).toBe(409);

    // A creator who earned from the consumer, onboarded at the sandbox: an account and transfers to act on.
    const service = await signToken({ sub: 'tool-runner', role: 'service' });
    await testApp.graphql('mutation ($input: ChargeToolCallInput!) { chargeToolCall(input: $input) { chargeId } }', {
      token: service,
      variables: { input: { consumerId: consumer.userId, creatorId: creator.userId, toolId: 'tool', priceCents: 7_500, idempotencyKey: `${creator.userId}-1` } },
    });
    const onboarding = await testApp.graphql('mutation ($url: String!) { startPayoutOnboarding(returnUrl: $url, refreshUrl: $url) { url } }', { token: creator.token, variables: { url: RETURN_URL } });
    const onboardingPage = pathOf(onboarding.data.startPayoutOnboarding.url);
    expect((await send(testApp, onboardingPage)).status).toBe(200);
    expect((await send(testApp, '/sandbox/onboarding/%00')).status).toBe(404);
    expect((await send(testApp, `${onboardingPage}/complete`, { method: 'POST' })).status).toBe(303);
    expect((await send(testApp, '/sandbox/onboarding/%00/complete', { method: 'POST' })).status).toBe(404);
    const account = (await state()).accounts.find((one: Json) => one.creatorId === creator.userId).id;
    expect((await sandbox(`/accounts/${account}/restrict`, { body: { reason: ' ' } })).status).toBe(400);
    expect((await sandbox(`/accounts/${account}/restrict`, { body: { reason: 'identity check' } })).status).toBe(200);
    expect((await sandbox(`/accounts/${account}/verify`)).status).toBe(200);
    expect((await sandbox('/accounts/nothing-here/verify')).status).toBe(404);

    const payout = async () => (await testApp.graphql('mutation { requestPayout(amountCents: 1500) { providerTransferId } }', { token: creator.token })).data.requestPayout.providerTransferId as string;
    expect((await sandbox('/transfers/hold-next')).status).toBe(200);
    const settling = await payout();
    expect((await sandbox('/transfers/hold-next')).status).toBe(200);
    const failing = await payout();
    const reversing = await payout();
    expect((await sandbox(`/transfers/${settling}/settle`)).status).toBe(200);
    expect((await sandbox(`/transfers/${settling}/settle`)).status).toBe(409);
    expect((await sandbox(`/transfers/${failing}/fail`, { body: { reason: 'the bank account is closed' } })).status).toBe(200);
    expect((await sandbox(`/transfers/${failing}/fail`, { body: { reason: 'x'.repeat(501) } })).status).toBe(400);
    expect((await sandbox(`/transfers/${reversing}/reverse`, { body: { amount_minor: 100 } })).status).toBe(200);
    expect((await sandbox('/transfers/nothing-here/reverse')).status).toBe(404);
    expect((await sandbox('/transfers/refuse-next', { body: { reason: 'the bank is closed' } })).status).toBe(200);
    expect((await sandbox('/transfers/refuse-next', { body: {} })).status).toBe(400);
    expect((await sandbox('/transfers/hold-next', { body: '[]' })).status).toBe(400);

    const expiring = await send(testApp, '/api/balance/deposit', { token: consumer.token, body: { amount_cents: 700, ...URLS } });
    const expiringId = new URL(expiring.json().url).pathname.split('/').at(-1)!;
    expect((await sandbox(`/checkout/${expiringId}/expire`)).status).toBe(200);
    expect((await sandbox(`/checkout/${expiringId}/expire`)).status).toBe(409);
    expect((await sandbox(`/subscriptions/${subscription}/cancel`)).status).toBe(200);
    expect((await sandbox('/subscriptions/nothing-here/cancel')).status).toBe(404);
  });

  it('the Razorpay pages this server hosts: checkout, callback, billing page, plan change and renewal', async () => {
    const testApp = makeTestApp({ gateways: fakes.gateways, env: { RAZORPAY_WEBHOOK_SECRET } });
    const deliver = async (event: string, subscriptionId: string) => {
      const body = fakes.razorpay.eventFor(event, { subscription: subscriptionId });
      await testApp.app.request('/api/billing/webhook/razorpay', {
        method: 'POST',
        headers: { 'x-razorpay-signature': razorpaySignature(body), 'x-razorpay-event-id': `evt_${event}_${Math.random()}`, 'content-type': 'application/json' },
        body,
      });
      await testApp.applyEvents();
    };

    /** A Razorpay subscriber: the plan checkout on our page, paid, its signed callback and verify-session. */
    async function aSubscriber() {
      const { token } = await aUser('IN');
      const started = await send(testApp, '/api/billing/checkout', { token, body: { tier: 'business', billing_interval: 'monthly', ...URLS } });
      const sessionId = new URL(started.json().url).searchParams.get('session_id')!;
      expect((await send(testApp, pathOf(started.json().url))).status).toBe(200);
      const subscriptionId = (await resolve(testApp.container, CHECKOUT_SESSION_REPOSITORY).findByReference(sessionId))!.providerSessionId!;
      const callback = `/api/billing/razorpay/callback?session_id=${sessionId}`;
      expect((await send(testApp, callback, { form: { razorpay_signature: 'f'.repeat(64) } })).status).toBe(400);
      expect((await send(testApp, callback, { form: { ...fakes.razorpay.authorizeSubscription(subscriptionId) } })).status).toBe(303);
      expect((await send(testApp, pathOf(started.json().url))).status).toBe(303);
      await send(testApp, `/api/billing/verify-session?session_id=${sessionId}`, { token });
      return { token, subscriptionId };
    }

    const { token } = await aSubscriber();
    expect((await send(testApp, '/api/billing/razorpay/checkout')).status).toBe(400);
    const portal = pathOf((await send(testApp, `/api/billing/portal?return_url=${encodeURIComponent(RETURN_URL)}`, { token })).json().url);
    const portalQuery = new URL(portal, 'http://test').search;
    const forged = `?link=forged&return_url=${encodeURIComponent(RETURN_URL)}`;
    expect((await send(testApp, portal)).status).toBe(200);
    expect((await send(testApp, `/api/billing/portal/page${forged}`)).status).toBe(401);
    expect((await send(testApp, `/api/billing/portal/switch${portalQuery}`, { form: { tier: 'free', billing_interval: 'monthly' } })).status).toBe(400);
    const switched = await send(testApp, `/api/billing/portal/switch${portalQuery}`, { form: { tier: 'pro', billing_interval: 'monthly' } });
    const changePage = pathOf(switched.headers.get('location')!);
    expect((await send(testApp, changePage)).status).toBe(200);
    expect((await send(testApp, '/api/billing/plan-change?session_id=nothing-here')).status).toBe(404);
    expect((await send(testApp, `/api/billing/plan-change/cancel${new URL(changePage, 'http://test').search}`, { form: {} })).status).toBe(303);
    expect((await send(testApp, '/api/billing/plan-change/cancel', { form: {} })).status).toBe(400);
    const upgrade = await send(testApp, `/api/billing/portal/switch${portalQuery}`, { form: { tier: 'business', billing_interval: 'yearly' } });
    expect((await send(testApp, `/api/billing/plan-change/confirm${new URL(upgrade.headers.get('location')!).search}`, { form: {} })).status).toBe(303);
    expect((await send(testApp, '/api/billing/plan-change/confirm?session_id=nothing-here', { form: {} })).status).toBe(404);

    expect((await send(testApp, `/api/billing/portal/cancel${portalQuery}`, { form: {} })).status).toBe(303);
    expect((await send(testApp, `/api/billing/portal/cancel${forged}`, { form: {} })).status).toBe(401);

    // A renewal Razorpay halted: the renewal link pays the next period once.
    const halted = await aSubscriber();
    fakes.razorpay.setSubscriptionStatus(halted.subscriptionId, 'halted');
    await deliver('subscription.halted', halted.subscriptionId);
    const renewalUrl = (await testApp.graphql('{ billing { renewalUrl } }', { token: halted.token })).data.billing.renewalUrl as string | null;
    expect(renewalUrl).toEqual(expect.any(String));
    expect((await send(testApp, pathOf(renewalUrl!))).status).toBe(303);
    expect((await send(testApp, '/api/billing/renewal?link=forged')).status).toBe(401);
    const link = fakes.razorpay.requestsTo('POST', '/v1/payment_links').at(-1)!.body as { callback_url: string };
    expect((await send(testApp, pathOf(link.callback_url))).status).toBe(200);
    expect((await send(testApp, '/api/billing/renewal/done')).status).toBe(400);
  });

  it('drove every documented operation to an answer of its own, and to a refusal where it documents one', () => {
    const missing = OPERATIONS.flatMap((operation) => {
      const statuses = [...(seen.get(`${operation.method} ${operation.path}`) ?? [])];
      const refuses = Object.keys(operation.responses).some((status) => Number(status) >= 400);
      return [
        ...(statuses.some((status) => status < 400) ? [] : [`${operation.method} ${operation.path}: no success`]),
        ...(refuses && !statuses.some((status) => status >= 400) ? [`${operation.method} ${operation.path}: no refusal`] : []),
      ];
    });
    expect(missing).toEqual([]);
  });

  it('answers the sandbox and webhook refusals that do not come from a domain error with `code` too', async () => {
    const testApp = makeTestApp();
    const keyedWithoutWebhookSecrets = makeTestApp({ env: { STRIPE_SECRET_KEY: 'sk_test_configured', ...STRIPE_PRICE_ENV, RAZORPAY_KEY_ID: 'rzp_test_configured', RAZORPAY_KEY_SECRET: 'secret' } });

    for (const page of ['checkout', 'plan-change', 'onboarding', 'receipts', 'portal']) {
      expect((await send(testApp, `/sandbox/${page}/nothing-here`)).status).toBe(404);
    }
    expect((await send(keyedWithoutWebhookSecrets, '/api/billing/webhook', { body: '{}' })).status).toBe(503);
    expect((await send(keyedWithoutWebhookSecrets, '/api/billing/webhook/razorpay', { body: '{}' })).status).toBe(503);
  });
});
