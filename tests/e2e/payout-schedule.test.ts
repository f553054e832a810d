import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgBossSchedule } from '../../adapters/jobs/pg-boss.schedule.ts';
import { openDatabase, type Database } from '../../adapters/persistence/database.ts';
import { PAYOUT_REPOSITORY } from '../../application/payouts/payout.repository.ts';
import { RunScheduledPayouts } from '../../application/payouts/run-scheduled-payouts.use-case.ts';
import { REQUEST_SCOPE } from '../../application/shared/request-scope.port.ts';
import { WALLET_LEDGER } from '../../application/wallet/wallet-ledger.port.ts';
import { resolve, SANDBOX_PROVIDER } from '../../api/container.ts';
import { PayoutAccount } from '../../domain/payouts/payout-account.entity.ts';
import { aUserId, earningsOf } from '../support/builders.ts';
import { createPostgresDatabase, postgresUrl, type TestDatabase } from '../support/databases.ts';
import { makeTestApp } from '../support/test-app.ts';

const run = promisify(execFile);
const CREATORS = 25;

/** Verified weekly creators with $12.34 each to be paid, written as the service would write them, their accounts verified at the sandbox. */
async function seedWeeklyCreators(database: Database, count: number): Promise<string[]> {
  const { container } = makeTestApp({ database });
  const ledger = resolve(container, WALLET_LEDGER);
  const payouts = resolve(container, PAYOUT_REPOSITORY);
  const sandbox = resolve(container, SANDBOX_PROVIDER);
  const creators = Array.from({ length: count }, aUserId);
  const now = new Date();
  for (const creatorId of creators) {
    // The creator onboarded at the sandbox, which pays only an account it holds and verified.
    const { account } = await sandbox.startOnboarding('stripe', creatorId, null, new URL('https://app.aerostack.dev/settings/payouts'));
    await sandbox.completeOnboarding(account.id);
    await payouts.saveAccount(
      PayoutAccount.restore({
        creatorId,
        gateway: 'stripe',
        frequency: 'weekly',
        onboardingStatus: 'verified',
        providerAccountId: account.id,
        restrictionReason: null,
        createdAt: now,
        updatedAt: now,
      }),
    );
    await ledger.post(earningsOf(creatorId, 1_234));
  }
  return creators;
}

/** Payouts per creator, and what is left on their balances, straight from the tables. */
async function paidOnce(database: Database, creators: string[]) {
  const connection = database.orm.em.getConnection();
  const rows = await connection.execute<{ creator_id: string; n: string }[]>(
    `select creator_id, count(*) as n from payouts where status = 'paid' group by creator_id`,
  );
  const [left] = await connection.execute<{ total: string | null }[]>(
    `select sum(amount_minor) as total from ledger_entries where account like 'creator_balance:%'`,
  );
  return { counts: new Map(rows.map((row) => [row.creator_id, Number(row.n)])), leftOnBalances: Number(left?.total ?? 0), creators };
}

describe.skipIf(!postgresUrl)('the weekly payout schedule across processes (PostgreSQL)', () => {
  let created: TestDatabase;
  let database: Database;

  beforeAll(async () => {
    created = await createPostgresDatabase(postgresUrl!);
    database = await openDatabase({ url: created.url, dataDir: '', poolMax: 4 });
    await database.migrate();
  });
  afterAll(async () => {
    await database.close();
    await created.drop();
  });

  it('pays each eligible creator once when two processes run `npm run payouts:run` at the same moment', async () => {
    const creators = await seedWeeklyCreators(database, CREATORS);
    const env = { ...process.env, DATABASE_URL: created.url, LOG_LEVEL: 'warn', NODE_ENV: 'development' };

    const outputs = await Promise.all([1, 2].map(() => run(process.execPath, ['api/payouts-run.ts', '--frequency', 'weekly'], { env })));

    const reports = outputs.map((output) => JSON.parse(output.stdout.trim()) as { payouts: Record<string, number>; skipped: number });
    const { counts, leftOnBalances } = await paidOnce(database, creators);
    expect(reports.reduce((sum, report) => sum + (report.payouts['paid'] ?? 0), 0)).toBe(CREATORS);
    expect(creators.map((creatorId) => counts.get(creatorId))).toEqual(creators.map(() => 1));
    expect(leftOnBalances).toBe(0);
  });

  it('runs one pg-boss job for a tick that two processes both trigger, paying each creator once', async () => {
    const creators = await seedWeeklyCreators(database, CREATORS);
    const runsSeen: string[] = [];
    const schedules = [1, 2].map((process) => {
      const { container } = makeTestApp({ database });
      const scope = resolve(container, REQUEST_SCOPE);
      return new PgBossSchedule({
        connectionString: created.url,
        jobs: [
          {
            name: 'payouts-weekly',
            every: { cron: '0 0 * * 1' },
            run: async () => {
              runsSeen.push(`process ${process}`);
              return scope.run(() => resolve(container, RunScheduledPayouts).execute('weekly'));
            },
          },
        ],
        onError: (error) => {
          throw error;
        },
      });
    });
    try {
      for (const schedule of schedules) await schedule.start();

      const queued = await Promise.all(schedules.map((schedule) => schedule.trigger('payouts-weekly')));
      // Until every creator's payout is paid: the balances empty a moment before the last transfer is answered.
      const unpaid = async () => {
        const { counts } = await paidOnce(database, creators);
        return creators.filter((creatorId) => !counts.has(creatorId)).length;
      };
      await expect.poll(unpaid, { timeout: 20_000, interval: 250 }).toBe(0);
      expect((await paidOnce(database, creators)).leftOnBalances).toBe(0);

      expect(queued.filter((id) => id !== null)).toHaveLength(1);
      const { counts } = await paidOnce(database, creators);
      expect(creators.map((creatorId) => counts.get(creatorId))).toEqual(creators.map(() => 1));
      expect(runsSeen).toHaveLength(1);
    } finally {
      await Promise.all(schedules.map((schedule) => schedule.stop()));
    }
  });
});
