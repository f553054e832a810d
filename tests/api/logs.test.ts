import { describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { GroupCommitFullError } from '../../adapters/persistence/group-commit.ts';
import { ACCOUNT_PLAN_REPOSITORY } from '../../application/billing/account-plan.repository.ts';
import { WALLET_LEDGER } from '../../application/wallet/wallet-ledger.port.ts';
import { PROVIDER_EVENT_INBOX } from '../../application/webhooks/provider-event-inbox.port.ts';
import { resolve } from '../../api/container.ts';
import { aUserId } from '../support/builders.ts';
import { paidCheckoutSession, stripeEvent, stripeSignature, STRIPE_WEBHOOK_SECRET } from '../support/provider-events.ts';
import { makeTestApp, signToken, TEST_JWT_SECRET } from '../support/test-app.ts';

type LogLine = Record<string, any>;
type TestApp = ReturnType<typeof makeTestApp>;

const URLS = { success_url: 'https://app.aerostack.dev/settings/billing', cancel_url: 'https://app.aerostack.dev/settings/billing' };
const CLIENT_ERRORS = 200;

/** Tokens for the callers of the run. */
async function callers() {
  const numericSub = await new SignJWT({ sub: 42 as never }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(TEST_JWT_SECRET));
  return {
    user: await signToken({ sub: aUserId(), country: 'US' }),
    service: await signToken({ sub: 'tool-runner', role: 'service' }),
    admin: await signToken({ sub: 'ops', role: 'admin' }),
    numericSub,
  };
}

/**
 * One refused request of each kind a client causes, through REST and GraphQL: each answers with
 * the code given and its `X-Request-Id`.
 */
function clientErrors(app: TestApp, tokens: Awaited<ReturnType<typeof callers>>) {
  const rest = (path: string, init: { token?: string; body?: unknown } = {}) => async () => {
    const answer = await app.request(path, init);
    return { requestId: answer.headers.get('x-request-id')!, code: answer.json().code as string };
  };
  const gql = (query: string, token?: string, variables?: Record<string, unknown>) => async () => {
    const answer = await app.request('/graphql', { token, body: { query, variables: variables ?? {} } });
    return { requestId: answer.headers.get('x-request-id')!, code: answer.json().errors?.[0]?.extensions?.code as string };
  };
  const charge = `mutation ($input: ChargeToolCallInput!) { chargeToolCall(input: $input) { chargeId } }`;
  return [
    ['UNAUTHENTICATED', 'path', rest('/api/billing')],
    ['UNAUTHENTICATED', 'path', rest('/api/billing', { token: tokens.numericSub })],
    ['BAD_USER_INPUT', 'path', rest('/api/balance/deposit', { token: tokens.user, body: { amount_cents: 1, ...URLS } })],
    ['NOT_FOUND', 'path', rest('/api/billing/verify-session?session_id=sbx_cs_unknown', { token: tokens.user })],
    ['UNAUTHENTICATED', 'graphqlPath', gql('{ billing { planTier } }')],
    // Two fields fail with the same refused token: one refusal is logged, not two.
    ['UNAUTHENTICATED', 'graphqlPath', gql('{ billing { planTier } wallet { balanceCents } }', tokens.numericSub)],
    ['BAD_USER_INPUT', 'graphqlPath', gql(`mutation { startDeposit(amountCents: 1, successUrl: "${URLS.success_url}", cancelUrl: "${URLS.cancel_url}") { sessionId } }`, tokens.user)],
    // A variable of the wrong type is refused before any field runs: no field to name.
    ['BAD_USER_INPUT', null, gql('mutation ($cents: Int!) { requestPayout(amountCents: $cents) { id } }', tokens.user, { cents: 'twelve' })],
    ['FORBIDDEN', 'graphqlPath', gql('mutation { adjustWallet(userId: "someone", amountCents: 100, reason: "why not") { balanceCents } }', tokens.user)],
    ['NOT_FOUND', 'graphqlPath', gql('mutation { retryPayout(id: "po_unknown") { id } }', tokens.admin)],
    ['INSUFFICIENT_FUNDS', 'graphqlPath', gql(charge, tokens.service, { input: { consumerId: aUserId(), creatorId: 'creator', toolId: 'tool', priceCents: 100, idempotencyKey: crypto.randomUUID() } })],
  ] as const;
}

describe('logs', () => {
  it(`writes ${CLIENT_ERRORS} client errors of mixed kinds, REST and GraphQL, once each at info without a stack, and nothing at error`, async () => {
    const app = makeTestApp();
    const kinds = clientErrors(app, await callers());
    const answers: { expected: string; site: string | null; requestId: string; code: string }[] = [];
    for (let index = 0; index < CLIENT_ERRORS; index++) {
      const [expected, site, send] = kinds[index % kinds.length]!;
      answers.push({ expected, site, ...(await send()) });
    }
    const lines = app.logs() as LogLine[];

    expect(answers.filter((answer) => answer.code !== answer.expected)).toEqual([]);
    expect(lines.filter((line) => line['level'] >= 40)).toEqual([]);
    expect(lines.filter((line) => JSON.stringify(line).includes('"stack"') || JSON.stringify(line).includes('    at '))).toEqual([]);
    // Per request: the access line and one refusal, with its code and where it happened.
    for (const { requestId, code, site } of answers) {
      const ofRequest = lines.filter((line) => line['requestId'] === requestId);
      expect(ofRequest.map((line) => line['msg']).sort()).toEqual(['request', 'request refused']);
      const refusal = ofRequest.find((line) => line['msg'] === 'request refused')!;
      expect(refusal).toMatchObject({ level: 30, code, reason: expect.any(String), ...(site ? { [site]: expect.any(String) } : {}) });
      // The message once, not repeated as "X: X" (graphql's error repeats its cause's message).
      expect(JSON.stringify(ofRequest).split(JSON.stringify(refusal['reason']).slice(1, -1)).length - 1).toBe(1);
    }
  });

  it('writes no line for a client error when LOG_LEVEL is warn', async () => {
    const app = makeTestApp({ logLevel: 'warn' });
    const kinds = clientErrors(app, await callers());

    for (const [, , send] of kinds) await send();

    expect(app.logs()).toEqual([]);
  });

  it('writes an unexpected error once, at error, with its stack and its message once, over REST and GraphQL', async () => {
    const failure = () => new TypeError("Cannot read properties of undefined (reading 'tier')");
    const app = makeTestApp({
      configure: (container) => {
        const accounts = resolve(container, ACCOUNT_PLAN_REPOSITORY);
        container.rebind(ACCOUNT_PLAN_REPOSITORY).toConstantValue(
          new Proxy(accounts, {
            get(target, key) {
              if (key === 'findByUserId') return () => Promise.reject(failure());
              const value = Reflect.get(target, key, target);
              return typeof value === 'function' ? value.bind(target) : value;
            },
          }),
        );
      },
    });
    const token = await signToken({ sub: aUserId() });

    const rest = await app.request('/api/billing', { token });
    const gql = await app.request('/graphql', { token, body: { query: '{ billing { planTier } }' } });

    expect(rest.status).toBe(500);
    expect(gql.json().errors[0].extensions.code).toBe('INTERNAL_SERVER_ERROR');
    for (const [answer, site] of [[rest, { path: '/api/billing' }], [gql, { graphqlPath: 'billing' }]] as const) {
      const ofRequest = (app.logs() as LogLine[]).filter((line) => line['requestId'] === answer.headers.get('x-request-id'));
      const errors = ofRequest.filter((line) => line['level'] >= 50);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({
        level: 50,
        msg: 'unexpected error',
        ...site,
        err: { type: 'TypeError', message: failure().message, stack: expect.stringContaining('TypeError: Cannot read properties') },
      });
      expect(ofRequest.filter((line) => JSON.stringify(line).includes("reading 'tier'"))).toHaveLength(1);
    }
  });
});

describe('a request refused because the service is overloaded', () => {
  /** An adapter whose `method` refuses every call as a full group commit does, the rest of it as it is. */
  function refusingFull<T extends object>(adapter: T, method: string): T {
    return new Proxy(adapter, {
      get(target, key) {
        if (key === method) return () => Promise.reject(new GroupCommitFullError(4_096));
        const value = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  it('answers 503 UNAVAILABLE (REST with Retry-After) and GraphQL UNAVAILABLE, logged once at warn without a stack, counted as an error, nothing written', async () => {
    const app = makeTestApp({
      env: { STRIPE_WEBHOOK_SECRET },
      configure: (container) => {
        const [ledger, inbox] = [resolve(container, WALLET_LEDGER), resolve(container, PROVIDER_EVENT_INBOX)];
        container.rebind(WALLET_LEDGER).toConstantValue(refusingFull(ledger, 'chargeToolCall'));
        container.rebind(PROVIDER_EVENT_INBOX).toConstantValue(refusingFull(inbox, 'record'));
      },
    });
    const service = await signToken({ sub: 'tool-runner', role: 'service' });
    const input = { consumerId: aUserId(), creatorId: aUserId(), toolId: 'weather', priceCents: 5, idempotencyKey: 'k-1' };
    const payload = stripeEvent('checkout.session.completed', paidCheckoutSession({ sessionId: 'cs_busy', purpose: 'deposit' }));

    const charge = await app.request('/graphql', { token: service, body: { query: 'mutation ($input: ChargeToolCallInput!) { chargeToolCall(input: $input) { chargeId } }', variables: { input } } });
    const delivery = await app.app.request('/api/billing/webhook', { method: 'POST', headers: { 'stripe-signature': stripeSignature(payload), 'content-type': 'application/json' }, body: payload });
    const metrics = await (await app.app.request('/metrics')).text();

    expect(charge.json().errors[0].extensions.code).toBe('UNAVAILABLE');
    expect(delivery.status).toBe(503);
    expect(delivery.headers.get('retry-after')).toBe('1');
    expect(await delivery.json()).toMatchObject({ code: 'UNAVAILABLE', error: expect.stringContaining('try again shortly') });
    for (const answer of [charge.headers.get('x-request-id'), delivery.headers.get('x-request-id')]) {
      const ofRequest = (app.logs() as LogLine[]).filter((line) => line['requestId'] === answer && line['code'] === 'UNAVAILABLE');
      expect(ofRequest).toEqual([expect.objectContaining({ level: 40, msg: 'overloaded: request refused' })]);
      expect(JSON.stringify(ofRequest)).not.toContain('stack');
    }
    expect(metrics).toContain('billing_tool_charges_total{outcome="error"} 1');
    expect(metrics).toContain('billing_webhook_deliveries_total{provider="stripe",outcome="error"} 1');
    expect(await resolve(app.container, WALLET_LEDGER).wallet(input.consumerId)).toMatchObject({ balance: expect.objectContaining({ amountMinor: 0 }) });
  });
});
