import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, postgresUrl, type TestDatabase } from '../support/databases.ts';
import { runScript, startService, type ServiceProcess } from '../support/service-process.ts';

async function tokenFor(user: string, country?: string, env: Record<string, string> = {}): Promise<string> {
  const result = await runScript('api/token.ts', ['--user', user, ...(country ? ['--country', country] : [])], env);
  expect(result.code).toBe(0);
  return result.stdout;
}

async function billing(service: ServiceProcess, token: string) {
  const response = await fetch(`${service.url}/api/billing`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: await response.json() };
}

async function graphqlBilling(service: ServiceProcess, token: string) {
  const response = await fetch(`${service.url}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ billing { planTier paymentGateway status } }' }),
  });
  return ((await response.json()) as { data: { billing: unknown } }).data.billing;
}

/** The acceptance run: start, read the plan as IN and US users, restart, read again. */
async function provesGatewaysSurviveARestart(env: Record<string, string>) {
  const first = await startService(env);
  const india = await billing(first, await tokenFor('e2e-india', 'IN'));
  const us = await billing(first, await tokenFor('e2e-us', 'US'));
  const gql = await graphqlBilling(first, await tokenFor('e2e-india'));
  expect(await first.stop()).toBe(0);

  expect(india).toEqual({ status: 200, body: { plan_tier: 'free', payment_gateway: 'razorpay', status: 'active' } });
  expect(us.body).toEqual({ plan_tier: 'free', payment_gateway: 'stripe', status: 'active' });
  expect(gql).toEqual({ planTier: 'free', paymentGateway: 'razorpay', status: 'active' });

  // After the restart a token without a country claim would open a US (stripe) account: razorpay
  // here proves the account was read back from disk, not opened again.
  const second = await startService(env);
  try {
    expect((await billing(second, await tokenFor('e2e-india'))).body.payment_gateway).toBe('razorpay');
  } finally {
    await second.stop();
  }
}

describe('the service as `npm start` runs it', () => {
  describe('with no configuration: embedded PGlite in DATA_DIR', () => {
    let dataDir: string;
    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'billing-e2e-'));
    });
    afterAll(async () => {
      await rm(dataDir, { recursive: true, force: true });
    });

    it('answers the plan for IN and US users and keeps it across a restart', async () => {
      await provesGatewaysSurviveARestart({ DATA_DIR: dataDir });
    }, 90_000);

    it('serves /healthz and GraphiQL', async () => {
      const service = await startService({ DATA_DIR: dataDir });
      try {
        expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
        const graphiql = await fetch(`${service.url}/graphql`, { headers: { accept: 'text/html' } });
        expect(graphiql.status).toBe(200);
        expect(await graphiql.text()).toContain('GraphiQL');
      } finally {
        await service.stop();
      }
    }, 60_000);
  });

  describe.runIf(postgresUrl)('with DATABASE_URL: PostgreSQL', () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createPostgresDatabase(postgresUrl!);
    });
    afterAll(async () => {
      await database?.drop();
    });

    it('answers the plan for IN and US users and keeps it across a restart', async () => {
      await provesGatewaysSurviveARestart({ DATABASE_URL: database.url });
    }, 90_000);

    it('lets two processes start together on an empty database and migrate it once', async () => {
      const fresh = await createPostgresDatabase(postgresUrl!);
      try {
        const services = await Promise.all([startService({ DATABASE_URL: fresh.url }), startService({ DATABASE_URL: fresh.url })]);
        const token = await tokenFor('e2e-two-processes', 'IN');
        const answers = await Promise.all(services.map((service) => billing(service, token)));
        await Promise.all(services.map((service) => service.stop()));

        expect(answers.map((answer) => answer.body.payment_gateway)).toEqual(['razorpay', 'razorpay']);
      } finally {
        await fresh.drop();
      }
    }, 90_000);
  });

  describe('refusing to start on bad configuration', () => {
    it.each([
      [{ DATABASE_POOL_MAX: 'lots' }, 'DATABASE_POOL_MAX'],
      [{ PORT: '70000' }, 'PORT'],
      [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
      [{ DATABASE_URL: 'mysql://localhost/db' }, 'DATABASE_URL'],
      [{ NODE_ENV: 'production' }, 'JWT_SECRET or JWT_JWKS_URL is required'],
    ])('exits 1 naming the variable for %j', async (env, named) => {
      const result = await runScript('api/main.ts', [], env);

      expect(result.code).toBe(1);
      expect(result.stderr).toContain(named);
    });
  });

  describe('the token script', () => {
    it.each([[[]], [['--user', 'u', '--role', 'root']], [['--user', 'u', '--country', 'India']], [['--user', 'u', '--ttl', '-5']]])(
      'refuses %j with a usage message',
      async (args) => {
        const result = await runScript('api/token.ts', args);

        expect(result.code).toBe(2);
        expect(result.stderr).toMatch(/usage|must be/);
      },
    );
  });
});
