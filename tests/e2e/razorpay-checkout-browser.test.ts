import { getRequestListener } from '@hono/node-server';
import { existsSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/http/app.ts';
import { aUserId } from '../support/builders.ts';
import { RAZORPAY_WEBHOOK_SECRET } from '../support/provider-events.ts';
import { startProviderFakes, type ProviderFakes } from '../support/provider-fakes.ts';
import { makeTestApp, signToken } from '../support/test-app.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const STEP_TIMEOUT_MS = 10_000;

/** A server on a free port whose handler is set once the app that needs its address is built. */
async function listen(): Promise<{ origin: string; server: Server; handle(listener: RequestListener): void }> {
  let listener: RequestListener = (_request, response) => response.writeHead(503).end();
  const server = createServer((request, response) => listener(request, response));
  await new Promise<void>((resolve, reject) => server.listen(0, '127.0.0.1', resolve).once('error', reject));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, handle: (next) => (listener = next) };
}

function close(server: Server | undefined): Promise<void> {
  server?.closeAllConnections();
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}

/**
 * The Razorpay subscription checkout in a real browser: our page loads Standard Checkout (the
 * Razorpay fake's stand-in for checkout.js), the user pays or cancels there, Checkout posts the
 * signed result to our callback, and the browser lands on the app's success or cancel URL.
 */
describe.skipIf(!hasChromium && !process.env['CI'])('the Razorpay subscription checkout in a browser (Chromium)', () => {
  let service: Awaited<ReturnType<typeof listen>> | undefined;
  let returnApp: Awaited<ReturnType<typeof listen>> | undefined;
  let fakes: ProviderFakes | undefined;
  let browser: Browser | undefined;
  let testApp: ReturnType<typeof makeTestApp>;

  beforeAll(async () => {
    if (!hasChromium) throw new Error(`${CHROMIUM} is missing: the browser check needs Debian's Chromium (.ci/run installs it)`);
    [service, returnApp] = await Promise.all([listen(), listen()]);
    returnApp.handle((request, response) => {
      const url = new URL(request.url ?? '/', 'http://app');
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(`<!doctype html><title>${url.pathname}</title><p id="where">${url.pathname}</p><p id="session">${url.searchParams.get('session_id') ?? ''}</p>`);
    });
    fakes = await startProviderFakes({ publicUrl: service.origin });
    testApp = makeTestApp({ gateways: fakes.gateways, env: { RAZORPAY_WEBHOOK_SECRET, REDIRECT_ALLOWED_ORIGINS: returnApp.origin } });
    service.handle(getRequestListener(createApp(testApp.container).fetch));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: 20_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await Promise.all([close(service?.server), close(returnApp?.server), fakes?.stop()]);
  });

  async function aCheckout() {
    const token = await signToken({ sub: aUserId(), country: 'IN' });
    const started = await testApp.request('/api/billing/checkout', {
      token,
      body: { tier: 'pro', billing_interval: 'monthly', success_url: `${returnApp!.origin}/paid`, cancel_url: `${returnApp!.origin}/canceled` },
    });
    expect(started.status).toBe(200);
    return { token, url: started.json().url as string };
  }

  it('opens Standard Checkout on our page, pays, and lands on the success URL with a session verify-session accepts', async () => {
    const { token, url } = await aCheckout();
    const page = await browser!.newPage();
    try {
      await page.goto(url, { timeout: STEP_TIMEOUT_MS });
      await page.click('#razorpay-pay', { timeout: STEP_TIMEOUT_MS });
      await page.waitForURL(`${returnApp!.origin}/paid?**`, { timeout: STEP_TIMEOUT_MS });
      const sessionId = await page.textContent('#session');
      const verified = await testApp.request(`/api/billing/verify-session?session_id=${sessionId}`, { token });

      expect(new URL(url).searchParams.get('session_id')).toBe(sessionId);
      expect(verified.json()).toEqual({ tier: 'pro' });
    } finally {
      await page.close();
    }
  }, 60_000);

  it('lands on the cancel URL when the user cancels on Checkout, with the plan unchanged', async () => {
    const { token, url } = await aCheckout();
    const page = await browser!.newPage();
    try {
      await page.goto(url, { timeout: STEP_TIMEOUT_MS });
      await page.click('#razorpay-cancel', { timeout: STEP_TIMEOUT_MS });
      await page.waitForURL(`${returnApp!.origin}/canceled`, { timeout: STEP_TIMEOUT_MS });

      expect((await testApp.graphql('{ billing { planTier } }', { token })).data.billing.planTier).toBe('free');
    } finally {
      await page.close();
    }
  }, 60_000);
});
