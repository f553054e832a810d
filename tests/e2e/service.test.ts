import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, postgresUrl, type TestDatabase } from '../support/databases.ts';
import { runScript, startService, type ServiceProcess } from '../support/service-process.ts';

async function tokenFor(user: string, country?: string, env: Record<string, string> = {}): Promise<string> {
  const result = await runScript('api/token.ts', ['--user', user, ...(country ? ['--country', country] : [])], env);
  expect(result.code).toBe(0);
  return result.stdout;
}

const PRODUCTION_JWT_SECRET = 'e2e-production-secret-0123456789abcdef';
/** A line of a stack trace, as Node prints one. */
const STACK_LINE = /^\s+at /m;

/** A loopback port something listens on (`server`), or that nothing listens on once it is closed. */
async function loopbackPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

/** `node api/main.ts` that must refuse to start: it exits 1 with one line saying why, and no stack. */
async function refusedStart(env: Record<string, string>) {
  const result = await runScript('api/main.ts', [], env);
  expect(result.code).toBe(1);
  expect(result.stderr).not.toMatch(STACK_LINE);
  expect(result.stdout).not.toContain('database open');
  return result.stderr.trim();
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

    it('refuses a second process on the same DATA_DIR, naming the first one, and starts again after that one is killed', async () => {
      const first = await startService({ DATA_DIR: dataDir });
      try {
        const refused = await refusedStart({ DATA_DIR: dataDir });
        expect(refused).toContain(`another process (pid ${first.child.pid}) has the embedded database in DATA_DIR ${dataDir} open`);
        expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
      } finally {
        first.child.kill('SIGKILL');
        await once(first.child, 'exit');
      }
      // The killed process left its lock behind; its pid is gone, so the lock is stale.
      expect(existsSync(join(dataDir, 'billing.lock'))).toBe(true);
      const restarted = await startService({ DATA_DIR: dataDir });
      expect((await fetch(`${restarted.url}/healthz`)).status).toBe(200);
      expect(await restarted.stop()).toBe(0);
      expect(existsSync(join(dataDir, 'billing.lock'))).toBe(false);
    }, 90_000);

    it('starts in production with no provider keys when SANDBOX_IN_PRODUCTION=1, saying at level error that the sandbox serves', async () => {
      const service = await startService({ NODE_ENV: 'production', HOST: '127.0.0.1', JWT_SECRET: PRODUCTION_JWT_SECRET, SANDBOX_IN_PRODUCTION: '1', DATA_DIR: dataDir });
      try {
        expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
        const lines = service.stdout.map((line) => JSON.parse(line) as { level: number; msg: string });
        expect(lines).toContainEqual(expect.objectContaining({ level: 50, msg: expect.stringMatching(/^SANDBOX_IN_PRODUCTION=1 and no stripe keys/) }));
      } finally {
        await service.stop();
      }
    }, 60_000);

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
      [{ NODE_ENV: 'production', JWT_SECRET: PRODUCTION_JWT_SECRET }, 'SANDBOX_IN_PRODUCTION=1'],
    ])('exits 1 naming the variable for %j, without a stack', async (env, named) => {
      expect(await refusedStart(env)).toContain(named);
    });

    it('reports every problem at once, one line each', async () => {
      const lines = (await refusedStart({ PORT: '70000', JWT_SECRET: 'short', DATABASE_POOL_MAX: 'lots' })).split('\n');

      for (const variable of ['PORT', 'JWT_SECRET', 'DATABASE_POOL_MAX']) expect(lines.filter((line) => line.includes(variable))).toHaveLength(1);
    });
  });

  describe('refusing to start when what it needs is not there', () => {
    it('says the port is in use', async () => {
      const { port, server } = await loopbackPort();
      try {
        const refused = await refusedStart({ PORT: String(port), DATA_DIR: 'memory://' });
        expect(refused).toBe(`the billing service did not start: port ${port} on 127.0.0.1 is already in use by another process: stop it, or set PORT to a free port`);
      } finally {
        server.close();
      }
    });

    it('says HOST names no address it can find', async () => {
      const refused = await refusedStart({ HOST: 'billing-host.invalid', PORT: '0', DATA_DIR: 'memory://' });
      // ENOTFOUND, or EAI_AGAIN on a machine with no name server to ask.
      expect(refused).toMatch(/^the billing service did not start: HOST billing-host\.invalid is not a name or address this machine can find \((ENOTFOUND|EAI_AGAIN)\): set HOST to one of its addresses, or 0\.0\.0\.0$/);
    });

    it('says the database server cannot be reached', async () => {
      const { port, server } = await loopbackPort();
      await new Promise((resolve) => server.close(resolve));

      const refused = await refusedStart({ DATABASE_URL: `postgresql://postgres@127.0.0.1:${port}/billing` });
      expect(refused).toContain(`cannot reach the database server at 127.0.0.1:${port} (ECONNREFUSED)`);
    });

    it.runIf(postgresUrl)('says the database does not exist', async () => {
      const url = new URL(postgresUrl!);
      url.pathname = '/billing_e2e_never_created';

      const refused = await refusedStart({ DATABASE_URL: url.toString() });
      expect(refused).toContain('the database "billing_e2e_never_created" does not exist');
    });
  });

  describe('the token script', () => {
    it('prints its usage and options for --help and exits 0', async () => {
      const result = await runScript('api/token.ts', ['--help']);

      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^usage: npm run -s token -- --user <id>/);
      expect(result.stdout).toContain('--ttl <seconds>');
    });

    it.each([
      [[]],
      [['--user', 'u', '--role', 'root']],
      [['--user', 'u', '--country', 'India']],
      [['--user', 'u', '--ttl', '-5']],
      [['--user', 'u', '--ttl', '86401']],
      [['--user', ' u']],
      [['--user', 'u\u202e']],
    ])(
      'refuses %j with a usage message',
      async (args) => {
        const result = await runScript('api/token.ts', args);

        expect(result.code).toBe(2);
        expect(result.stderr).toMatch(/usage|must be/);
      },
    );
  });
});
