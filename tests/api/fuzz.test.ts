/**
 * Hostile input at every REST route and every GraphQL field, as a user, an admin, the marketplace
 * service and callers without a valid token. Two promises are checked:
 *
 * 1. Never a 5xx: every refusal is a 4xx whose JSON body has `error` (REST) or errors whose
 *    `extensions.code` is one of ALLOWED_CODES (GraphQL).
 * 2. No write on invalid input. "A write" is any change to stored state: in memory, a call of a
 *    repository or ledger method that stores something (a new account plan or payout account, a
 *    checkout session, a plan change, a ledger transfer or tool charge, a webhook event, a payout,
 *    or a save of any of them); in PostgreSQL, any difference in the rows of any table of the
 *    migrations (a digest of every row, so an UPDATE counts, not only an INSERT). Opening the
 *    caller's account (and payout account) on first use is by design, so the callers' accounts
 *    are opened before the state is recorded, and from then on nothing may change at all.
 *
 * Runs are seeded (FUZZ_SEED, else a fixed seed) and bounded (FUZZ_RUNS scales them); a failure
 * prints fast-check's seed and path, which replay it: FUZZ_SEED=<seed> vitest run tests/api/fuzz.test.ts
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Container } from 'inversify';
import type { Database } from '../../adapters/persistence/database.ts';
import { ACCOUNT_PLAN_REPOSITORY } from '../../application/billing/account-plan.repository.ts';
import { CHECKOUT_SESSION_REPOSITORY } from '../../application/billing/checkout-session.repository.ts';
import { INVOICE_REPOSITORY } from '../../application/billing/invoice.repository.ts';
import { PLAN_CHANGE_REPOSITORY } from '../../application/billing/plan-change.repository.ts';
import { PAYOUT_REPOSITORY } from '../../application/payouts/payout.repository.ts';
import { WALLET_LEDGER } from '../../application/wallet/wallet-ledger.port.ts';
import { PROVIDER_EVENT_INBOX } from '../../application/webhooks/provider-event-inbox.port.ts';
import { resolve } from '../../api/container.ts';
import { openTestDatabase, postgresUrl } from '../support/databases.ts';
import { RAZORPAY_WEBHOOK_SECRET, razorpaySignature, STRIPE_WEBHOOK_SECRET, stripeSignature } from '../support/provider-events.ts';
import { makeTestApp, signToken, TEST_JWT_SECRET } from '../support/test-app.ts';

const SEED = Number.isSafeInteger(Number.parseInt(process.env['FUZZ_SEED'] ?? '', 10)) ? Number.parseInt(process.env['FUZZ_SEED']!, 10) : 20_261_125;
const SCALE = Math.max(0.1, Number(process.env['FUZZ_RUNS_SCALE'] ?? '1') || 1);
const runs = (numRuns: number) => ({ seed: SEED, numRuns: Math.ceil(numRuns * SCALE), interruptAfterTimeLimit: 40_000 });
const TIMEOUT = 60_000;

/** Codes a GraphQL error may carry: ours (api/http/errors.ts) and yoga's for a request it cannot run. */
const ALLOWED_CODES = new Set([
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'INSUFFICIENT_FUNDS',
  'PROVIDER_ERROR',
  'GRAPHQL_VALIDATION_FAILED',
  'GRAPHQL_PARSE_FAILED',
  'BAD_REQUEST',
  // yoga's (HTTP 400) for an `operationName` that names no operation of the document.
  'OPERATION_RESOLUTION_FAILURE',
]);

const ENV = {
  STRIPE_WEBHOOK_SECRET,
  RAZORPAY_WEBHOOK_SECRET,
  TRUST_CF_IPCOUNTRY: 'true',
};

// ---------------------------------------------------------------------------------------------
// JSON as it travels: numbers keep their literal text (`1e999`, `-0`, `9007199254740993`) and
// objects their entries (`__proto__`, `constructor`, duplicate keys), which JSON.stringify loses.

class Num {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

class Obj {
  readonly entries: readonly (readonly [string, Wire])[];
  constructor(entries: readonly (readonly [string, Wire])[]) {
    this.entries = entries;
  }
}

type Wire = null | boolean | string | Num | Obj | readonly Wire[];

const num = (value: number | bigint) => new Num(String(value));

function wire(value: Wire): string {
  if (value instanceof Num) return value.text;
  if (value instanceof Obj) return `{${value.entries.map(([key, item]) => `${JSON.stringify(key)}:${wire(item)}`).join(',')}}`;
  if (Array.isArray(value)) return `[${value.map(wire).join(',')}]`;
  return JSON.stringify(value);
}

/** The same value as a GraphQL literal (object keys that are not names make a document that does not parse). */
function literal(value: Wire): string {
  if (value instanceof Num) return value.text;
  if (value instanceof Obj) return `{${value.entries.map(([key, item]) => `${key}: ${literal(item)}`).join(', ')}}`;
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  return JSON.stringify(value);
}

// ---------------------------------------------------------------------------------------------
// Hostile values.

const HOSTILE_TEXT = [
  '',
  ' ',
  '  padded  ',
  '\u0000',
  'nul\u0000inside',
  '\t\r\n',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-1',
  '1e999',
  'true',
  '[]',
  '{}',
  "' OR '1'='1",
  "'; drop table account_plans; --",
  '\\',
  '%00',
  '%zz',
  '${7*7}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  'javascript:alert(1)',
  'data:text/html,<b>x</b>',
  'https://evil.example/',
  'https://app.aerostack.dev.evil.com/',
  'https://app.aerostack.dev@evil.example/',
  '//evil.example',
  'https:\\\\evil.example',
  'https://app.aerostack.dev/settings/billing',
  'http://localhost:5173/',
  'https://x.aerostack-admin.pages.dev/',
  'IN',
  'US',
  'in',
  'XX',
  'ZZ',
  'stripe:evt_1',
  'stripe:',
  'razorpay:pay_1',
  'free',
  'pro',
  'PRO',
  'yearly',
  'weekly',
  'sbx_cs_1',
  'cs_test_1',
  '\u202eevil',
  '\ud800',
  '\udfff\ud800',
  '🙂🙂🙂',
  'e\u0301',
  'Ω≈ç√∫',
  '../../etc/passwd',
  'a'.repeat(255),
  'a'.repeat(256),
  'b'.repeat(2_049),
];

const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_TEXT) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
  { weight: 1, arbitrary: fc.integer({ min: 256, max: 100_000 }).map((length) => 'x'.repeat(length)) },
);

const NUMBER_LITERALS = ['0', '-0', '1', '-1', '1.0', '1.5', '-0.5', '499', '500', '999', '1000', '50000', '50001', '2147483647', '2147483648', '-2147483648', '-2147483649', '9007199254740993', '1e21', '1e999', '-1e999', '1e-7', '10000000', '10000001'];

const number: fc.Arbitrary<Num> = fc.oneof(
  fc.integer().map(num),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => new Num(JSON.stringify(value))),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(num),
  fc.constantFrom(...NUMBER_LITERALS).map((literalText) => new Num(literalText)),
);

const KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'then', 'length', '', ' ', '0'];
const key = fc.oneof(fc.constantFrom(...KEYS), text);

/** Arrays or objects nested up to 20,000 deep, as raw JSON text (also a GraphQL literal, for arrays). */
const deepNesting = fc.integer({ min: 1, max: 20_000 }).chain((depth) =>
  fc.constantFrom('['.repeat(depth) + ']'.repeat(depth), '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
);

const junk: fc.Arbitrary<Wire> = fc.letrec<{ value: Wire }>((tie) => ({
  value: fc.oneof(
    { maxDepth: 3 },
    { weight: 2, arbitrary: fc.constant(null) },
    { weight: 2, arbitrary: fc.boolean() },
    { weight: 4, arbitrary: text },
    { weight: 4, arbitrary: number },
    { weight: 3, arbitrary: fc.array(tie('value'), { maxLength: 4 }) },
    { weight: 3, arbitrary: fc.array(fc.tuple(key, tie('value')), { maxLength: 4 }).map((entries) => new Obj(entries)) },
    // Raw text goes out verbatim: a Num carries it.
    { weight: 1, arbitrary: deepNesting.map((nested) => new Num(nested)) },
  ),
})).value;

const objectOf = (known: readonly string[], value: fc.Arbitrary<Wire>) =>
  fc.array(fc.tuple(fc.oneof(fc.constantFrom(...known), key), value), { maxLength: 6 }).map((entries) => new Obj(entries));

/** Header values must be printable ASCII to be sent at all. */
const headerText = text.map((value) => value.replace(/[^\x20-\x7e]/g, '?').slice(0, 300));

/** A query parameter: absent, encoded, or raw (malformed percent-encodings included). */
const queryValue: fc.Arbitrary<string | null> = fc.oneof(
  fc.constant(null),
  text.map((value) => {
    try {
      return encodeURIComponent(value);
    } catch {
      return value.replace(/[^\x20-\x7e]/g, '');
    }
  }),
  fc.constantFrom('%', '%zz', '%E0%A4%A', '%C0%AF', '%00', 'a&session_id=b', '%2F..%2F', '+'.repeat(10)),
);

// ---------------------------------------------------------------------------------------------
// Callers.

interface Callers {
  readonly valid: Record<'user' | 'admin' | 'service', string>;
  readonly invalid: readonly (string | null)[];
  readonly odd: readonly string[];
}

async function makeCallers(): Promise<Callers> {
  const bearer = async (claims: Parameters<typeof signToken>[0]) => `Bearer ${await signToken(claims)}`;
  return {
    valid: {
      user: await bearer({ sub: 'fuzz-user', country: 'US' }),
      admin: await bearer({ sub: 'fuzz-admin', role: 'admin' }),
      service: await bearer({ sub: 'fuzz-service', role: 'service' }),
    },
    invalid: [
      null,
      '',
      'Bearer',
      'Bearer not.a.token',
      'Basic dXNlcjpwYXNz',
      `Bearer ${'a'.repeat(9_000)}`,
      await bearer({ sub: 'fuzz-expired', expiresIn: Math.floor(Date.now() / 1000) - 3_600 }),
      await bearer({ sub: 'fuzz-forged', secret: `${TEST_JWT_SECRET}-but-another` }),
      await bearer({ sub: 'fuzz-root', role: 'root' }),
      await bearer({ sub: 'x'.repeat(256) }),
      await bearer({}),
      await bearer({ sub: 'fuzz-none-alg', alg: 'HS512' }),
    ],
    // Valid tokens with strange subjects: allowed to open accounts, so only for the 5xx property.
    odd: [
      await bearer({ sub: '__proto__' }),
      await bearer({ sub: 'constructor', role: 'admin' }),
      await bearer({ sub: "o'brien; drop table wallets", country: 'IN' }),
      await bearer({ sub: 'üñíçødé-🙂', country: 'ZZ' }),
      await bearer({ sub: 'y'.repeat(255), role: 'service' }),
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// REST.

interface Call {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/vnd.api+json',
  'APPLICATION/JSON',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  '',
];

const PAID_TIERS = ['starter', 'pro', 'business'];

const checkoutBody = objectOf(
  ['tier', 'billing_interval', 'success_url', 'cancel_url'],
  fc.oneof(junk, fc.constantFrom<Wire>('pro', 'starter', 'business', 'free', 'monthly', 'yearly', 'https://app.aerostack.dev/settings/billing')),
);
const depositBody = objectOf(
  ['amount_cents', 'success_url', 'cancel_url'],
  fc.oneof(junk, fc.constantFrom<Wire>(num(2_500), num(500), num(50_000), 'https://app.aerostack.dev/settings/billing')),
);

const rawBody = (shaped: fc.Arbitrary<Obj>): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 4, arbitrary: shaped.map(wire) },
    { weight: 2, arbitrary: junk.map(wire) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '',
        '{',
        'null',
        '[]',
        '"{}"',
        '{"amount_cents":NaN}',
        '{"amount_cents":Infinity}',
        '{"tier":undefined}',
        '\ufeff{}',
        '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
      ),
    },
    { weight: 1, arbitrary: deepNesting },
  );

/** The routes of api/http/app.ts and api/rest/*.ts, with what each reads. */
const ROUTES = [
  { method: 'POST', path: '/api/billing/checkout', body: rawBody(checkoutBody) },
  { method: 'GET', path: '/api/billing' },
  { method: 'GET', path: '/api/billing/verify-session', query: 'session_id' },
  { method: 'GET', path: '/api/billing/portal', query: 'return_url' },
  { method: 'POST', path: '/api/balance/deposit', body: rawBody(depositBody) },
  { method: 'GET', path: '/api/balance/verify', query: 'session_id' },
  { method: 'POST', path: '/api/billing/webhook', webhook: 'stripe' },
  { method: 'POST', path: '/api/billing/webhook/razorpay', webhook: 'razorpay' },
  { method: 'GET', path: '/sandbox/checkout/:id' },
  { method: 'POST', path: '/sandbox/checkout/:id/pay' },
  { method: 'POST', path: '/sandbox/checkout/:id/cancel' },
  { method: 'GET', path: '/sandbox/onboarding/:id' },
  { method: 'POST', path: '/sandbox/onboarding/:id/complete' },
  { method: 'GET', path: '/sandbox/portal/:id' },
  { method: 'GET', path: '/healthz' },
] as const;

type Route = (typeof ROUTES)[number];

const pathSegment = fc.oneof(queryValue.map((value) => value ?? ''), fc.constantFrom('..', '%2E%2E', '%2F', 'sbx_cs_0', '__proto__'));

function restCall(authorizations: readonly (string | null)[], route: Route): fc.Arbitrary<Call> {
  return fc
    .record({
      authorization: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...authorizations) }, { weight: 1, arbitrary: headerText }),
      method: fc.oneof({ weight: 9, arbitrary: fc.constant<string>(route.method) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH') }),
      id: pathSegment,
      query: queryValue,
      extraQuery: fc.option(fc.constantFrom('&session_id=x', '&return_url=', '&__proto__=1', '&session_id[]=1'), { nil: '' }),
      contentType: fc.oneof({ weight: 3, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) }),
      country: fc.option(headerText, { nil: null }),
      body: 'body' in route ? route.body : fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
      signature: fc.option(headerText, { nil: null }),
    })
    .map((drawn) => {
      const headers: Record<string, string> = {};
      if (drawn.authorization !== null) headers['authorization'] = drawn.authorization;
      if (drawn.country !== null) headers['cf-ipcountry'] = drawn.country;
      if (drawn.body !== undefined && drawn.contentType) headers['content-type'] = drawn.contentType;
      if ('webhook' in route && drawn.signature !== null) {
        headers[route.webhook === 'stripe' ? 'stripe-signature' : 'x-razorpay-signature'] = drawn.signature;
      }
      const search = 'query' in route && drawn.query !== null ? `?${route.query}=${drawn.query}${drawn.extraQuery}` : drawn.extraQuery ? `?${drawn.extraQuery.slice(1)}` : '';
      const body = drawn.method === 'GET' ? undefined : drawn.body;
      return { method: drawn.method, path: route.path.replace(':id', drawn.id) + search, headers, ...(body === undefined ? {} : { body }) };
    });
}

const anyRestCall = (authorizations: readonly (string | null)[]) => fc.oneof(...ROUTES.map((route) => restCall(authorizations, route)));

const STRIPE_TYPES = [
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'checkout.session.expired',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'invoice.paid',
  'invoice.payment_failed',
  'charge.refunded',
  'charge.dispute.created',
  'charge.dispute.closed',
  'account.updated',
  'transfer.created',
  'transfer.reversed',
  'payout.failed',
];
const RAZORPAY_TYPES = [
  'payment_link.paid',
  'payment.captured',
  'payment_link.expired',
  'payment_link.cancelled',
  'subscription.activated',
  'subscription.charged',
  'subscription.pending',
  'subscription.halted',
  'subscription.cancelled',
  'refund.processed',
  'payment.dispute.created',
  'payment.dispute.won',
  'payment.dispute.lost',
  'transfer.processed',
  'transfer.failed',
  'product.route.activated',
];
/** Fields the adapters read from a provider's object, with values of any shape. */
const providerObject = fc.letrec<{ object: Obj }>((tie) => ({
  object: objectOf(
    ['id', 'object', 'metadata', 'notes', 'payment_status', 'status', 'customer', 'customer_id', 'subscription', 'payment_intent', 'payment_id', 'items', 'data', 'price', 'current_period_end', 'current_end', 'amount', 'amount_refunded', 'amount_reversed', 'reversed', 'currency', 'reference_id', 'checkout_session_id', 'purpose', 'user_id', 'payout_id', 'tier', 'billing_interval', 'error', 'merchant_id', 'activation_status', 'requirements', 'charges_enabled', 'payouts_enabled', 'failure_message'],
    fc.oneof({ maxDepth: 3 }, junk, fc.constantFrom<Wire>('paid', 'active', 'won', 'pro', 'monthly', 'plan', 'deposit', 'sbx_cs_0', 'cus_1', 'sub_1', 'pi_1', num(1_800_000_000)), tie('object'), fc.array(tie('object'), { maxLength: 2 })),
  ),
})).object;

/** A webhook delivery signed with the right secret, around a hostile body: past the signature, into the adapters. */
const signedWebhook: fc.Arbitrary<Call> = fc
  .record({
    provider: fc.constantFrom('stripe', 'razorpay'),
    body: fc.oneof(
      { weight: 1, arbitrary: junk.map(wire) },
      {
        weight: 3,
        arbitrary: fc
          .record({
            id: fc.oneof(text.map((id) => `evt_${id}`), junk),
            object: fc.oneof({ weight: 5, arbitrary: fc.constant<Wire>('event') }, { weight: 1, arbitrary: junk }),
            type: fc.oneof({ weight: 5, arbitrary: fc.constantFrom<Wire>(...STRIPE_TYPES) }, { weight: 1, arbitrary: junk }),
            created: fc.oneof(fc.integer({ min: 0, max: 2_000_000_000 }).map(num), junk),
            data: fc.oneof({ weight: 5, arbitrary: providerObject.map((object) => new Obj([['object', object]])) }, { weight: 1, arbitrary: junk }),
          })
          .map((event) => wire(new Obj(Object.entries(event)))),
      },
      {
        weight: 3,
        arbitrary: fc
          .record({
            entity: fc.constant<Wire>('event'),
            account_id: fc.oneof(fc.constant<Wire>('acc_test'), junk),
            event: fc.oneof({ weight: 5, arbitrary: fc.constantFrom<Wire>(...RAZORPAY_TYPES) }, { weight: 1, arbitrary: junk }),
            created_at: fc.oneof(fc.integer({ min: 0, max: 2_000_000_000 }).map(num), junk),
            payload: fc.oneof(
              { weight: 5, arbitrary: objectOf(['payment', 'payment_link', 'subscription', 'refund', 'dispute', 'transfer', 'merchant_product', 'account'], fc.oneof(providerObject.map((entity) => new Obj([['entity', entity]])), junk)) },
              { weight: 1, arbitrary: junk },
            ),
          })
          .map((event) => wire(new Obj(Object.entries(event)))),
      },
    ),
    eventId: fc.oneof({ weight: 5, arbitrary: text.map((id) => `evt_${id}`.replace(/[^\x20-\x7e]/g, '?').slice(0, 200)) }, { weight: 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: headerText }),
  })
  .map(({ provider, body, eventId }): Call =>
    provider === 'stripe'
      ? { method: 'POST', path: '/api/billing/webhook', headers: { 'content-type': 'application/json', 'stripe-signature': stripeSignature(body) }, body }
      : {
          method: 'POST',
          path: '/api/billing/webhook/razorpay',
          headers: { 'content-type': 'application/json', 'x-razorpay-signature': razorpaySignature(body), ...(eventId === null ? {} : { 'x-razorpay-event-id': eventId }) },
          body,
        },
  );

// ---------------------------------------------------------------------------------------------
// What a refusal must look like.

type App = ReturnType<typeof makeTestApp>['app'];

interface Answer {
  readonly call: Call;
  readonly status: number;
  readonly text: string;
}

async function send(app: App, call: Call): Promise<Answer> {
  const response = await app.request(call.path, { method: call.method, headers: call.headers, ...(call.body === undefined ? {} : { body: call.body }) });
  return { call, status: response.status, text: await response.text() };
}

function describeAnswer(answer: Answer): string {
  const body = answer.call.body === undefined ? '' : ` body ${JSON.stringify(answer.call.body.slice(0, 300))}`;
  return `${answer.call.method} ${answer.call.path.slice(0, 300)}${body} answered ${answer.status}: ${answer.text.slice(0, 500)}`;
}

function parseJson(answer: Answer): unknown {
  try {
    return JSON.parse(answer.text);
  } catch {
    throw new Error(`not a JSON body: ${describeAnswer(answer)}`);
  }
}

function expectSoundRest(answer: Answer): void {
  if (answer.status >= 500) throw new Error(`5xx: ${describeAnswer(answer)}`);
  if (answer.status < 400) return;
  const body = parseJson(answer) as { error?: unknown; code?: unknown };
  if (typeof body?.error !== 'string') throw new Error(`a refusal without "error": ${describeAnswer(answer)}`);
  if (typeof body.code !== 'string') throw new Error(`a refusal without "code": ${describeAnswer(answer)}`);
}

function expectSoundGraphQL(answer: Answer): void {
  if (answer.status >= 500) throw new Error(`5xx: ${describeAnswer(answer)}`);
  if (answer.status === 413) return expectSoundRest(answer);
  const body = parseJson(answer) as { data?: unknown; errors?: { extensions?: { code?: unknown } }[] };
  if (!body || typeof body !== 'object') throw new Error(`not a GraphQL answer: ${describeAnswer(answer)}`);
  if (body.errors === undefined) {
    if (!('data' in body)) throw new Error(`neither data nor errors: ${describeAnswer(answer)}`);
    return;
  }
  for (const error of body.errors) {
    if (!ALLOWED_CODES.has(error.extensions?.code as string)) throw new Error(`code ${String(error.extensions?.code)}: ${describeAnswer(answer)}`);
  }
}

function expectSound(answer: Answer): void {
  if (answer.call.path.startsWith('/graphql')) expectSoundGraphQL(answer);
  else expectSoundRest(answer);
}

// ---------------------------------------------------------------------------------------------
// GraphQL: the schema as introspection tells it.

interface TypeRef {
  readonly kind: string;
  readonly name: string | null;
  readonly ofType: TypeRef | null;
}
interface InputValue {
  readonly name: string;
  readonly type: TypeRef;
  readonly defaultValue: string | null;
}
interface FieldInfo {
  readonly name: string;
  readonly args: readonly InputValue[];
  readonly type: TypeRef;
}
interface TypeInfo {
  readonly kind: string;
  readonly name: string;
  readonly enumValues: readonly { name: string }[] | null;
  readonly inputFields: readonly InputValue[] | null;
}
interface SchemaInfo {
  readonly queries: readonly FieldInfo[];
  readonly mutations: readonly FieldInfo[];
  readonly types: ReadonlyMap<string, TypeInfo>;
}

const TYPE_REF = 'kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }';
const SCHEMA_QUERY = `{ __schema {
  queryType { fields { name type { ${TYPE_REF} } args { name defaultValue type { ${TYPE_REF} } } } }
  mutationType { fields { name type { ${TYPE_REF} } args { name defaultValue type { ${TYPE_REF} } } } }
  types { kind name enumValues { name } inputFields { name defaultValue type { ${TYPE_REF} } } }
} }`;

async function introspect(app: App): Promise<SchemaInfo> {
  const response = await app.request('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: SCHEMA_QUERY }) });
  const { data } = (await response.json()) as { data: { __schema: { queryType: { fields: FieldInfo[] }; mutationType: { fields: FieldInfo[] }; types: TypeInfo[] } } };
  return {
    queries: data.__schema.queryType.fields,
    mutations: data.__schema.mutationType.fields,
    types: new Map(data.__schema.types.map((type) => [type.name, type])),
  };
}

function printType(type: TypeRef): string {
  if (type.kind === 'NON_NULL') return `${printType(type.ofType!)}!`;
  if (type.kind === 'LIST') return `[${printType(type.ofType!)}]`;
  return type.name!;
}

function namedType(type: TypeRef): TypeRef {
  return type.ofType ? namedType(type.ofType) : type;
}

const isRequired = (value: InputValue) => value.type.kind === 'NON_NULL' && value.defaultValue === null;

const INT_MAX = 2 ** 31 - 1;

/** Values graphql accepts for the type: the resolvers and the application must judge them. */
function wellTyped(schema: SchemaInfo, type: TypeRef, depth = 0): fc.Arbitrary<Wire> {
  if (type.kind === 'NON_NULL') return wellTypedNamed(schema, type.ofType!, depth);
  return fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 4, arbitrary: wellTypedNamed(schema, type, depth) });
}

function wellTypedNamed(schema: SchemaInfo, type: TypeRef, depth: number): fc.Arbitrary<Wire> {
  if (type.kind === 'LIST') return fc.array(wellTyped(schema, type.ofType!, depth + 1), { maxLength: 3 });
  const info = schema.types.get(type.name!);
  switch (type.kind === 'SCALAR' ? type.name : info?.kind) {
    case 'String':
    case 'ID':
      return text;
    case 'Int':
      return fc.oneof(fc.integer({ min: -INT_MAX - 1, max: INT_MAX }), fc.constantFrom(0, -1, 1, 499, 500, 999, 1_000, 2_500, 50_000, 50_001, 10_000_000, 10_000_001, INT_MAX, -INT_MAX - 1)).map(num);
    case 'Float':
      return fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => new Num(JSON.stringify(value)));
    case 'Boolean':
      return fc.boolean();
    case 'ENUM':
      return fc.constantFrom(...info!.enumValues!.map((value) => value.name));
    case 'INPUT_OBJECT':
      if (depth > 3) return fc.constant(null);
      return fc
        .tuple(...info!.inputFields!.map((field) => fc.tuple(fc.constant(field.name), wellTyped(schema, field.type, depth + 1), fc.boolean())))
        .map((fields) => new Obj(fields.filter(([, , keep], index) => keep || isRequired(info!.inputFields![index]!)).map(([name, value]) => [name, value] as const)));
    default:
      return junk;
  }
}

const nonString = fc.oneof(number, fc.boolean(), junk.filter((value) => value instanceof Obj));
const objects = junk.filter((value) => value instanceof Obj || (Array.isArray(value) && value.some((item) => item instanceof Obj)));

/** Values graphql must refuse for the type, whatever the application would say. */
function wronglyTyped(schema: SchemaInfo, type: TypeRef): fc.Arbitrary<Wire> {
  if (type.kind === 'NON_NULL') return fc.oneof(fc.constant(null), wronglyTypedNamed(schema, type.ofType!));
  return wronglyTypedNamed(schema, type);
}

function wronglyTypedNamed(schema: SchemaInfo, type: TypeRef): fc.Arbitrary<Wire> {
  if (type.kind === 'LIST') return fc.oneof(wronglyTypedNamed(schema, namedTypeOrInner(type)), fc.array(wronglyTypedNamed(schema, namedTypeOrInner(type)), { minLength: 1, maxLength: 3 }));
  const info = schema.types.get(type.name!);
  switch (type.kind === 'SCALAR' ? type.name : info?.kind) {
    case 'String':
      return nonString;
    case 'ID':
      return fc.oneof(fc.boolean(), objects, fc.double({ noNaN: true }).filter((value) => !Number.isInteger(value)).map((value) => new Num(String(value))));
    case 'Int':
      return fc.oneof(
        text,
        fc.boolean(),
        objects,
        fc.double({ noNaN: true, noDefaultInfinity: true }).filter((value) => !Number.isInteger(value)).map((value) => new Num(JSON.stringify(value))),
        fc.oneof(fc.bigInt({ min: 2n ** 31n, max: 2n ** 70n }), fc.bigInt({ min: -(2n ** 70n), max: -(2n ** 31n) - 1n })).map(num),
        fc.constantFrom('1e999', '-1e999', '1.5', '2147483648', '9007199254740993', '1e21').map((literalText) => new Num(literalText)),
      );
    case 'Float':
      return fc.oneof(text, fc.boolean(), objects, fc.constantFrom('1e999', '-1e999').map((literalText) => new Num(literalText)));
    case 'Boolean':
      return fc.oneof(text, number, objects);
    case 'ENUM': {
      const values = new Set(info!.enumValues!.map((value) => value.name));
      return fc.oneof(text.filter((value) => !values.has(value)), number, fc.boolean(), objects);
    }
    case 'INPUT_OBJECT': {
      const fields = info!.inputFields!;
      const required = fields.filter(isRequired);
      const complete = wellTypedNamed(schema, type, 0) as fc.Arbitrary<Obj>;
      return fc.oneof(
        text,
        number,
        fc.boolean(),
        // One field of the wrong type.
        fc.tuple(complete, fc.constantFrom(...fields)).chain(([object, field]) =>
          wronglyTyped(schema, field.type).map((wrong) => new Obj([...object.entries.filter(([name]) => name !== field.name), [field.name, wrong]])),
        ),
        // A field it does not have.
        fc.tuple(complete, fc.constantFrom('__proto__', 'constructor', 'extra', 'toString'), junk).map(([object, name, value]) => new Obj([...object.entries, [name, value]])),
        // A required field left out.
        ...(required.length > 0
          ? [fc.tuple(complete, fc.constantFrom(...required)).map(([object, field]) => new Obj(object.entries.filter(([name]) => name !== field.name)))]
          : []),
      );
    }
    default:
      // Our custom scalars (Cents, DateTime) refuse objects.
      return objects;
  }
}

function namedTypeOrInner(type: TypeRef): TypeRef {
  return type.ofType!;
}

interface Operation {
  readonly kind: 'query' | 'mutation';
  readonly field: FieldInfo;
  /** Each argument: its variable's value, or absent (left out of the variables). */
  readonly values: readonly (Wire | undefined)[];
  readonly inline?: boolean;
}

function selection(schema: SchemaInfo, type: TypeRef): string {
  const kind = schema.types.get(namedType(type).name!)?.kind;
  return kind === 'OBJECT' || kind === 'INTERFACE' || kind === 'UNION' ? ' { __typename }' : '';
}

function document(schema: SchemaInfo, operation: Operation): { query: string; variables: Obj } {
  const { field, values } = operation;
  const used = field.args.map((arg, index) => ({ arg, index, value: values[index] }));
  if (operation.inline) {
    const args = used.filter(({ value }) => value !== undefined).map(({ arg, value }) => `${arg.name}: ${literal(value!)}`);
    return { query: `${operation.kind} { ${field.name}${args.length ? `(${args.join(', ')})` : ''}${selection(schema, field.type)} }`, variables: new Obj([]) };
  }
  const definitions = used.map(({ arg, index }) => `$v${index}: ${printType(arg.type)}`);
  const args = used.map(({ arg, index }) => `${arg.name}: $v${index}`);
  return {
    query: `${operation.kind}${definitions.length ? ` (${definitions.join(', ')})` : ''} { ${field.name}${args.length ? `(${args.join(', ')})` : ''}${selection(schema, field.type)} }`,
    variables: new Obj(used.filter(({ value }) => value !== undefined).map(({ index, value }) => [`v${index}`, value!] as const)),
  };
}

/** Every argument well typed (optional ones sometimes left out). */
function wellTypedOperation(schema: SchemaInfo, kind: Operation['kind'], field: FieldInfo, overrides: Record<string, fc.Arbitrary<Wire>> = {}): fc.Arbitrary<Operation> {
  return fc
    .tuple(...field.args.map((arg) => fc.tuple(overrides[arg.name] ?? wellTyped(schema, arg.type), fc.boolean())))
    .map((drawn) => ({ kind, field, values: drawn.map(([value, keep], index) => (keep || isRequired(field.args[index]!) || field.args[index]!.name in overrides ? value : undefined)) }));
}

/** Invalid by type, for certain: one argument of the wrong type, or a required one left out. */
function wronglyTypedOperation(schema: SchemaInfo, kind: Operation['kind'], field: FieldInfo): fc.Arbitrary<Operation> | null {
  if (field.args.length === 0) return null;
  const required = field.args.map((arg, index) => ({ arg, index })).filter(({ arg }) => isRequired(arg));
  return fc.oneof(
    fc.tuple(wellTypedOperation(schema, kind, field), fc.nat(field.args.length - 1)).chain(([operation, index]) =>
      wronglyTyped(schema, field.args[index]!.type).map((wrong) => ({ ...operation, values: operation.values.map((value, at) => (at === index ? wrong : value)) })),
    ),
    ...(required.length > 0
      ? [fc.tuple(wellTypedOperation(schema, kind, field), fc.constantFrom(...required)).map(([operation, { index }]) => ({ ...operation, values: operation.values.map((value, at) => (at === index ? undefined : value)) }))]
      : []),
  );
}

/**
 * Well-typed arguments the application refuses for the caller in the state this file keeps (no
 * money in any wallet, free plans, no checkout session, payout or webhook event stored, payout
 * accounts not onboarded), per mutation; and who is refused outright by role.
 */
const ROLE_ONLY: Record<string, 'admin' | 'service'> = {
  adjustWallet: 'admin',
  adjustPlan: 'admin',
  retryPayout: 'admin',
  replayWebhookEvent: 'admin',
  chargeToolCall: 'service',
};

function refusedWellTyped(schema: SchemaInfo): Record<string, fc.Arbitrary<Operation>> {
  const field = (name: string) => {
    const found = schema.mutations.find((mutation) => mutation.name === name);
    if (!found) throw new Error(`the schema has no mutation ${name}: update the fuzz table`);
    return found;
  };
  const anyArgs = (name: string) => wellTypedOperation(schema, 'mutation', field(name));
  const notHttp = text.filter((value) => !/^https?:/i.test(value));
  return {
    // Out of the $5.00–$500.00 range.
    startDeposit: wellTypedOperation(schema, 'mutation', field('startDeposit'), {
      amountCents: fc.oneof(fc.integer({ min: -INT_MAX - 1, max: 499 }), fc.integer({ min: 50_001, max: INT_MAX })).map(num),
    }),
    // The free tier needs no checkout.
    startPlanCheckout: wellTypedOperation(schema, 'mutation', field('startPlanCheckout')).map((operation) => ({
      ...operation,
      values: [new Obj([...(operation.values[0] as Obj).entries.filter(([name]) => name !== 'tier'), ['tier', 'free']])],
    })),
    // A return URL that is not http(s) at all.
    startPayoutOnboarding: wellTypedOperation(schema, 'mutation', field('startPayoutOnboarding'), { returnUrl: notHttp }),
    // Zero, or more than the largest correction.
    adjustWallet: wellTypedOperation(schema, 'mutation', field('adjustWallet'), {
      amountCents: fc.oneof(fc.constant(0), fc.integer({ min: 10_000_001, max: INT_MAX }), fc.integer({ min: -INT_MAX - 1, max: -10_000_001 })).map(num),
    }),
    // An end in the past.
    adjustPlan: wellTypedOperation(schema, 'mutation', field('adjustPlan'), {
      until: fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2025-01-01T00:00:00Z'), noInvalidDate: true }).map((date) => date.toISOString()),
    }),
    // Refused in this state whatever the arguments: no session, no subscription, no customer,
    // no balance, no onboarding, no payout, no event; registering again changes nothing.
    registerAccount: anyArgs('registerAccount'),
    verifyCheckoutSession: anyArgs('verifyCheckoutSession'),
    createPortalSession: anyArgs('createPortalSession'),
    cancelSubscription: anyArgs('cancelSubscription'),
    changeBillingInterval: anyArgs('changeBillingInterval'),
    chargeToolCall: anyArgs('chargeToolCall'),
    requestPayout: anyArgs('requestPayout'),
    retryPayout: anyArgs('retryPayout'),
    replayWebhookEvent: anyArgs('replayWebhookEvent'),
  };
}

interface GraphQLRequest {
  readonly operation: Operation;
  readonly authorization: string | null;
  readonly transport?: 'GET' | 'POST';
  readonly operationName?: Wire;
  readonly extensions?: Wire;
  readonly rawVariables?: Wire;
  readonly rawQuery?: string;
}

function graphQLCall(schema: SchemaInfo, request: GraphQLRequest): Call {
  const built = document(schema, request.operation);
  const query = request.rawQuery ?? built.query;
  const variables = request.rawVariables === undefined ? built.variables : request.rawVariables;
  const headers: Record<string, string> = request.authorization === null ? {} : { authorization: request.authorization };
  if (request.transport === 'GET') {
    const params = new URLSearchParams({ query, variables: wire(variables) });
    if (request.operationName !== undefined) params.set('operationName', typeof request.operationName === 'string' ? request.operationName : wire(request.operationName));
    if (request.extensions !== undefined) params.set('extensions', wire(request.extensions));
    return { method: 'GET', path: `/graphql?${params}`, headers: { ...headers, accept: 'application/json' } };
  }
  const entries: [string, Wire][] = [
    ['query', query],
    ['variables', variables],
  ];
  if (request.operationName !== undefined) entries.push(['operationName', request.operationName]);
  if (request.extensions !== undefined) entries.push(['extensions', request.extensions]);
  return { method: 'POST', path: '/graphql', headers: { ...headers, 'content-type': 'application/json' }, body: wire(new Obj(entries)) };
}

/** Anything at all at any field: well or wrongly typed, inlined, mangled, with junk around it. */
function anyGraphQLRequest(schema: SchemaInfo, authorizations: readonly (string | null)[]): fc.Arbitrary<GraphQLRequest> {
  const fields = [
    ...schema.mutations.map((field) => ({ kind: 'mutation' as const, field })),
    ...schema.queries.filter((field) => field.args.length > 0).map((field) => ({ kind: 'query' as const, field })),
  ];
  const operation = fc.constantFrom(...fields).chain(({ kind, field }) =>
    fc.oneof(
      { weight: 3, arbitrary: wellTypedOperation(schema, kind, field) },
      { weight: 3, arbitrary: wronglyTypedOperation(schema, kind, field) ?? wellTypedOperation(schema, kind, field) },
      { weight: 1, arbitrary: fc.tuple(fc.constant(field), fc.array(junk, { minLength: field.args.length, maxLength: field.args.length })).map(([, values]) => ({ kind, field, values, inline: true })) },
      { weight: 1, arbitrary: fc.tuple(fc.constant(field), fc.array(junk, { minLength: field.args.length, maxLength: field.args.length })).map(([, values]) => ({ kind, field, values })) },
    ),
  );
  return fc.record(
    {
      operation,
      authorization: fc.constantFrom(...authorizations),
      transport: fc.oneof({ weight: 5, arbitrary: fc.constant<'POST'>('POST') }, { weight: 1, arbitrary: fc.constant<'GET'>('GET') }),
      operationName: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: junk }),
      extensions: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: junk }),
      rawVariables: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: junk }),
      rawQuery: fc.oneof(
        { weight: 12, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
        { weight: 1, arbitrary: fc.constantFrom('{', '}', 'mutation', 'query { __typename } query { __typename }', 'subscription { billing { planTier } }', '{ billing(x: 1) { planTier } }', '{ __schema { types { fields { type { fields { name } } } } } }', '{ ...F } fragment F on Query { ...F }', `{ ${'a: __typename '.repeat(40)}}`, `{${'{'.repeat(5_000)}`, '{ a '.repeat(2_499), `{ billing(x: ${'['.repeat(4_990)}`, `{ billing(x: ${'{a: '.repeat(1_600)}`) },
      ),
    },
    { requiredKeys: ['operation', 'authorization'] },
  );
}

/** Requests that must be refused and write nothing, each for a reason its generator guarantees. */
function refusedGraphQLRequest(schema: SchemaInfo, callers: Callers): fc.Arbitrary<GraphQLRequest> {
  const valid = Object.values(callers.valid);
  const semantic = refusedWellTyped(schema);
  const perField = (kind: Operation['kind'], field: FieldInfo): fc.Arbitrary<GraphQLRequest>[] => {
    const options: fc.Arbitrary<GraphQLRequest>[] = [];
    const wrong = wronglyTypedOperation(schema, kind, field);
    if (wrong) options.push(fc.record({ operation: wrong, authorization: fc.constantFrom(...valid) }));
    options.push(fc.record({ operation: wellTypedOperation(schema, kind, field), authorization: fc.constantFrom(...callers.invalid) }));
    if (kind === 'query') options.push(fc.record({ operation: wellTypedOperation(schema, kind, field), authorization: fc.constantFrom(...valid) }));
    const role = ROLE_ONLY[field.name];
    if (role) {
      const others = (Object.keys(callers.valid) as (keyof Callers['valid'])[]).filter((name) => name !== role).map((name) => callers.valid[name]);
      options.push(fc.record({ operation: wellTypedOperation(schema, kind, field), authorization: fc.constantFrom(...others) }));
    }
    const refused = kind === 'mutation' ? semantic[field.name] : undefined;
    if (refused) options.push(fc.record({ operation: refused, authorization: fc.constant(role ? callers.valid[role] : callers.valid.user) }));
    return options;
  };
  return fc.oneof(
    ...schema.mutations.flatMap((field) => perField('mutation', field)),
    ...schema.queries.flatMap((field) => perField('query', field)),
  );
}

// ---------------------------------------------------------------------------------------------
// REST requests that must be refused.

function refusedRestCall(callers: Callers): fc.Arbitrary<Call> {
  const all = [...Object.values(callers.valid), ...callers.invalid];
  return anyRestCall(all).filter(mustBeRefused);
}

/** True when the route refuses the call whatever the state; the oracle of the no-write property. */
function mustBeRefused(call: Call): boolean {
  const route = call.path.split('?')[0];
  const json = (): Record<string, unknown> | null => {
    if (!/^application\/([\w.+-]+\+)?json\b/i.test(call.headers['content-type'] ?? '')) return null;
    try {
      const body = JSON.parse(call.body ?? '') as unknown;
      return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  };
  if (call.method === 'POST' && route === '/api/billing/checkout') {
    const tier = json()?.['tier'];
    return typeof tier !== 'string' || !PAID_TIERS.includes(tier);
  }
  if (call.method === 'POST' && route === '/api/balance/deposit') {
    const amount = json()?.['amount_cents'];
    return !(typeof amount === 'number' && Number.isInteger(amount) && amount >= 500 && amount <= 50_000);
  }
  // Every other route reads, or meets a state that refuses it (no session, no customer, an unsigned webhook).
  return true;
}

// ---------------------------------------------------------------------------------------------
// Writes.

const STORING_METHODS = [
  [ACCOUNT_PLAN_REPOSITORY, ['save']],
  [CHECKOUT_SESSION_REPOSITORY, ['insert', 'save', 'delete']],
  [PLAN_CHANGE_REPOSITORY, ['append']],
  [INVOICE_REPOSITORY, ['save']],
  [WALLET_LEDGER, ['post']],
  [PROVIDER_EVENT_INBOX, ['settle', 'requeue']],
  [PAYOUT_REPOSITORY, ['saveAccount', 'save']],
] as const;

type AnyMethod = (...args: unknown[]) => Promise<unknown>;

/** Wraps every storing method of the in-memory stores; what really stored something is listed in `writes`. */
function recordWrites(container: Container): string[] {
  const writes: string[] = [];
  const wrap = (target: object, name: string, stored: (result: unknown, args: unknown[], before: unknown) => boolean, lookup?: (args: unknown[]) => Promise<unknown>) => {
    const methods = target as Record<string, AnyMethod>;
    const original = methods[name]!.bind(target);
    methods[name] = async (...args: unknown[]) => {
      const before = lookup ? await lookup(args) : undefined;
      const result = await original(...args);
      if (stored(result, args, before)) writes.push(`${target.constructor.name}.${name}(${JSON.stringify(args).slice(0, 200)})`);
      return result;
    };
  };
  for (const [id, names] of STORING_METHODS) {
    const store = resolve(container, id as never) as object;
    for (const name of names) wrap(store, name, () => true);
  }
  const accounts = resolve(container, ACCOUNT_PLAN_REPOSITORY);
  wrap(accounts, 'insertIfAbsent', (_result, _args, before) => before === null, (args) => accounts.findByUserId((args[0] as { userId: string }).userId));
  const payouts = resolve(container, PAYOUT_REPOSITORY);
  wrap(payouts, 'lockAccount', (_result, _args, before) => before === null, (args) => payouts.findAccount(args[0] as string));
  wrap(payouts, 'add', (result) => result === true);
  wrap(resolve(container, INVOICE_REPOSITORY), 'add', (result) => result === true);
  wrap(resolve(container, WALLET_LEDGER), 'chargeToolCall', (result) => (result as { replayed: boolean }).replayed === false);
  wrap(resolve(container, PROVIDER_EVENT_INBOX), 'record', (result) => result === 'recorded');
  wrap(resolve(container, PROVIDER_EVENT_INBOX), 'requeueIgnoredAbout', (result) => (result as number) > 0);
  return writes;
}

/** Every row of every table the migrations create, as a digest per table. */
async function snapshot(database: Database): Promise<Record<string, string>> {
  const connection = database.orm.em.getConnection();
  const tables = (await connection.execute(
    `select table_name as name from information_schema.tables
     where table_schema = current_schema() and table_type = 'BASE TABLE' and table_name not like 'mikro_orm%'
     order by table_name`,
  )) as { name: string }[];
  const digests: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = (await connection.execute(
      `select count(*)::int as rows, md5(coalesce(string_agg(t::text, E'\\n' order by t::text), '')) as digest from "${name}" t`,
    )) as { rows: number; digest: string }[];
    digests[name] = `${row!.rows} rows ${row!.digest}`;
  }
  return digests;
}

// ---------------------------------------------------------------------------------------------

async function makeFuzzApp(options: { database?: Database; recordWrites?: boolean } = {}) {
  let writes: string[] = [];
  const testApp = makeTestApp({
    env: ENV,
    ...(options.database ? { database: options.database } : {}),
    configure: (container) => {
      if (options.recordWrites) writes = recordWrites(container);
    },
  });
  const callers = await makeCallers();
  const schema = await introspect(testApp.app);
  return { ...testApp, callers, schema, writes: () => writes };
}

/** Opens the callers' accounts and payout accounts, as their first call would. */
async function openCallerAccounts(app: App, callers: Callers): Promise<void> {
  for (const authorization of Object.values(callers.valid)) {
    const answer = await send(app, {
      method: 'POST',
      path: '/graphql',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ billing { planTier } payoutSettings { onboardingStatus } }' }),
    });
    expect(JSON.parse(answer.text).errors).toBeUndefined();
  }
}

/** A request that does write: the positive control of the no-write checks. */
function validDeposit(callers: Callers): Call {
  return {
    method: 'POST',
    path: '/api/balance/deposit',
    headers: { authorization: callers.valid.user, 'content-type': 'application/json' },
    body: JSON.stringify({ amount_cents: 2_500, success_url: 'https://app.aerostack.dev/settings/billing', cancel_url: 'https://app.aerostack.dev/settings/billing' }),
  };
}

describe('fuzzing every route and field, stored in memory', () => {
  let fuzz: Awaited<ReturnType<typeof makeFuzzApp>>;

  beforeAll(async () => {
    fuzz = await makeFuzzApp();
  });

  it('finds the schema it fuzzes', () => {
    expect(fuzz.schema.mutations.map((field) => field.name)).toEqual(expect.arrayContaining(Object.keys(ROLE_ONLY)));
    expect(Object.keys(refusedWellTyped(fuzz.schema)).length).toBeGreaterThan(10);
  });

  it('answers hostile REST requests from anyone without a 5xx, every refusal JSON with "error"', async () => {
    const { valid, invalid, odd } = fuzz.callers;
    await fc.assert(
      fc.asyncProperty(anyRestCall([...Object.values(valid), ...invalid, ...odd]), async (call) => {
        expectSoundRest(await send(fuzz.app, call));
      }),
      runs(250),
    );
  }, TIMEOUT);

  it('answers signed webhook deliveries with hostile bodies without a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(signedWebhook, async (call) => {
        expectSoundRest(await send(fuzz.app, call));
      }),
      runs(150),
    );
  }, TIMEOUT);

  it('answers hostile GraphQL at every mutation and argument without a 5xx, every error with a known code', async () => {
    const { valid, invalid, odd } = fuzz.callers;
    await fc.assert(
      fc.asyncProperty(anyGraphQLRequest(fuzz.schema, [...Object.values(valid), ...invalid, ...odd]), async (request) => {
        expectSoundGraphQL(await send(fuzz.app, graphQLCall(fuzz.schema, request)));
      }),
      runs(300),
    );
  }, TIMEOUT);
});

describe('invalid input writes nothing, stored in memory', () => {
  let fuzz: Awaited<ReturnType<typeof makeFuzzApp>>;

  beforeAll(async () => {
    fuzz = await makeFuzzApp({ recordWrites: true });
    await openCallerAccounts(fuzz.app, fuzz.callers);
    fuzz.writes().length = 0;
  });

  it('stores nothing for refused REST requests', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(refusedRestCall(fuzz.callers), { minLength: 1, maxLength: 4 }), async (calls) => {
        for (const call of calls) expectSoundRest(await send(fuzz.app, call));
        expect(fuzz.writes()).toEqual([]);
      }),
      runs(150),
    );
  }, TIMEOUT);

  it('stores nothing for refused GraphQL requests', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(refusedGraphQLRequest(fuzz.schema, fuzz.callers), { minLength: 1, maxLength: 4 }), async (requests) => {
        for (const request of requests) expectSoundGraphQL(await send(fuzz.app, graphQLCall(fuzz.schema, request)));
        expect(fuzz.writes()).toEqual([]);
      }),
      runs(200),
    );
  }, TIMEOUT);

  it('sees a write when there is one: the check is not blind', async () => {
    expect((await send(fuzz.app, validDeposit(fuzz.callers))).status).toBe(200);
    expect(fuzz.writes()).toEqual(expect.arrayContaining([expect.stringContaining('InMemoryCheckoutSessionRepository.insert(')]));
  });
});

describe.runIf(postgresUrl)('fuzzing against PostgreSQL', () => {
  let database: Database;
  let fuzz: Awaited<ReturnType<typeof makeFuzzApp>>;
  let before: Record<string, string>;

  beforeAll(async () => {
    database = await openTestDatabase('postgresql');
    fuzz = await makeFuzzApp({ database });
    await openCallerAccounts(fuzz.app, fuzz.callers);
    before = await snapshot(database);
  });
  afterAll(async () => {
    await database?.close();
  });

  it('records every table of the migrations', () => {
    expect(Object.keys(before)).toEqual(expect.arrayContaining(['account_plans', 'checkout_sessions', 'ledger_transfers', 'payouts', 'webhook_events']));
    expect(before['account_plans']).toMatch(/^3 rows/);
  });

  it('changes no row for refused REST and GraphQL requests, and never answers 5xx', async () => {
    const refused = fc.oneof(refusedRestCall(fuzz.callers), refusedGraphQLRequest(fuzz.schema, fuzz.callers).map((request) => graphQLCall(fuzz.schema, request)));
    await fc.assert(
      fc.asyncProperty(fc.array(refused, { minLength: 1, maxLength: 4 }), async (calls) => {
        for (const call of calls) expectSound(await send(fuzz.app, call));
        expect(await snapshot(database)).toEqual(before);
      }),
      runs(120),
    );
  }, TIMEOUT);

  it('sees a write when there is one: the check is not blind', async () => {
    expect((await send(fuzz.app, validDeposit(fuzz.callers))).status).toBe(200);
    const after = await snapshot(database);
    expect(after['checkout_sessions']).not.toEqual(before['checkout_sessions']);
    // The deposit's hosted checkout is the sandbox provider's, in its own table.
    expect(after['sandbox_objects']).not.toEqual(before['sandbox_objects']);
    expect({ ...after, checkout_sessions: before['checkout_sessions'], sandbox_objects: before['sandbox_objects'] }).toEqual(before);
  });

  it('answers anything at all without a 5xx', async () => {
    const { valid, invalid, odd } = fuzz.callers;
    const everyone = [...Object.values(valid), ...invalid, ...odd];
    const call = fc.oneof(anyRestCall(everyone), signedWebhook, anyGraphQLRequest(fuzz.schema, everyone).map((request) => graphQLCall(fuzz.schema, request)));
    await fc.assert(
      fc.asyncProperty(call, async (drawn) => {
        expectSound(await send(fuzz.app, drawn));
      }),
      runs(200),
    );
  }, TIMEOUT);
});

/** What the fuzzing found, each kept as an example: all of these answered 500 before. */
describe.each(postgresUrl ? (['memory', 'postgresql'] as const) : (['memory'] as const))('what the fuzzing found, stored %s', (backend) => {
  let database: Database | undefined;
  let app: App;
  let callers: Callers;

  beforeAll(async () => {
    if (backend === 'postgresql') database = await openTestDatabase('postgresql');
    ({ app } = makeTestApp({ env: ENV, ...(database ? { database } : {}) }));
    callers = await makeCallers();
  });
  afterAll(async () => {
    await database?.close();
  });

  const stripeDelivery = (body: string): Call => ({
    method: 'POST',
    path: '/api/billing/webhook',
    headers: { 'content-type': 'application/json', 'stripe-signature': stripeSignature(body) },
    body,
  });
  const stripeEventBody = (fields: Record<string, unknown>, object: string | Record<string, unknown> = {}) =>
    JSON.stringify({ id: `evt_${Math.random().toString(36).slice(2)}`, object: 'event', type: 'checkout.session.completed', created: 1_700_000_000, data: { object: 'OBJECT' }, ...fields }).replace(
      '"OBJECT"',
      typeof object === 'string' ? object : JSON.stringify(object),
    );

  async function expectBadInput(call: Call, message?: RegExp) {
    const answer = await send(app, call);
    // A resolver's refusal is a GraphQL answer (200) with the error; a refused variable is a 400.
    const statuses = call.path.startsWith('/graphql') ? [200, 400] : [400];
    expect(statuses, describeAnswer(answer)).toContain(answer.status);
    const body = parseJson(answer) as { error?: string; code?: string; errors?: { message: string; extensions: { code: string } }[] };
    if (call.path.startsWith('/graphql')) {
      expect(body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
      if (message) expect(body.errors?.[0]?.message).toMatch(message);
    } else {
      expect(body).toMatchObject({ code: 'BAD_USER_INPUT' });
      if (message) expect(body.error).toMatch(message);
    }
  }

  it('refuses a signed webhook body that is JSON but not an event (`null`)', async () => {
    await expectBadInput(stripeDelivery('null'), /could not be read/);
  });

  it('refuses a signed webhook body nested thousands of levels deep (its payload could not be stored)', async () => {
    await expectBadInput(stripeDelivery(stripeEventBody({}, `{"x":${'['.repeat(5_000)}${']'.repeat(5_000)}}`)), /nests more than 64 levels/);
  });

  it('refuses signed webhook text PostgreSQL cannot store where it would go into a text column: NUL, unpaired surrogates in an id or a type', async () => {
    await expectBadInput(stripeDelivery(stripeEventBody({ id: 'evt_\u0000' })), /NUL/);
    await expectBadInput(stripeDelivery(stripeEventBody({ type: 'x.\ud800' })), /surrogate/);
    await expectBadInput(stripeDelivery(stripeEventBody({}, { id: 'cs_\u0000' })), /NUL/);
    const razorpay = '{"entity":"event","account_id":"","event":"\\udfff\\ud800","created_at":0,"payload":{}}';
    await expectBadInput(
      {
        method: 'POST',
        path: '/api/billing/webhook/razorpay',
        headers: { 'content-type': 'application/json', 'x-razorpay-signature': razorpaySignature(razorpay), 'x-razorpay-event-id': 'evt_surrogates' },
        body: razorpay,
      },
      /surrogate/,
    );
  });

  it('keeps a signed body whose metadata holds NUL as delivered, and drops that hint: it is never stored as text', async () => {
    const answer = await send(app, stripeDelivery(stripeEventBody({}, '{"id":"cs_fuzz_nul","metadata":{"checkout_session_id":"cs_\\u0000"}}')));

    expect(answer.status, describeAnswer(answer)).toBe(200);
  });

  it('refuses a signed event the adapter cannot read into its schema (ids that are not text)', async () => {
    await expectBadInput(stripeDelivery(stripeEventBody({ type: 'account.updated' }, {})), /object cannot be read/);
    await expectBadInput(stripeDelivery(stripeEventBody({ type: 'account.updated' }, { id: 5 })), /object cannot be read/);
    await expectBadInput(stripeDelivery(stripeEventBody({ id: { toString: false }, type: null })), /not a Stripe event/);
  });

  it('refuses control characters in a session id, an identifier or a reason', async () => {
    const { user, admin, service } = callers.valid;
    const graphql = (authorization: string, query: string, variables: Record<string, unknown>): Call => ({
      method: 'POST',
      path: '/graphql',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });

    await expectBadInput({ method: 'GET', path: '/api/billing/verify-session?session_id=%00', headers: { authorization: user } }, /control characters/);
    await expectBadInput({ method: 'GET', path: '/api/balance/verify?session_id=cs%01', headers: { authorization: user } }, /control characters/);
    await expectBadInput(graphql(user, 'mutation ($id: String!) { verifyCheckoutSession(sessionId: $id) { planTier } }', { id: 'cs_\u0000' }), /NUL/);
    await expectBadInput(graphql(admin, 'mutation ($id: String!) { retryPayout(id: $id) { id } }', { id: 'po\u0007' }), /control characters/);
    // The SQL ledger passes identifiers as json, which refuses an unpaired surrogate.
    await expectBadInput(
      graphql(service, 'mutation ($input: ChargeToolCallInput!) { chargeToolCall(input: $input) { chargeId } }', {
        input: { consumerId: '\udfff\ud800', creatorId: 'c', toolId: 't', priceCents: 1, idempotencyKey: 'k' },
      }),
      /unpaired surrogates/,
    );
    await expectBadInput(
      graphql(admin, 'mutation ($reason: String!) { adjustWallet(userId: "fuzz-user", amountCents: 100, reason: $reason) { balanceCents } }', { reason: 'bad\u0001reason' }),
      /control characters/,
    );
    await expectBadInput(
      graphql(service, 'mutation ($input: ChargeToolCallInput!) { chargeToolCall(input: $input) { chargeId } }', {
        input: { consumerId: 'fuzz-user', creatorId: 'creator\u001b[31m', toolId: 't', priceCents: 1, idempotencyKey: 'k' },
      }),
      /control characters/,
    );
  });
});
