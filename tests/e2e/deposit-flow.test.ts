import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScript, startService, type ServiceProcess } from '../support/service-process.ts';

/** The deposit curl flow of the spec, verbatim but for the host, against `npm start` and its sandbox. */
describe('the spec wallet deposit flow against the running service', () => {
  let dataDir: string;
  let service: ServiceProcess;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'billing-deposit-e2e-'));
    service = await startService({ DATA_DIR: dataDir });
  }, 60_000);
  afterAll(async () => {
    await service?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('deposits $25.00, credits it once under 50 concurrent verifies, and lets the service role spend it', async () => {
    const jwt = (await runScript('api/token.ts', ['--user', 'e2e-depositor', '--country', 'US'])).stdout;
    const auth = { Authorization: `Bearer ${jwt}` };

    const deposit = await fetch(`${service.url}/api/balance/deposit`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        amount_cents: 2500,
        success_url: 'https://app.aerostack.dev/settings/billing?deposit=success',
        cancel_url: 'https://app.aerostack.dev/settings/billing',
      }),
    });
    const { url } = (await deposit.json()) as { url: string };
    const paid = await fetch(`${url}/pay`, { method: 'POST', redirect: 'manual' });
    const sessionId = new URL(paid.headers.get('location')!).searchParams.get('session_id')!;

    const verify = () => fetch(`${service.url}/api/balance/verify?session_id=${sessionId}`, { headers: auth });
    const answers = await Promise.all(Array.from({ length: 50 }, verify));
    expect(await Promise.all(answers.map((answer) => answer.json()))).toEqual(Array(50).fill({ deposited: true, amount_cents: 2500 }));

    const service_ = (await runScript('api/token.ts', ['--user', 'marketplace', '--role', 'service'])).stdout;
    const charge = await fetch(`${service.url}/graphql`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${service_}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation { chargeToolCall(input: { consumerId: "e2e-depositor", creatorId: "e2e-creator", toolId: "t", priceCents: 500, idempotencyKey: "e2e-1" }) { walletBalanceCents } }',
      }),
    });
    expect(((await charge.json()) as { data: unknown }).data).toEqual({ chargeToolCall: { walletBalanceCents: 2000 } });
  }, 60_000);
});
