import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RazorpayClient } from '../../adapters/razorpay/razorpay.client.ts';
import { RazorpayPayoutGateway } from '../../adapters/razorpay/razorpay.payout-gateway.ts';
import { ACCOUNT_PLAN_REPOSITORY } from '../../application/billing/account-plan.repository.ts';
import type { PayoutGateway } from '../../application/payouts/payout-gateway.port.ts';
import { loadConfig } from '../../api/config.ts';
import { buildContainer, resolve } from '../../api/container.ts';
import { createApp } from '../../api/http/app.ts';
import { createLogger, REDACTED } from '../../api/logger.ts';
import { RazorpayFake } from '../fakes/razorpay-fake.ts';
import { aUserId } from '../support/builders.ts';
import {
  paidCheckoutSession,
  RAZORPAY_WEBHOOK_SECRET,
  razorpayEvent,
  razorpaySignature,
  STRIPE_WEBHOOK_SECRET,
  stripeEvent,
  stripeSignature,
} from '../support/provider-events.ts';
import { signToken, TEST_JWT_SECRET } from '../support/test-app.ts';

const RAZORPAY_KEY_ID = 'rzp_test_observability';
const RAZORPAY_KEY_SECRET = 'razorpay-key-secret-that-is-never-logged';
const BILLING_URL = 'https://app.aerostack.dev/settings/billing';
const RETURN_URL = 'https://app.aerostack.dev/settings/payouts?onboarding=done';
const REFRESH_URL = 'https://app.aerostack.dev/settings/payouts?onboarding=retry';
/** A Razorpay creator's onboarding profile: the account number and the PAN must never reach a log. */
const PROFILE = {
  email: 'asha@example.in',
  phone: '9000090000',
  legalName: 'Asha Creator',
  bankAccountNumber: '918273645501',
  ifsc: 'HDFC0000001',
  pan: 'QWERT9876Z',
  street: '12 MG Road',
  city: 'Bengaluru',
  state: 'Karnataka',
  postalCode: '560001',
};

const ONBOARD = `mutation Onboard($returnUrl: String!, $refreshUrl: String!, $profile: PayoutProfileInput) {
  startPayoutOnboarding(returnUrl: $returnUrl, refreshUrl: $refreshUrl, profile: $profile) { url status } }`;
const CHARGE = `mutation Charge($input: ChargeToolCallInput!) { chargeToolCall(input: $input) { chargeId replayed } }`;
const REQUEST_PAYOUT = `mutation RequestPayout($amount: Int) { requestPayout(amountCents: $amount) { id status } }`;
const RETRY_PAYOUT = `mutation RetryPayout($id: String!) { retryPayout(id: $id) { id status retryOf } }`;

type LogLine = Record<string, any>;
interface Answer {
  readonly status: number;
  readonly requestId: string | null;
  readonly contentType: string | null;
  readonly location: string | null;
  readonly text: string;
  json(): any;
}

/**
 * One day of traffic through the real app with the production logger (at trace, the most it can
 * write): deposits, signed webhooks, tool charges and a Razorpay creator onboarded with bank
 * details and paid, then three failures: the provider down, an adapter bug whose error carries
 * the onboarding request, and a store failure whose error carries the caller's headers.
 */
async function aDayOfTraffic(fake: RazorpayFake, apiBaseUrl: string) {
  const lines: string[] = [];
  const logger = createLogger('trace', { write: (line: string) => void lines.push(line) });
  const config = loadConfig({ JWT_SECRET: TEST_JWT_SECRET, STRIPE_WEBHOOK_SECRET, RAZORPAY_WEBHOOK_SECRET, MARKETPLACE_FEE_BPS: '2000' });

  const razorpay = new RazorpayPayoutGateway(new RazorpayClient({ keyId: RAZORPAY_KEY_ID, keySecret: RAZORPAY_KEY_SECRET, apiBaseUrl, timeoutMs: 2_000 }));
  let adapterBug = false;
  const razorpayPayouts: PayoutGateway = {
    provider: razorpay.provider,
    payoutCurrency: razorpay.payoutCurrency,
    startOnboarding: async (request) => {
      if (adapterBug) throw Object.assign(new TypeError("Cannot read properties of undefined (reading 'id')"), { request });
      return razorpay.startOnboarding(request);
    },
    retrieveAccount: (accountId) => razorpay.retrieveAccount(accountId),
    transfer: (request) => razorpay.transfer(request),
    retrieveTransfer: (transferId, accountId) => razorpay.retrieveTransfer(transferId, accountId),
  };
  const container = buildContainer({ config, logger, payoutGateways: { razorpay: razorpayPayouts } });
  let storeFailure: Error | undefined;
  const accounts = resolve(container, ACCOUNT_PLAN_REPOSITORY);
  container.rebind(ACCOUNT_PLAN_REPOSITORY).toConstantValue(
    new Proxy(accounts, {
      get(target, key) {
        if (key === 'findByUserId' && storeFailure) return () => Promise.reject(storeFailure);
        const value = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }),
  );
  const app = createApp(container);

  const answers: Answer[] = [];
  async function request(path: string, init: { method?: string; token?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...init.headers };
    if (init.token) headers['authorization'] = `Bearer ${init.token}`;
    if (init.body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const response = await app.request(path, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers,
      ...(init.body === undefined ? {} : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
    });
    const text = await response.text();
    const answer = { status: response.status, requestId: response.headers.get('x-request-id'), contentType: response.headers.get('content-type'), location: response.headers.get('location'), text, json: () => JSON.parse(text) };
    answers.push(answer);
    return answer;
  }
  const graphql = async (query: string, token?: string, variables: Record<string, unknown> = {}) => {
    const answer = await request('/graphql', { token, body: { query, variables } });
    return { ...answer, ...(answer.json() as { data?: any; errors?: any[] }) };
  };

  const consumerId = aUserId();
  const creatorId = aUserId();
  const consumer = await signToken({ sub: consumerId, country: 'US' });
  const creator = await signToken({ sub: creatorId, country: 'IN' });
  const service = await signToken({ sub: 'tool-runner', role: 'service' });
  const admin = await signToken({ sub: 'ops', role: 'admin' });

  // A $100.00 deposit, paid on the sandbox's hosted page and verified.
  const deposit = await request('/api/balance/deposit', { token: consumer, body: { amount_cents: 10_000, success_url: BILLING_URL, cancel_url: BILLING_URL } });
  const paid = await request(`${new URL(deposit.json().url).pathname}/pay`, { method: 'POST' });
  const depositSessionId = new URL(paid.location!).searchParams.get('session_id')!;
  await request(`/api/balance/verify?session_id=${depositSessionId}`, { token: consumer });

  // Stripe's signed completion of a $25.00 deposit, delivered twice (recorded once); a forged delivery; a Razorpay event.
  const started = await graphql(`mutation { startDeposit(amountCents: 2500, successUrl: "${BILLING_URL}", cancelUrl: "${BILLING_URL}") { sessionId } }`, consumer);
  const webhookSessionId = started.data.startDeposit.sessionId as string;
  const stripeBody = stripeEvent('checkout.session.completed', paidCheckoutSession({ sessionId: webhookSessionId, purpose: 'deposit' }));
  const stripeSigned = stripeSignature(stripeBody);
  const deliverStripe = (signature: string) =>
    request('/api/billing/webhook', { headers: { 'stripe-signature': signature, 'content-type': 'application/json' }, body: stripeBody });
  const webhooks = [await deliverStripe(stripeSigned), await deliverStripe(stripeSigned), await deliverStripe(stripeSignature(stripeBody, { secret: 'whsec_not_ours' }))];
  const razorpayBody = razorpayEvent('payment.failed', { payment: { id: 'pay_failed', status: 'failed' } });
  const razorpaySigned = razorpaySignature(razorpayBody);
  webhooks.push(
    await request('/api/billing/webhook/razorpay', {
      headers: { 'x-razorpay-signature': razorpaySigned, 'x-razorpay-event-id': `evt_${consumerId}`, 'content-type': 'application/json' },
      body: razorpayBody,
    }),
  );

  // Tool charges: $62.50 (the creator earns $50.00), the same key again, then more than the wallet holds.
  const chargeOf = (priceCents: number, idempotencyKey: string) =>
    graphql(CHARGE, service, { input: { consumerId, creatorId, toolId: 'tool-1', priceCents, idempotencyKey } });
  const charges = [await chargeOf(6_250, `${consumerId}-1`), await chargeOf(6_250, `${consumerId}-1`), await chargeOf(7_000, `${consumerId}-2`)];

  // The creator opens a Razorpay linked account with bank details; Razorpay verifies it.
  const onboarded = await graphql(ONBOARD, creator, { returnUrl: RETURN_URL, refreshUrl: REFRESH_URL, profile: PROFILE });
  const linkedAccounts = new Set(fake.requests.map((call) => /^\/v2\/accounts\/(acc_\w+)/.exec(call.path)?.[1]).filter((id) => id !== undefined));
  for (const accountId of linkedAccounts) fake.verifyAccount(accountId);
  const settings = await graphql('query Settings { payoutSettings { onboardingStatus } }', creator);

  // Payouts: one below the minimum, one paid, one the bank refuses and an admin retries.
  const belowMinimum = await graphql(REQUEST_PAYOUT, creator, { amount: 500 });
  const paidPayout = await graphql(REQUEST_PAYOUT, creator, { amount: 1_500 });
  fake.refuseNextTransfer('beneficiary bank is offline');
  const failedPayout = await graphql(REQUEST_PAYOUT, creator, { amount: 1_500 });
  const retried = await graphql(RETRY_PAYOUT, admin, { id: failedPayout.data?.requestPayout?.id });

  // Failures: Razorpay down, an adapter bug, the store down.
  fake.failNext({ status: 500, description: 'internal server error' });
  const providerDown = await graphql(ONBOARD, await signToken({ sub: aUserId(), country: 'IN' }), { returnUrl: RETURN_URL, refreshUrl: REFRESH_URL, profile: PROFILE });
  adapterBug = true;
  const unexpected = await graphql(ONBOARD, await signToken({ sub: aUserId(), country: 'IN' }), { returnUrl: RETURN_URL, refreshUrl: REFRESH_URL, profile: PROFILE });
  adapterBug = false;
  storeFailure = Object.assign(new Error('connection reset by peer'), {
    request: { headers: { authorization: `Bearer ${consumer}`, cookie: `session=${consumer}` } },
  });
  const restFailure = await request('/api/billing', { token: consumer });
  storeFailure = undefined;

  // Odds and ends: an anonymous query, a document that does not parse, an unknown path, a caller's request id.
  const anonymous = await graphql('{ wallet { balanceCents } }', consumer);
  const unparsable = await graphql('{ wallet { balanceCents ', consumer);
  const unknownPath = await request(`/api/users/${consumerId}/secrets`, { token: consumer });
  const givenId = await request('/healthz', { headers: { 'x-request-id': 'upstream-trace-42' } });

  return {
    lines,
    logs: () => lines.map((line) => JSON.parse(line) as LogLine),
    answers,
    request,
    ids: { consumerId, creatorId, depositSessionId, webhookSessionId, linkedAccounts: [...linkedAccounts] },
    tokens: { consumer, creator, service, admin },
    signatures: { stripe: stripeSigned, razorpay: razorpaySigned },
    results: {
      deposit, paid, webhooks, charges, onboarded, settings, belowMinimum, paidPayout, failedPayout, retried,
      providerDown, unexpected, restFailure, anonymous, unparsable, unknownPath, givenId,
    },
  };
}

describe('observability', () => {
  const fake = new RazorpayFake({ keyId: RAZORPAY_KEY_ID, keySecret: RAZORPAY_KEY_SECRET });
  let day: Awaited<ReturnType<typeof aDayOfTraffic>>;

  beforeAll(async () => {
    day = await aDayOfTraffic(fake, await fake.start());
  });
  afterAll(async () => {
    await fake.stop();
  });

  it('drives every flow the way a client would', () => {
    const { results } = day;

    expect(results.paid.status).toBe(303);
    expect(results.webhooks.map((answer) => [answer.status, answer.json().received])).toEqual([
      [200, true],
      [200, true],
      [400, undefined],
      [200, true],
    ]);
    expect(results.charges.map((charge) => charge.data?.chargeToolCall?.replayed ?? charge.errors?.[0].extensions.code)).toEqual([false, true, 'INSUFFICIENT_FUNDS']);
    expect(results.onboarded.errors).toBeUndefined();
    expect(results.settings.data.payoutSettings.onboardingStatus).toBe('verified');
    expect(results.belowMinimum.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(results.paidPayout.data.requestPayout.status).toBe('paid');
    expect(results.failedPayout.data.requestPayout.status).toBe('failed');
    expect(results.retried.data.retryPayout).toMatchObject({ status: 'paid', retryOf: results.failedPayout.data.requestPayout.id });
    expect(results.providerDown.errors?.[0].extensions.code).toBe('PROVIDER_ERROR');
    expect(results.unexpected.errors?.[0].extensions.code).toBe('INTERNAL_SERVER_ERROR');
    expect(results.restFailure.status).toBe(500);
    expect(results.unknownPath.status).toBe(404);
  });

  it('never logs a token, a webhook secret or signature, a provider key, a bank account number or a PAN, failures included', () => {
    const { lines, logs, tokens, signatures } = day;
    const logged = lines.join('');
    const forbidden = {
      ...Object.fromEntries(Object.entries(tokens).flatMap(([name, token]) => [[`${name} token`, token], [`${name} token signature`, token.split('.')[2]!]])),
      'Stripe webhook secret': STRIPE_WEBHOOK_SECRET,
      'Stripe signature': /v1=(\w+)/.exec(signatures.stripe)![1]!,
      'Razorpay webhook secret': RAZORPAY_WEBHOOK_SECRET,
      'Razorpay signature': signatures.razorpay,
      'Razorpay key secret': RAZORPAY_KEY_SECRET,
      'JWT secret': TEST_JWT_SECRET,
      'bank account number': PROFILE.bankAccountNumber,
      PAN: PROFILE.pan,
    };

    for (const [what, value] of Object.entries(forbidden)) expect(logged.includes(value), `${what} is in the log`).toBe(false);

    // The failures were logged, in full but for what was masked: the assertions above are not vacuous.
    const restError = logs().find((line) => line['msg'] === 'unexpected error' && line['path'] === '/api/billing');
    expect(restError?.['err']).toMatchObject({ message: 'connection reset by peer', stack: expect.stringContaining('Error'), request: { headers: { authorization: REDACTED, cookie: REDACTED } } });
    const graphqlError = logs().find((line) => line['level'] === 50 && JSON.stringify(line).includes('reading \'id\''));
    expect(graphqlError?.['err']).toMatchObject({
      type: 'TypeError',
      stack: expect.stringContaining('TypeError'),
      request: { profile: { bankAccountNumber: REDACTED, pan: REDACTED, ifsc: PROFILE.ifsc } },
    });
    expect(logs()).toContainEqual(expect.objectContaining({ msg: 'payment provider error', provider: 'razorpay' }));
  });

  it('tags every log line of a request with its id, which the response carries as X-Request-Id', () => {
    const { logs, lines, answers, results } = day;
    // The sandbox's own event for the paid checkout came to the webhook route as a request of its own.
    const sandboxDeliveries = new Set(logs().filter((line) => String(line['eventId']).startsWith('evt_sbx_')).map((line) => line['requestId']));
    const answered = new Set([...answers.map((answer) => answer.requestId), ...sandboxDeliveries]);

    expect(answers.filter((answer) => !answer.requestId).map((a) => [a.status, a.text.slice(0, 200)])).toEqual([]);
    expect(answered.size).toBe(answers.length + 1);
    expect(logs().filter((line) => !answered.has(line['requestId']))).toEqual([]);
    expect(lines.filter((line) => line.split('"requestId"').length !== 2)).toEqual([]);
    // GraphQL errors are logged through the root logger; their lines are the request's all the same.
    const graphqlError = logs().find((line) => line['msg'] === 'unexpected error' && String(line['err']?.message).includes("reading 'id'"));
    expect(graphqlError?.['requestId']).toBe(results.unexpected.requestId);
    expect(results.givenId.requestId).toBe('upstream-trace-42');
    expect(logs()).toContainEqual(expect.objectContaining({ requestId: 'upstream-trace-42', msg: 'request', path: '/healthz' }));
  });

  describe('GET /metrics', () => {
    let exposition: Answer;
    let samples: Sample[];

    beforeAll(async () => {
      exposition = await day.request('/metrics');
      samples = parseExposition(exposition.text);
    });

    const value = (name: string, labels: Record<string, string> = {}) =>
      samples.find((sample) => sample.name === name && Object.entries(labels).every(([key, wanted]) => sample.labels[key] === wanted))?.value;

    it('answers without a token, in the Prometheus text format, with the process metrics', () => {
      expect(exposition.status).toBe(200);
      expect(exposition.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(exposition.text).toContain('# TYPE http_requests_total counter');
      expect(value('process_cpu_user_seconds_total')).toBeGreaterThan(0);
      expect(value('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    });

    it('counts and times HTTP requests by method, route pattern and status', () => {
      const { results } = day;

      expect(value('http_requests_total', { method: 'POST', route: '/api/balance/deposit', status: '200' })).toBe(1);
      expect(value('http_requests_total', { method: 'POST', route: '/sandbox/checkout/:id/pay', status: String(results.paid.status) })).toBe(1);
      expect(value('http_requests_total', { method: 'GET', route: '/api/balance/verify', status: '200' })).toBe(1);
      // One of them the sandbox's own event for the paid checkout.
      expect(value('http_requests_total', { method: 'POST', route: '/api/billing/webhook', status: '200' })).toBe(3);
      expect(value('http_requests_total', { method: 'POST', route: '/api/billing/webhook', status: '400' })).toBe(1);
      expect(value('http_requests_total', { method: 'POST', route: '/api/billing/webhook/razorpay', status: '200' })).toBe(1);
      expect(value('http_requests_total', { method: 'GET', route: '/api/billing', status: '500' })).toBe(1);
      expect(value('http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
      expect(value('http_requests_total', { method: 'POST', route: '/graphql' })).toBeGreaterThan(0);
      expect(value('http_request_duration_seconds_count', { method: 'POST', route: '/graphql' })).toBe(
        samples.filter((s) => s.name === 'http_requests_total' && s.labels['route'] === '/graphql' && s.labels['method'] === 'POST').reduce((sum, s) => sum + s.value, 0),
      );
      const buckets = samples.filter((s) => s.name === 'http_request_duration_seconds_bucket' && s.labels['route'] === '/healthz').map((s) => s.labels['le']);
      expect(buckets).toEqual(['0.001', '0.0025', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '+Inf']);
    });

    it('counts GraphQL operations by name, type and outcome', () => {
      expect(value('graphql_operations_total', { operation_name: 'Charge', operation_type: 'mutation', outcome: 'success' })).toBe(2);
      expect(value('graphql_operations_total', { operation_name: 'Charge', operation_type: 'mutation', outcome: 'error' })).toBe(1);
      expect(value('graphql_operations_total', { operation_name: 'Onboard', operation_type: 'mutation', outcome: 'success' })).toBe(1);
      expect(value('graphql_operations_total', { operation_name: 'Onboard', operation_type: 'mutation', outcome: 'error' })).toBe(2);
      expect(value('graphql_operations_total', { operation_name: 'Settings', operation_type: 'query', outcome: 'success' })).toBe(1);
      expect(value('graphql_operations_total', { operation_name: 'anonymous', operation_type: 'query', outcome: 'success' })).toBe(1);
      expect(value('graphql_operations_total', { operation_name: 'anonymous', operation_type: 'mutation', outcome: 'success' })).toBe(1);
      expect(value('graphql_operations_total', { operation_name: 'unknown', operation_type: 'unknown', outcome: 'rejected' })).toBe(1);
    });

    it('counts webhook deliveries, tool charges and payouts by outcome', () => {
      expect(value('billing_webhook_deliveries_total', { provider: 'stripe', outcome: 'recorded' })).toBe(2);
      expect(value('billing_webhook_deliveries_total', { provider: 'stripe', outcome: 'duplicate' })).toBe(1);
      expect(value('billing_webhook_deliveries_total', { provider: 'stripe', outcome: 'refused' })).toBe(1);
      expect(value('billing_webhook_deliveries_total', { provider: 'razorpay', outcome: 'recorded' })).toBe(1);
      expect(value('billing_tool_charges_total', { outcome: 'charged' })).toBe(1);
      expect(value('billing_tool_charges_total', { outcome: 'replayed' })).toBe(1);
      expect(value('billing_tool_charges_total', { outcome: 'insufficient_funds' })).toBe(1);
      expect(value('billing_payouts_total', { status: 'paid', kind: 'manual' })).toBe(1);
      expect(value('billing_payouts_total', { status: 'failed', kind: 'manual' })).toBe(1);
      expect(value('billing_payouts_total', { status: 'refused', kind: 'manual' })).toBe(1);
      expect(value('billing_payouts_total', { status: 'paid', kind: 'retry' })).toBe(1);
    });

    it('never puts an id or a raw path in a label', () => {
      const { ids, results } = day;
      const labelValues = samples.flatMap((sample) => Object.values(sample.labels));
      const routes = new Set(samples.filter((sample) => sample.labels['route'] !== undefined).map((sample) => sample.labels['route']!));
      const secretsOfTheDay = [
        ids.consumerId,
        ids.creatorId,
        ids.depositSessionId,
        ids.webhookSessionId,
        ...ids.linkedAccounts,
        results.paidPayout.data.requestPayout.id,
        results.failedPayout.data.requestPayout.id,
        'upstream-trace-42',
        '/secrets',
      ];

      for (const secret of secretsOfTheDay) expect(labelValues.filter((label) => label.includes(secret)), secret).toEqual([]);
      for (const route of routes) expect(route).toMatch(/^(unmatched|(\/(:?[a-z-]+)?)+)$/);
    });
  });
});

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** The Prometheus text format, as a scraper reads it: one sample per line, comments skipped. */
function parseExposition(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not a sample line: ${line}`);
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, key, value]) => [key!, value!]));
      return { name: match[1]!, labels, value: Number(match[3]) };
    });
}
