import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScript, startService, type ServiceProcess } from '../support/service-process.ts';

/**
 * The curl flows of the spec, verbatim but for the host, against `npm start` with no
 * configuration: the sandbox gateway serves both regions and its hosted page is on this server.
 */
describe('the spec plan checkout flow against the running service', () => {
  let dataDir: string;
  let service: ServiceProcess;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'billing-checkout-e2e-'));
    service = await startService({ DATA_DIR: dataDir });
  }, 60_000);
  afterAll(async () => {
    await service?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function token(user: string, country: string): Promise<string> {
    return (await runScript('api/token.ts', ['--user', user, '--country', country])).stdout;
  }

  it.each([
    ['a US user', 'US', 'stripe'],
    ['an Indian user', 'IN', 'razorpay'],
  ])('takes %s from free to pro yearly, once however often verify is called', async (_who, country, gateway) => {
    const jwt = await token(`e2e-checkout-${country}`, country);
    const auth = { Authorization: `Bearer ${jwt}` };

    const checkout = await fetch(`${service.url}/api/billing/checkout`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        tier: 'pro',
        billing_interval: 'yearly',
        success_url: 'https://app.aerostack.dev/settings/billing?success=true',
        cancel_url: 'https://app.aerostack.dev/settings/billing',
      }),
    });
    const { url } = (await checkout.json()) as { url: string };
    expect(checkout.status).toBe(200);
    expect(url.startsWith(`${service.url}/sandbox/checkout/`)).toBe(true);

    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('id="pay"');

    const paid = await fetch(`${url}/pay`, { method: 'POST', redirect: 'manual' });
    expect(paid.status).toBe(303);
    const landing = new URL(paid.headers.get('location')!);
    expect(landing.origin + landing.pathname).toBe('https://app.aerostack.dev/settings/billing');
    expect(landing.searchParams.get('success')).toBe('true');
    const sessionId = landing.searchParams.get('session_id')!;

    const verify = () => fetch(`${service.url}/api/billing/verify-session?session_id=${sessionId}`, { headers: auth });
    const answers = await Promise.all(Array.from({ length: 50 }, verify));
    const again = await verify();
    const billing = await fetch(`${service.url}/api/billing`, { headers: auth });
    const changes = await fetch(`${service.url}/graphql`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ query: '{ billing { planTier billingInterval status } }' }),
    });

    expect(await Promise.all(answers.map((answer) => answer.json()))).toEqual(Array(50).fill({ tier: 'pro' }));
    expect(await again.json()).toEqual({ tier: 'pro' });
    expect(await billing.json()).toEqual({ plan_tier: 'pro', payment_gateway: gateway, status: 'active' });
    expect(((await changes.json()) as { data: unknown }).data).toEqual({ billing: { planTier: 'pro', billingInterval: 'yearly', status: 'active' } });
  }, 60_000);
});
