import { getIntrospectionQuery } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ACCOUNT_PLAN_REPOSITORY } from '../../application/billing/account-plan.repository.ts';
import { resolve } from '../../api/container.ts';
import { GRAPHQL_LIMITS } from '../../api/graphql/limits/index.ts';
import { MAX_BODY_BYTES } from '../../api/http/app.ts';
import { aUserId } from '../support/builders.ts';
import { makeTestApp, signToken } from '../support/test-app.ts';

const REFUSAL_CODES = ['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED'];

/** The queries a dashboard sends, as the README and docs/api.md write them. */
const README_QUERIES = {
  billing: 'query { billing { planTier paymentGateway status billingInterval currentPeriodEnd country } }',
  plans: 'query { plans { tier billingInterval amountMinor currency listPriceUsdCents fxRate } }',
  wallet: `query {
    wallet { balanceCents currency flagged
      transactions(first: 20) { edges { cursor node { id kind amountCents reference createdAt } } pageInfo { hasNextPage endCursor } } }
    developerBalance { availableCents pendingCents currency earnings(first: 20) { edges { node { kind amountCents reference } } } }
  }`,
  payoutSettings: 'query { payoutSettings { onboardingStatus restrictionReason frequency currency minimumCents gateway } }',
  payouts: 'query { payouts(first: 20) { edges { node { id status amountCents currency period createdAt } } pageInfo { hasNextPage endCursor } } }',
};

/** One page of everything, every list at its largest page: what a busy dashboard could send. */
const WHOLE_DASHBOARD = `query Dashboard($after: String) {
  billing { planTier paymentGateway status billingInterval currentPeriodEnd country }
  plans { tier billingInterval amountMinor currency listPriceUsdCents fxRate }
  wallet { balanceCents currency flagged
    transactions(first: 100, after: $after) { edges { cursor node { id kind amountCents reference createdAt } } pageInfo { hasNextPage endCursor } } }
  developerBalance { availableCents pendingCents currency earnings(first: 100) { edges { cursor node { id kind amountCents reference createdAt } } pageInfo { hasNextPage endCursor } } }
  payoutSettings { onboardingStatus restrictionReason frequency currency minimumCents gateway }
  payouts(first: 100) { edges { cursor node { id status amountCents currency period createdAt } } pageInfo { hasNextPage endCursor } }
}`;

const aliases = (count: number, field = 'billing { planTier }') =>
  `{ ${Array.from({ length: count }, (_, index) => `a${index}: ${field}`).join(' ')} }`;

function nested(depth: number): string {
  let query = 'leaf';
  for (let level = depth - 1; level > 0; level--) query = `f${level} { ${query} }`;
  return `{ ${query} }`;
}

async function setup() {
  const testApp = makeTestApp();
  const userId = aUserId();
  const token = await signToken({ sub: userId, country: 'US' });
  const accountOpened = async () => (await resolve(testApp.container, ACCOUNT_PLAN_REPOSITORY).findByUserId(userId)) !== null;
  return { ...testApp, userId, token, accountOpened };
}

/** A refusal before execution: one error with the expected code, no data, an HTTP status of 200 or 400. */
function expectRefused(answer: { status: number; data?: unknown; errors?: any[] }, message: RegExp) {
  expect([200, 400]).toContain(answer.status);
  expect(answer.data).toBeUndefined();
  expect(answer.errors).toHaveLength(1);
  expect(REFUSAL_CODES).toContain(answer.errors?.[0]?.extensions?.code);
  expect(answer.errors?.[0]?.message).toMatch(message);
}

describe('GraphQL document limits', () => {
  it('keeps its limits in one place, generous enough for the dashboards', () => {
    expect(GRAPHQL_LIMITS).toEqual({ depth: 10, aliases: 30, tokens: 5_000, nesting: 64, cost: 5_000 });
  });

  it('refuses a query of 2,000 aliases before any resolver runs', async () => {
    const { graphql, token, accountOpened } = await setup();

    const answer = await graphql(aliases(2_000), { token });

    expectRefused(answer, /tokens|aliases/);
    // The billing resolver opens the account on first use: it never ran.
    expect(await accountOpened()).toBe(false);
  });

  it('refuses more aliases than the limit, counting a fragment at every spread, and accepts the limit', async () => {
    const { graphql, token, accountOpened } = await setup();
    const fragmentQuery = `fragment Plans on Query { ${Array.from({ length: 10 }, (_, i) => `p${i}: plans { tier }`).join(' ')} }
      { ...Plans ... on Query { ...Plans } billing { ...on BillingState { ...Tier } } }
      fragment Tier on BillingState { t0: planTier t1: planTier t2: planTier t3: planTier t4: planTier t5: planTier t6: planTier t7: planTier t8: planTier t9: planTier t10: planTier }`;

    const over = await graphql(aliases(GRAPHQL_LIMITS.aliases + 1), { token });
    const throughFragments = await graphql(fragmentQuery, { token });
    expect(await accountOpened()).toBe(false);
    const atLimit = await graphql(aliases(GRAPHQL_LIMITS.aliases), { token });

    expectRefused(over, /31 aliases; the limit is 30/);
    expectRefused(throughFragments, /31 aliases; the limit is 30/);
    expect(atLimit.errors).toBeUndefined();
    expect(Object.keys(atLimit.data)).toHaveLength(GRAPHQL_LIMITS.aliases);
  });

  it('refuses a query nested deeper than the limit, through fragments too, before validating its fields', async () => {
    const { graphql, token } = await setup();

    const deep = await graphql(nested(GRAPHQL_LIMITS.depth + 1), { token });
    const viaFragments = await graphql(
      `{ ...A } fragment A on Query { a { ...B } } fragment B on X { b { c { d { e { f { g { h { i { j { k } } } } } } } } } }`,
      { token },
    );
    const atLimit = await graphql(nested(GRAPHQL_LIMITS.depth), { token });

    expectRefused(deep, /11 fields deep; the limit is 10/);
    expectRefused(viaFragments, /11 fields deep; the limit is 10/);
    // Within the depth limit the document goes on to graphql's own validation, which knows no such field.
    expect(atLimit.errors?.[0]?.message).toMatch(/Cannot query field "f1"/);
  });

  it('refuses an expensive query: many large pages, whether `first` is written or a variable', async () => {
    const { graphql, token, accountOpened } = await setup();
    const pages = (first: string) =>
      `query ${first.startsWith('$') ? '($first: Int)' : ''} { billing { planTier } wallet { ${Array.from(
        { length: 7 },
        (_, i) => `t${i}: transactions(first: ${first}) { edges { cursor node { id kind amountCents reference createdAt } } }`,
      ).join(' ')} } }`;

    const literal = await graphql(pages('100'), { token });
    const variable = await graphql(pages('$first'), { token, variables: { first: 1 } });
    expect(await accountOpened()).toBe(false);
    const smallPages = await graphql(pages('5'), { token });

    expectRefused(literal, /costs \d+; the limit is 5000/);
    expectRefused(variable, /costs \d+; the limit is 5000/);
    expect(smallPages.errors).toBeUndefined();
  });

  it('refuses a document of more tokens than the limit, not counting comments', async () => {
    const { graphql, token } = await setup();
    const fields = (count: number) => `{ billing { ${'planTier '.repeat(count)}} }`;

    const over = await graphql(fields(GRAPHQL_LIMITS.tokens), { token });
    const commented = await graphql(`# ${'x'.repeat(200_000)}\n${fields(10)}\n# ${'y '.repeat(100_000)}`, { token });

    expectRefused(over, /more than 5000 tokens/);
    expect(commented.errors).toBeUndefined();
  });

  it('refuses brackets nested deeper than the limit before parsing, where the recursive parser overflowed its stack', async () => {
    const { graphql, token } = await setup();
    const objectLiteral = (depth: number) => `{ billing(x: ${'{a: '.repeat(depth)}1${'}'.repeat(depth)}) { planTier } }`;

    const overflowed = await graphql(objectLiteral(1_600), { token });
    const over = await graphql(`{ billing(x: ${'['.repeat(GRAPHQL_LIMITS.nesting)}${']'.repeat(GRAPHQL_LIMITS.nesting)}) { planTier } }`, { token });
    const within = await graphql(objectLiteral(GRAPHQL_LIMITS.nesting - 3), { token });

    expectRefused(overflowed, /nests brackets more than 64 deep/);
    expectRefused(over, /nests brackets more than 64 deep/);
    // Within the limit it is parsed, and graphql's own validation names the unknown argument.
    expect(within.errors?.[0]?.message).toMatch(/Unknown argument "x"/);
  });

  it('refuses the NUL character in a string literal or a variable, which PostgreSQL cannot store', async () => {
    const { graphql, token, accountOpened } = await setup();
    const verify = 'mutation ($id: String!) { verifyCheckoutSession(sessionId: $id) { planTier } }';

    const asVariable = await graphql(verify, { token, variables: { id: 'cs_\u0000' } });
    const asKey = await graphql(verify, { token, variables: { id: 'cs_1', 'k\u0000': 1 } });
    const asLiteral = await graphql('mutation { verifyCheckoutSession(sessionId: "cs_\\u0000") { planTier } }', { token });

    for (const answer of [asVariable, asKey, asLiteral]) {
      expect(answer.data ?? undefined).toBeUndefined();
      expect(answer.errors?.[0]).toMatchObject({ message: expect.stringMatching(/NUL character/), extensions: { code: 'BAD_USER_INPUT' } });
    }
    expect(await accountOpened()).toBe(false);
  });

  it('accepts every dashboard query of the README, and all of them at once at the largest pages', async () => {
    const { graphql, token } = await setup();

    for (const [name, query] of Object.entries(README_QUERIES)) {
      const answer = await graphql(query, { token });
      expect({ name, status: answer.status, errors: answer.errors }).toEqual({ name, status: 200, errors: undefined });
    }
    const whole = await graphql(WHOLE_DASHBOARD, { token });
    expect(whole.errors).toBeUndefined();
    expect(Object.keys(whole.data)).toEqual(['billing', 'plans', 'wallet', 'developerBalance', 'payoutSettings', 'payouts']);
  });

  it("accepts GraphiQL's introspection query, over POST and GET", async () => {
    const { graphql, request, token } = await setup();
    // What GraphiQL sends: graphql's introspection query with these options, types 9 wrappers deep.
    const introspection = getIntrospectionQuery({ inputValueDeprecation: true, schemaDescription: true, typeDepth: 9 });
    const everything = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
      oneOf: true,
      typeDepth: 20,
    });

    const posted = await graphql(introspection, { token });
    const unauthenticated = await graphql(everything);
    const viaGet = await request(`/graphql?query=${encodeURIComponent(introspection)}`, { headers: { accept: 'application/json' } });

    expect(posted.errors).toBeUndefined();
    expect(posted.data.__schema.queryType.name).toBe('Query');
    expect(posted.data.__schema.types.map((type: { name: string }) => type.name)).toContain('Wallet');
    expect(unauthenticated.errors).toBeUndefined();
    expect(viaGet.status).toBe(200);
    expect(viaGet.json().data.__schema.mutationType.name).toBe('Mutation');
  });

  it('still refuses introspection nested to fan out (graphql’s own introspection depth rule)', async () => {
    const { graphql } = await setup();

    const answer = await graphql('{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }');

    expect(answer.data).toBeUndefined();
    expect(answer.errors?.[0]).toMatchObject({ message: 'Maximum introspection depth exceeded', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  });
});

describe('GraphQL requests that cannot be read', () => {
  it('answers a variable of the wrong type with BAD_USER_INPUT, not a bare error', async () => {
    const { graphql, token, accountOpened } = await setup();
    const mutation = 'mutation ($cents: Int!) { startDeposit(amountCents: $cents, successUrl: "https://app.aerostack.dev/", cancelUrl: "https://app.aerostack.dev/") { url } }';

    const wrongType = await graphql(mutation, { token, variables: { cents: 'lots' } });
    const tooBig = await graphql(mutation, { token, variables: { cents: 2 ** 40 } });
    const missing = await graphql(mutation, { token, variables: {} });

    for (const answer of [wrongType, tooBig, missing]) {
      expect(answer.status).toBe(400);
      expect(answer.data).toBeUndefined();
      expect(answer.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(answer.errors?.[0]?.message).toMatch(/^Variable "\$cents"/);
    }
    expect(await accountOpened()).toBe(false);
  });

  it('answers malformed JSON in GET parameters with 400 BAD_REQUEST', async () => {
    const { request, token } = await setup();
    const query = encodeURIComponent('{ billing { planTier } }');

    const badVariables = await request(`/graphql?query=${query}&variables=%7Bnope`, { token, headers: { accept: 'application/json' } });
    const badExtensions = await request(`/graphql?query=${query}&extensions=[`, { token, headers: { accept: 'application/json' } });

    for (const answer of [badVariables, badExtensions]) {
      expect(answer.status).toBe(400);
      expect(answer.json().errors[0].extensions.code).toBe('BAD_REQUEST');
    }
  });

  it('answers a body no parser reads (multipart, none, an unknown type) with a JSON 415', async () => {
    const { app } = await setup();
    const form = new FormData();
    form.append('operations', '{"query":"{ billing { planTier } }"}');
    form.append('map', '{"0": 5}');

    const answers = await Promise.all([
      app.request('/graphql', { method: 'POST', body: form }),
      app.request('/graphql', { method: 'POST', body: 'query' }),
      app.request('/graphql', { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<query/>' }),
    ]);

    for (const answer of answers) {
      expect(answer.status).toBe(415);
      expect((await answer.json()).errors[0].extensions.code).toBe('BAD_REQUEST');
    }
  });
});

describe('the body limit', () => {
  const oversized = () => JSON.stringify({ query: '{ __typename }', padding: 'x'.repeat(MAX_BODY_BYTES) });

  /** A body without Content-Length, streamed in chunks, as a chunked upload arrives. */
  function streamed(text: string): ReadableStream<Uint8Array> {
    const bytes = new TextEncoder().encode(text);
    let offset = 0;
    return new ReadableStream({
      pull(controller) {
        if (offset >= bytes.length) return controller.close();
        controller.enqueue(bytes.subarray(offset, (offset += 64 * 1024)));
      },
    });
  }

  it('answers a body over 1 MiB with 413 and a JSON error, to /graphql and to a REST route', async () => {
    const { app, token } = await setup();
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };

    const answers = await Promise.all([
      app.request('/graphql', { method: 'POST', headers, body: oversized() }),
      app.request('/api/balance/deposit', { method: 'POST', headers, body: oversized() }),
      app.request('/api/billing/checkout', { method: 'POST', headers: { 'content-type': 'application/json' }, body: oversized() }),
      app.request('/api/billing/webhook', { method: 'POST', headers: { 'stripe-signature': 't=1,v1=x' }, body: oversized() }),
      app.request('/graphql', { method: 'POST', headers, body: streamed(oversized()), duplex: 'half' } as RequestInit),
      app.request('/api/balance/deposit', { method: 'POST', headers, body: streamed(oversized()), duplex: 'half' } as RequestInit),
    ]);

    for (const answer of answers) {
      expect(answer.status).toBe(413);
      expect(answer.headers.get('content-type')).toContain('application/json');
      expect(await answer.json()).toEqual({ error: `request body is larger than ${MAX_BODY_BYTES} bytes`, code: 'PAYLOAD_TOO_LARGE' });
    }
  });

  it('reads a body just under the limit', async () => {
    const { app, token } = await setup();
    const body = JSON.stringify({ query: '{ billing { planTier } }', extensions: { padding: 'x'.repeat(MAX_BODY_BYTES - 100) } });

    const answer = await app.request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
    });

    expect(body.length).toBeLessThanOrEqual(MAX_BODY_BYTES);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ data: { billing: { planTier: 'free' } } });
  });
});
