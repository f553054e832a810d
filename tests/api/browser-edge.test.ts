import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { renderRazorpayCheckoutPage } from '../../adapters/razorpay/razorpay.checkout-page.ts';
import { Money } from '../../domain/shared/money.value-object.ts';
import { CHECKOUT_MUTATIONS } from '../../api/graphql/limits/index.ts';
import { GRAPHIQL_DEFAULT_QUERY } from '../../api/graphql/yoga.ts';
import { schema } from '../../api/graphql/schema.ts';
import { hostedPageHeaders } from '../../api/http/hosted-pages.ts';
import { aUserId } from '../support/builders.ts';
import { makeTestApp, signToken } from '../support/test-app.ts';

/** On the default allow-list (the spec's four origins), by its wildcard entry. */
const DASHBOARD = 'https://preview-42.aerostack-admin.pages.dev';
const ELSEWHERE = 'https://evil.example';
/** Where the test app's hosted pages say they are (PUBLIC_URL unset: the container's default). */
const OWN_ORIGIN = 'http://localhost:4000';
const URLS = { successUrl: 'https://app.aerostack.dev/settings/billing?success=true', cancelUrl: 'https://app.aerostack.dev/settings/billing' };

function preflight(origin: string, method = 'POST', headers = 'authorization,content-type') {
  return { method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers } };
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
const inlineStyles = (html: string) => [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((match) => match[1]!);

async function aDepositor() {
  const testApp = makeTestApp();
  const token = await signToken({ sub: aUserId(), country: 'US' });
  const checkouts = async () => ((await testApp.request('/sandbox/state')).json().checkouts as unknown[]).length;
  return { ...testApp, token, checkouts };
}

describe('CORS for REST and GraphQL', () => {
  it('answers the dashboard’s preflight for POST /api/billing/checkout with its own origin, credentials and the headers the routes read', async () => {
    const { app } = makeTestApp();
    const response = await app.request('/api/billing/checkout', preflight(DASHBOARD));

    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(DASHBOARD);
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-headers')?.toLowerCase().split(',')).toEqual(expect.arrayContaining(['authorization', 'content-type']));
    expect(response.headers.get('vary')).toContain('Origin');
  });

  it('refuses a preflight from an unlisted origin with 403 FORBIDDEN and no CORS header, on REST and on /graphql', async () => {
    const { app } = makeTestApp();
    for (const path of ['/api/billing/checkout', '/api/balance/deposit', '/graphql']) {
      const response = await app.request(path, preflight(ELSEWHERE));

      expect(response.status, path).toBe(403);
      expect((await response.json()).code).toBe('FORBIDDEN');
      expect([...response.headers.keys()].filter((name) => name.startsWith('access-control-')), path).toEqual([]);
    }
  });

  it('answers the preflight of /graphql from an allowed origin', async () => {
    const response = await makeTestApp().app.request('/graphql', preflight(DASHBOARD));

    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(DASHBOARD);
  });

  it('marks a real call from an allowed origin with that exact origin, and one from an unlisted origin with none', async () => {
    const { request } = makeTestApp();
    const token = await signToken({ sub: aUserId() });
    const call = (origin: string) => request('/graphql', { token, headers: { origin }, body: { query: '{ billing { planTier } }' } });
    const rest = (origin: string) => request('/api/billing', { token, headers: { origin } });

    for (const [allowed, refused] of [await Promise.all([call(DASHBOARD), call(ELSEWHERE)]), await Promise.all([rest(DASHBOARD), rest(ELSEWHERE)])]) {
      expect(allowed!.status).toBe(200);
      expect(allowed!.headers.get('access-control-allow-origin')).toBe(DASHBOARD);
      expect(allowed!.headers.get('access-control-allow-credentials')).toBe('true');
      expect(allowed!.headers.get('access-control-expose-headers')).toContain('X-Request-Id');
      expect(refused!.headers.get('access-control-allow-origin')).toBeNull();
      expect(refused!.headers.get('access-control-allow-credentials')).toBeNull();
      expect(refused!.headers.get('vary')).toContain('Origin');
    }
  });

  it('follows CORS_ALLOWED_ORIGINS when it is set, apart from the redirect allow-list', async () => {
    const { app } = makeTestApp({ env: { CORS_ALLOWED_ORIGINS: 'https://tools.example.com' } });

    const listed = await app.request('/api/billing', preflight('https://tools.example.com', 'GET', 'authorization'));
    const redirectOnly = await app.request('/api/billing', preflight('https://app.aerostack.dev', 'GET', 'authorization'));
    const lookalike = await app.request('/api/billing', preflight('https://tools.example.com.evil.example', 'GET', 'authorization'));

    expect(listed.headers.get('access-control-allow-origin')).toBe('https://tools.example.com');
    expect(redirectOnly.status).toBe(403);
    expect(lookalike.status).toBe(403);
  });
});

describe('CSRF: GraphQL takes mutations as JSON only', () => {
  const startDeposit = `mutation { startDeposit(amountCents: 2500, successUrl: "${URLS.successUrl}", cancelUrl: "${URLS.cancelUrl}") { url } }`;

  it('refuses a mutation posted as a form (urlencoded, multipart or text/plain) with 415 and a clear error, and opens no checkout', async () => {
    const { app, token, checkouts } = await aDepositor();
    const multipart = new FormData();
    multipart.append('query', startDeposit);
    const bodies: [string | undefined, BodyInit][] = [
      ['application/x-www-form-urlencoded', new URLSearchParams({ query: startDeposit }).toString()],
      [undefined, multipart],
      ['text/plain', JSON.stringify({ query: startDeposit })],
    ];

    for (const [contentType, body] of bodies) {
      const response = await app.request('/graphql', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, origin: ELSEWHERE, ...(contentType ? { 'content-type': contentType } : {}) },
        body,
      });
      const answer = await response.json();

      expect(response.status, contentType).toBe(415);
      expect(answer.errors[0].extensions.code).toBe('BAD_REQUEST');
      expect(answer.errors[0].message).toMatch(/JSON.*form bodies are refused/);
    }
    expect(await checkouts()).toBe(0);
  });

  it('refuses a mutation in the URL of a GET, and opens no checkout', async () => {
    const { app, token, checkouts } = await aDepositor();
    const response = await app.request(`/graphql?query=${encodeURIComponent(startDeposit)}`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });

    expect(response.status).toBe(405);
    expect(await checkouts()).toBe(0);
  });

  it('still answers a query in the URL of a GET', async () => {
    const { app } = makeTestApp();
    const response = await app.request(`/graphql?query=${encodeURIComponent('{ __typename }')}`, { headers: { accept: 'application/json' } });

    expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
  });
});

describe('one checkout per request', () => {
  const deposit = (alias: string) => `${alias}: startDeposit(amountCents: 2500, successUrl: "${URLS.successUrl}", cancelUrl: "${URLS.cancelUrl}") { url }`;

  it('refuses 30 aliased startDeposit before anything runs, with BAD_USER_INPUT, and opens no checkout', async () => {
    const { graphql, token, checkouts } = await aDepositor();
    const aliases = Array.from({ length: 30 }, (_, index) => deposit(`d${index}`)).join(' ');

    const { data, errors } = await graphql(`mutation { ${aliases} }`, { token });

    expect(data).toBeUndefined();
    expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(errors?.[0]?.message).toMatch(/at most one checkout.*asks for 30/);
    expect(await checkouts()).toBe(0);
  });

  it('refuses a deposit and a plan checkout together, and two deposits through a fragment', async () => {
    const { graphql, token, checkouts } = await aDepositor();
    const plan = `plan: startPlanCheckout(input: { tier: pro, billingInterval: monthly, successUrl: "${URLS.successUrl}", cancelUrl: "${URLS.cancelUrl}" }) { url }`;

    const mixed = await graphql(`mutation { ${deposit('one')} ${plan} }`, { token });
    const viaFragment = await graphql(`mutation { ${deposit('one')} ...More } fragment More on Mutation { ${deposit('two')} }`, { token });

    expect(mixed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(viaFragment.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await checkouts()).toBe(0);
  });

  it('opens the one checkout a request asks for, beside other mutations', async () => {
    const { graphql, token, checkouts } = await aDepositor();

    const { data, errors } = await graphql(`mutation { registerAccount { planTier } ${deposit('deposit')} }`, { token });

    expect(errors).toBeUndefined();
    expect(data.deposit.url).toMatch(/\/sandbox\/checkout\//);
    expect(await checkouts()).toBe(1);
  });

  it('names only mutations the schema has', () => {
    const mutations = Object.keys(schema.getMutationType()!.getFields());

    expect(mutations).toEqual(expect.arrayContaining([...CHECKOUT_MUTATIONS]));
  });
});

describe('hosted pages', () => {
  async function aSandboxCheckout() {
    const testApp = await aDepositor();
    const { data } = await testApp.graphql(`mutation { startDeposit(amountCents: 2500, successUrl: "${URLS.successUrl}", cancelUrl: "${URLS.cancelUrl}") { url } }`, { token: testApp.token });
    const path = new URL(data.startDeposit.url as string).pathname;
    const status = async () => /data-testid="status">(\w+)</.exec((await testApp.request(path)).text)?.[1];
    return { ...testApp, path, status };
  }

  it('serves every page with a CSP that allows its own inline styles by hash only, forbids framing, sniffing and referrers to other sites', async () => {
    const { request, path } = await aSandboxCheckout();

    for (const page of [path, '/sandbox', '/']) {
      const response = await request(page);
      const csp = response.headers.get('content-security-policy') ?? '';

      expect(response.status, page).toBe(200);
      expect(csp, page).toContain("default-src 'none'");
      expect(csp, page).toContain("frame-ancestors 'none'");
      expect(csp, page).toContain(`style-src ${inlineStyles(response.text).map(sha256).join(' ')};`);
      expect(csp, page).not.toContain('unsafe-inline');
      expect(response.headers.get('x-frame-options'), page).toBe('DENY');
      expect(response.headers.get('x-content-type-options'), page).toBe('nosniff');
      expect(response.headers.get('referrer-policy'), page).toBe('same-origin');
    }
  });

  it('lets the Razorpay checkout page run its own inline script by hash and the configured Checkout script, nothing else', () => {
    const html = renderRazorpayCheckoutPage(
      { keyId: 'rzp_test_x', scriptUrl: 'https://checkout.razorpay.com/v1/checkout.js', callbackUrl: 'http://localhost:4000/api/billing/razorpay/callback' },
      { sessionId: 'cs_1', subscriptionId: 'sub_1', description: 'Pro (monthly)', amount: Money.of(416_500, 'INR') },
    );
    const inline = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;

    const csp = hostedPageHeaders(html)['content-security-policy']!;

    expect(csp).toContain(`script-src ${sha256(inline)} https://checkout.razorpay.com https://*.razorpay.com;`);
    expect(csp).toContain('frame-src https://checkout.razorpay.com https://*.razorpay.com');
    expect(csp).toContain("frame-ancestors 'none'");
  });

  it('refuses a form post to a checkout’s /pay or /cancel from another site (or a sandboxed frame) with 403 FORBIDDEN and leaves the checkout open', async () => {
    const { app, path, status } = await aSandboxCheckout();
    const form = { 'content-type': 'application/x-www-form-urlencoded' };

    const fromElsewhere = await app.request(`${path}/pay`, { method: 'POST', headers: { ...form, origin: ELSEWHERE, 'sec-fetch-site': 'cross-site' } });
    const crossSiteOnly = await app.request(`${path}/pay`, { method: 'POST', headers: { ...form, 'sec-fetch-site': 'cross-site' } });
    const sibling = await app.request(`${path}/cancel`, { method: 'POST', headers: { ...form, 'sec-fetch-site': 'same-site' } });
    const sandboxedFrame = await app.request(`${path}/pay`, { method: 'POST', headers: { ...form, origin: 'null' } });

    for (const refused of [fromElsewhere, crossSiteOnly, sibling, sandboxedFrame]) {
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ code: 'FORBIDDEN', error: expect.stringContaining('own page') });
    }
    expect(await status()).toBe('open');
  });

  it('takes a post from its own page, and one carrying neither Origin nor Sec-Fetch-Site (curl, scripts)', async () => {
    const own = await aSandboxCheckout();
    const headerless = await aSandboxCheckout();

    const fromOwnPage = await own.app.request(`${own.path}/pay`, { method: 'POST', headers: { origin: OWN_ORIGIN, 'sec-fetch-site': 'same-origin' } });
    const fromCurl = await headerless.app.request(`${headerless.path}/pay`, { method: 'POST' });

    for (const paid of [fromOwnPage, fromCurl]) {
      expect(paid.status).toBe(303);
      expect(paid.headers.get('location')).toContain('session_id=');
    }
    expect([await own.status(), await headerless.status()]).toEqual(['paid', 'paid']);
  });

  it('refuses a cross-site post to the billing pages’ actions before reading them', async () => {
    const { app } = makeTestApp();
    for (const action of ['/api/billing/plan-change/confirm?session_id=x', '/api/billing/portal/cancel?link=x', '/sandbox/clock/advance']) {
      const response = await app.request(action, { method: 'POST', headers: { origin: ELSEWHERE } });

      expect(response.status, action).toBe(403);
      expect((await response.json()).code).toBe('FORBIDDEN');
    }
  });
});

describe('GraphiQL', () => {
  it('opens with an example query of real fields and an Authorization header template, unframeable', async () => {
    const response = await makeTestApp().request('/graphql', { headers: { accept: 'text/html' } });

    expect(response.headers.get('content-type')).toContain('text/html');
    expect(response.text).toContain(JSON.stringify(GRAPHIQL_DEFAULT_QUERY));
    expect(response.text).toContain('Bearer <token from npm run -s token');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('runs its example query as written', async () => {
    const { graphql } = makeTestApp();
    const { errors, data } = await graphql(GRAPHIQL_DEFAULT_QUERY, { token: await signToken({ sub: aUserId() }) });

    expect(errors).toBeUndefined();
    expect(data.billing.planTier).toBe('free');
  });

  it('is off with GRAPHIQL=off: no GraphiQL page, and introspection refused while plain queries run', async () => {
    const { request, graphql } = makeTestApp({ env: { GRAPHIQL: 'off' } });

    const page = await request('/graphql', { headers: { accept: 'text/html' } });
    const schemaQuery = await graphql('{ __schema { types { name } } }');
    const typeQuery = await graphql('query { ...T } fragment T on Query { __type(name: "Wallet") { name } }');
    const plain = await graphql('{ __typename }');

    expect(page.status).toBe(404);
    expect(page.json()).toEqual({ error: expect.stringContaining('GraphiQL is off'), code: 'NOT_FOUND' });
    for (const refused of [schemaQuery, typeQuery]) {
      expect(refused.data).toBeUndefined();
      expect(refused.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(refused.errors?.[0]?.message).toMatch(/introspection is off/);
    }
    expect(plain.data).toEqual({ __typename: 'Query' });
  });
});

describe('GET /', () => {
  it('answers a short page linking GraphiQL, health, OpenAPI and the sandbox', async () => {
    const response = await makeTestApp().request('/');
    const links = [...response.text.matchAll(/href="([^"]+)"/g)].map((match) => match[1]);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(links).toEqual(['/graphql', '/healthz', '/openapi.json', '/sandbox']);
  });

  it('leaves GraphiQL out while it is off', async () => {
    const response = await makeTestApp({ env: { GRAPHIQL: 'off' } }).request('/');
    const links = [...response.text.matchAll(/href="([^"]+)"/g)].map((match) => match[1]);

    expect(links).toEqual(['/healthz', '/openapi.json', '/sandbox']);
  });
});
