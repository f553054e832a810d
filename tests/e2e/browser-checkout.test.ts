import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScript, startService, type ServiceProcess } from '../support/service-process.ts';

/** Debian's Chromium: `.ci/run` installs it; locally `apt-get install -y chromium`. */
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
/** Every browser wait is bounded by this, well inside the test's own timeout. */
const STEP_TIMEOUT_MS = 10_000;

/** Resolves with `work`, or rejects naming `what` once `ms` have passed. */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish in ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The app the hosted checkout sends the user back to: a page that says which session was paid. */
async function startReturnApp(): Promise<{ origin: string; server: Server }> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const sessionId = url.searchParams.get('session_id') ?? '';
    const escaped = sessionId.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
    const canceled = url.pathname.endsWith('/canceled');
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${canceled ? 'Canceled' : 'Payment received'}</title></head>
<body style="font: 16px/1.5 system-ui, sans-serif; max-width: 28rem; margin: 4rem auto">
<h1>${canceled ? 'Checkout canceled' : 'Payment received'}</h1>
<p>Return page <code>${url.pathname}</code></p><p>Session <code data-testid="session">${escaped}</code></p></body></html>`);
  });
  server.listen(0, '127.0.0.1');
  await within(5_000, 'the return app listening', new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject)));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const USERS = ['e2e-browser-checkout', 'e2e-browser-depositor', 'e2e-browser-lifecycle'] as const;

/** `npm run -s token -- --user <user> --country US`: a dev token the zero-config service accepts. */
async function token(user: string): Promise<string> {
  const printed = await within(20_000, 'npm run token', runScript('api/token.ts', ['--user', user, '--country', 'US']));
  if (printed.code !== 0 || !printed.stdout) throw new Error(`npm run token failed (${printed.code}): ${printed.stderr}`);
  return printed.stdout;
}

/**
 * The sandbox hosted checkout in a real browser, against `npm start` with no configuration but a
 * data directory and an allowed return origin: open the page, see the amount, press Pay, land on
 * the app's success URL, and verify the session it carries.
 */
describe.skipIf(!hasChromium && !process.env['CI'])('the sandbox hosted checkout in a browser (Chromium)', () => {
  let dataDir: string | undefined;
  let returnApp: { origin: string; server: Server } | undefined;
  let service: ServiceProcess | undefined;
  let browser: Browser | undefined;
  let headersByUser = new Map<string, Record<string, string>>();

  beforeAll(async () => {
    if (!hasChromium) {
      throw new Error(`${CHROMIUM} is missing: the browser check needs Debian's Chromium (apt-get install -y chromium; .ci/run installs it)`);
    }
    await mkdir(ARTIFACTS, { recursive: true });
    dataDir = await mkdtemp(join(tmpdir(), 'billing-browser-e2e-'));
    returnApp = await startReturnApp();
    // Started side by side; whichever comes up is kept so afterAll stops it even if the other fails.
    const [started, launched, tokens] = await Promise.allSettled([
      startService({ DATA_DIR: dataDir, PORT: '0', REDIRECT_ALLOWED_ORIGINS: returnApp.origin }),
      chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: 20_000 }),
      Promise.all(USERS.map(async (user) => [user, await token(user)] as const)),
    ]);
    if (started.status === 'fulfilled') service = started.value;
    if (launched.status === 'fulfilled') browser = launched.value;
    if (started.status === 'rejected') throw started.reason;
    if (launched.status === 'rejected') throw launched.reason;
    if (tokens.status === 'rejected') throw tokens.reason;
    headersByUser = new Map(tokens.value.map(([user, jwt]) => [user, { Authorization: `Bearer ${jwt}` }]));
  }, 45_000);

  afterAll(async () => {
    await within(10_000, 'closing the browser', browser?.close() ?? Promise.resolve()).catch(() => undefined);
    await within(15_000, 'stopping the service', service?.stop() ?? Promise.resolve(null)).catch(() => service?.child.kill('SIGKILL'));
    returnApp?.server.closeAllConnections();
    await within(5_000, 'closing the return app', new Promise<void>((resolve) => (returnApp ? returnApp.server.close(() => resolve()) : resolve()))).catch(() => undefined);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 40_000);

  function authHeaders(user: (typeof USERS)[number]): Record<string, string> {
    return headersByUser.get(user)!;
  }

  async function post(path: string, auth: Record<string, string>, body: unknown): Promise<{ url: string }> {
    const response = await fetch(`${service!.url}${path}`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
    });
    const answer = (await response.json()) as { url: string };
    expect(response.status, JSON.stringify(answer)).toBe(200);
    return answer;
  }

  async function get(path: string, auth: Record<string, string>): Promise<unknown> {
    const response = await fetch(`${service!.url}${path}`, { headers: auth, signal: AbortSignal.timeout(STEP_TIMEOUT_MS) });
    const answer: unknown = await response.json();
    expect(response.status, JSON.stringify(answer)).toBe(200);
    return answer;
  }

  /** Opens the hosted checkout, checks the amount, pays, and returns the session id the success URL carries. */
  async function payInBrowser(checkoutUrl: string, amount: string, successPath: string, name: string): Promise<string> {
    const context = await browser!.newContext({ viewport: { width: 800, height: 600 } });
    try {
      const page: Page = await context.newPage();
      page.setDefaultTimeout(STEP_TIMEOUT_MS);
      page.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);

      const opened = await page.goto(checkoutUrl);
      expect(opened?.status()).toBe(200);
      await expect.poll(() => page.getByTestId('amount').textContent(), { timeout: STEP_TIMEOUT_MS }).toBe(amount);
      expect(await page.getByTestId('status').textContent()).toBe('open');
      // The Pay button is found the way assistive technology finds it: by role and accessible name.
      const pay = page.getByRole('button', { name: `Pay ${amount}` });
      expect(await pay.getAttribute('id')).toBe('pay');
      await page.screenshot({ path: join(ARTIFACTS, `${name}-checkout.png`), fullPage: true });

      await Promise.all([
        page.waitForURL((url) => url.origin === returnApp!.origin && url.pathname === successPath, { timeout: STEP_TIMEOUT_MS }),
        pay.click(),
      ]);
      await page.getByRole('heading', { name: 'Payment received' }).waitFor();
      const landed = new URL(page.url());
      const sessionId = landed.searchParams.get('session_id');
      expect(sessionId, `no session_id on ${landed.href}`).toBeTruthy();
      expect(await page.getByTestId('session').textContent()).toBe(sessionId);
      await page.screenshot({ path: join(ARTIFACTS, `${name}-success.png`), fullPage: true });
      return sessionId!;
    } finally {
      await within(5_000, 'closing the browser context', context.close()).catch(() => undefined);
    }
  }

  it('takes a US user from free to pro monthly through the hosted checkout page', async () => {
    const auth = authHeaders('e2e-browser-checkout');
    expect(await get('/api/billing', auth)).toMatchObject({ plan_tier: 'free' });

    const { url } = await post('/api/billing/checkout', auth, {
      tier: 'pro',
      billing_interval: 'monthly',
      success_url: `${returnApp!.origin}/settings/billing/success?plan=pro`,
      cancel_url: `${returnApp!.origin}/settings/billing/canceled`,
    });
    expect(url.startsWith(`${service!.url}/sandbox/checkout/`)).toBe(true);

    const sessionId = await payInBrowser(url, '$49.00', '/settings/billing/success', 'plan');

    expect(await get(`/api/billing/verify-session?session_id=${encodeURIComponent(sessionId)}`, auth)).toEqual({ tier: 'pro' });
    expect(await get('/api/billing', auth)).toEqual({ plan_tier: 'pro', payment_gateway: 'stripe', status: 'active' });
  }, 30_000);

  it('credits a $25.00 wallet deposit paid through the hosted checkout page', async () => {
    const auth = authHeaders('e2e-browser-depositor');

    const { url } = await post('/api/balance/deposit', auth, {
      amount_cents: 2500,
      success_url: `${returnApp!.origin}/settings/billing/deposit?deposit=success`,
      cancel_url: `${returnApp!.origin}/settings/billing/canceled`,
    });
    expect(url.startsWith(`${service!.url}/sandbox/checkout/`)).toBe(true);

    const sessionId = await payInBrowser(url, '$25.00', '/settings/billing/deposit', 'deposit');

    expect(await get(`/api/balance/verify?session_id=${encodeURIComponent(sessionId)}`, auth)).toEqual({ deposited: true, amount_cents: 2500 });
    const wallet = await fetch(`${service!.url}/graphql`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ query: '{ wallet { balanceCents } }' }),
      signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
    });
    expect(((await wallet.json()) as { data: unknown }).data).toEqual({ wallet: { balanceCents: 2500 } });
  }, 30_000);

  it("renews a plan, refunds part of a deposit and disputes the rest, winning it, through the sandbox's pages", async () => {
    const user = 'e2e-browser-lifecycle';
    const auth = authHeaders(user);
    const graphql = async (query: string) => {
      const response = await fetch(`${service!.url}/graphql`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify({ query }), signal: AbortSignal.timeout(STEP_TIMEOUT_MS) });
      return ((await response.json()) as { data: any }).data;
    };
    const urls = { success_url: `${returnApp!.origin}/settings/billing/success`, cancel_url: `${returnApp!.origin}/settings/billing/canceled` };
    // A plan and a $40.00 deposit, paid as the contract's POST <url>/pay does.
    for (const [path, body] of [['/api/billing/checkout', { tier: 'pro', billing_interval: 'monthly', ...urls }], ['/api/balance/deposit', { amount_cents: 4_000, ...urls }]] as const) {
      const { url } = await post(path, auth, body);
      const paid = await fetch(`${url}/pay`, { method: 'POST', redirect: 'manual', signal: AbortSignal.timeout(STEP_TIMEOUT_MS) });
      const sessionId = new URL(paid.headers.get('location')!).searchParams.get('session_id')!;
      await get(`${path === '/api/balance/deposit' ? '/api/balance/verify' : '/api/billing/verify-session'}?session_id=${sessionId}`, auth);
    }
    const before = (await graphql('{ billing { currentPeriodEnd } }')).billing.currentPeriodEnd as string;
    const balance = async () => (await graphql('{ wallet { balanceCents } }')).wallet.balanceCents as number;

    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page: Page = await context.newPage();
      page.setDefaultTimeout(STEP_TIMEOUT_MS);
      expect((await page.goto(`${service!.url}/sandbox`))?.status()).toBe(200);
      const subscription = page.locator('#subscriptions tr', { hasText: user });
      const payment = page.locator('#payments tr', { hasText: user }).filter({ hasText: 'deposit' });

      // Renew now: a new period is charged and the plan's period end moves a month.
      await Promise.all([page.waitForURL(/\/sandbox#subscriptions$/), subscription.getByRole('button', { name: 'Renew now' }).click()]);
      const renewedEnd = await subscription.getByTestId('period-end').locator('time').getAttribute('datetime');
      await page.screenshot({ path: join(ARTIFACTS, 'sandbox-renewed.png'), fullPage: true });

      // Refund $5.00 of the deposit, then dispute what is left.
      await payment.locator('form', { has: page.getByRole('button', { name: 'Refund' }) }).locator('input[name="amount_minor"]').fill('500');
      await Promise.all([page.waitForURL(/\/sandbox#payments$/), payment.getByRole('button', { name: 'Refund' }).click()]);
      const refunded = await balance();
      await Promise.all([page.waitForURL(/\/sandbox#payments$/), payment.getByRole('button', { name: 'Dispute' }).click()]);
      const disputed = await balance();
      const dispute = page.locator('#disputes tr').filter({ has: page.getByTestId('dispute-status') }).first();
      expect(await dispute.getByTestId('dispute-status').textContent()).toBe('open');
      await Promise.all([page.waitForURL(/\/sandbox#disputes$/), dispute.getByRole('button', { name: 'Win' }).click()]);
      expect(await page.locator('#disputes tbody tr').first().getByTestId('dispute-status').textContent()).toBe('won');
      await page.screenshot({ path: join(ARTIFACTS, 'sandbox-dispute-won.png'), fullPage: true });

      const after = (await graphql('{ billing { planTier currentPeriodEnd } }')).billing;
      expect(after).toEqual({ planTier: 'pro', currentPeriodEnd: renewedEnd });
      expect(new Date(after.currentPeriodEnd).getTime()).toBeGreaterThan(new Date(before).getTime());
      expect([refunded, disputed, await balance()]).toEqual([3_500, 0, 3_500]);
    } finally {
      await within(5_000, 'closing the browser context', context.close()).catch(() => undefined);
    }
  }, 45_000);
});
