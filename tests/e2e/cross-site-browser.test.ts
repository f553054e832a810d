import { getRequestListener } from '@hono/node-server';
import { existsSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aUserId } from '../support/builders.ts';
import { makeTestApp, signToken } from '../support/test-app.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const STEP_TIMEOUT_MS = 10_000;

async function listen(listener: RequestListener): Promise<{ port: number; server: Server }> {
  const server = createServer((request, response) => listener(request, response));
  await new Promise<void>((resolve, reject) => server.listen(0, '127.0.0.1', resolve).once('error', reject));
  return { port: (server.address() as AddressInfo).port, server };
}

function close(server: Server | undefined): Promise<void> {
  server?.closeAllConnections();
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}

/**
 * What a real browser sends and obeys, not headers a test makes up: the service at 127.0.0.1, and
 * another site at `localhost` (another host, so another site) whose page posts a form to the
 * sandbox checkout's /pay and frames the sandbox.
 */
describe.skipIf(!hasChromium && !process.env['CI'])('hosted pages against another site, in a browser (Chromium)', () => {
  let service: { port: number; server: Server } | undefined;
  let elsewhere: { port: number; server: Server } | undefined;
  let browser: Browser | undefined;
  let evilPage = '';
  let testApp: ReturnType<typeof makeTestApp>;

  beforeAll(async () => {
    if (!hasChromium) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    let app: RequestListener = (_request, response) => response.writeHead(503).end();
    service = await listen((request, response) => app(request, response));
    elsewhere = await listen((request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(request.url === '/done' ? '<p id="where">back at the app</p>' : evilPage);
    });
    const origin = `http://127.0.0.1:${service.port}`;
    testApp = makeTestApp({ env: { PUBLIC_URL: origin, REDIRECT_ALLOWED_ORIGINS: `http://localhost:${elsewhere.port}` } });
    app = getRequestListener(testApp.app.fetch);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: 20_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await Promise.all([close(service?.server), close(elsewhere?.server)]);
  });

  async function aCheckout(): Promise<{ url: string; status: () => Promise<string | undefined> }> {
    const back = `http://localhost:${elsewhere!.port}/done`;
    const { data } = await testApp.graphql(`mutation { startDeposit(amountCents: 2500, successUrl: "${back}", cancelUrl: "${back}") { url } }`, {
      token: await signToken({ sub: aUserId(), country: 'US' }),
    });
    const url = data.startDeposit.url as string;
    return { url, status: async () => /data-testid="status">(\w+)</.exec((await testApp.request(new URL(url).pathname)).text)?.[1] };
  }

  it("refuses another site's form post to /pay with 403, while the checkout's own page, styled under its CSP, still pays", async () => {
    const { url, status } = await aCheckout();
    evilPage = `<form method="post" action="${url}/pay"></form><script>document.forms[0].submit()</script>`;
    const page = await browser!.newPage();
    try {
      const [refused] = await Promise.all([
        page.waitForResponse((response) => response.url() === `${url}/pay`, { timeout: STEP_TIMEOUT_MS }),
        page.goto(`http://localhost:${elsewhere!.port}/`, { timeout: STEP_TIMEOUT_MS }),
      ]);

      expect(refused.status()).toBe(403);
      expect(await refused.json()).toMatchObject({ code: 'FORBIDDEN' });
      expect(await status()).toBe('open');

      const violations: string[] = [];
      page.on('console', (message) => void (message.text().includes('Content Security Policy') && violations.push(message.text())));
      await page.goto(url, { timeout: STEP_TIMEOUT_MS });
      expect(await page.locator('#pay').evaluate((button) => getComputedStyle(button).backgroundColor)).toBe('rgb(99, 91, 255)');
      expect(violations).toEqual([]);
      await Promise.all([page.waitForURL(`http://localhost:${elsewhere!.port}/done?**`, { timeout: STEP_TIMEOUT_MS }), page.click('#pay')]);
      expect(await status()).toBe('paid');
    } finally {
      await page.close();
    }
  }, 60_000);

  it('will not be framed by another site, which frames its own page well', async () => {
    const ownPage = `http://localhost:${elsewhere!.port}/done`;
    evilPage = `<iframe src="http://127.0.0.1:${service!.port}/sandbox"></iframe><iframe src="${ownPage}"></iframe>`;
    const page = await browser!.newPage();
    try {
      await page.goto(`http://localhost:${elsewhere!.port}/`, { timeout: STEP_TIMEOUT_MS, waitUntil: 'load' });
      const frameUrls = () => page.frames().filter((frame) => frame !== page.mainFrame()).map((frame) => frame.url());

      // Chromium puts its own error page in place of a frame whose page refuses it (frame-ancestors 'none').
      // On a loaded machine the error page can commit after the parent's load event: the frames are read until they settle.
      await expect.poll(frameUrls, { timeout: STEP_TIMEOUT_MS }).toEqual(['chrome-error://chromewebdata/', ownPage]);
    } finally {
      await page.close();
    }
  }, 60_000);
});
