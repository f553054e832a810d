import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../adapters/persistence/database.ts';
import { MikroOrmAccountPlanRepository } from '../../adapters/persistence/mikro-orm.account-plan.repository.ts';
import { MikroOrmCheckoutSessionRepository } from '../../adapters/persistence/mikro-orm.checkout-session.repository.ts';
import { MikroOrmDuplicateSubscriptionRepository } from '../../adapters/persistence/mikro-orm.duplicate-subscription.repository.ts';
import { MikroOrmPlanChangeRepository } from '../../adapters/persistence/mikro-orm.plan-change.repository.ts';
import { MikroOrmUnitOfWork } from '../../adapters/persistence/mikro-orm.unit-of-work.ts';
import { SqlInvoiceRepository } from '../../adapters/persistence/sql.invoice.repository.ts';
import { SqlWalletLedger } from '../../adapters/persistence/sql.wallet-ledger.ts';
import { SqlProviderEventInbox } from '../../adapters/persistence/sql.provider-event-inbox.ts';
import { InvariantViolation } from '../../domain/shared/errors.ts';
import { runAccountPlanRepositoryContract } from '../contract/account-plan-repository.contract.ts';
import { runCheckoutRepositoriesContract } from '../contract/checkout-session-repository.contract.ts';
import { runInvoiceRepositoryContract } from '../contract/invoice-repository.contract.ts';
import { runWalletLedgerContract } from '../contract/wallet-ledger.contract.ts';
import { pooledQuery } from '../../adapters/persistence/bound-query.ts';
import { LEDGER_OWN_CHECKS, runLedgerChecks } from '../../adapters/persistence/sql.ledger-audit.ts';
import { runProviderEventInboxContract } from '../contract/provider-event-inbox.contract.ts';
import { anAccountPlan } from '../support/builders.ts';
import { sqlTransfersOf } from '../support/stored-state.ts';
import { adminQuery, BACKENDS, createPostgresDatabase, openTestDatabase, postgresUrl } from '../support/databases.ts';

describe.each(BACKENDS)('MikroORM on %s', (backend) => {
  let database: Database;

  beforeAll(async () => {
    database = await openTestDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  runAccountPlanRepositoryContract(`MikroORM on ${backend}`, () => new MikroOrmAccountPlanRepository(database.orm));
  runCheckoutRepositoriesContract(`MikroORM on ${backend}`, () => ({
    accounts: new MikroOrmAccountPlanRepository(database.orm),
    sessions: new MikroOrmCheckoutSessionRepository(database.orm),
    planChanges: new MikroOrmPlanChangeRepository(database.orm),
    duplicates: new MikroOrmDuplicateSubscriptionRepository(database.orm),
    uow: new MikroOrmUnitOfWork(database.orm),
  }));
  runInvoiceRepositoryContract(
    `SQL on ${backend}`,
    () => ({
      invoices: new SqlInvoiceRepository(database.orm),
      accounts: new MikroOrmAccountPlanRepository(database.orm),
      sessions: new MikroOrmCheckoutSessionRepository(database.orm),
      uow: new MikroOrmUnitOfWork(database.orm),
    }),
    { concurrency: backend === 'postgresql' ? 50 : 10 },
  );
  // 200 concurrent charges on real PostgreSQL; PGlite runs one transaction at a time, so fewer.
  runWalletLedgerContract(
    `SQL on ${backend}`,
    () => ({
      ledger: new SqlWalletLedger(database.orm),
      uow: new MikroOrmUnitOfWork(database.orm),
      transfersOf: (account, limit) => sqlTransfersOf(database.orm, account, limit),
      audit: async () => (await runLedgerChecks((sql) => pooledQuery(database.orm, sql, []), LEDGER_OWN_CHECKS)).checks.filter((check) => check.violations > 0),
    }),
    { concurrency: backend === 'postgresql' ? 200 : 40 },
  );
  runProviderEventInboxContract(
    `SQL on ${backend}`,
    () => ({ inbox: new SqlProviderEventInbox(database.orm), uow: new MikroOrmUnitOfWork(database.orm) }),
    { concurrency: backend === 'postgresql' ? 200 : 40, rollsBack: true },
  );

  it('writes nothing when the unit of work fails after registering', async () => {
    const repository = new MikroOrmAccountPlanRepository(database.orm);
    const plan = anAccountPlan().build();

    await expect(
      new MikroOrmUnitOfWork(database.orm).transactional(async () => {
        await repository.insertIfAbsent(plan);
        throw new Error('boom after insert');
      }),
    ).rejects.toThrow('boom after insert');

    expect(await repository.findByUserId(plan.userId)).toBeNull();
  });

  it('refuses to load a row whose gateway its country would not have chosen', async () => {
    const plan = anAccountPlan().inCountry('IN').build();
    await database.orm.em.getConnection().execute(
      `insert into account_plans (user_id, country, payment_gateway, plan_tier, status, created_at, updated_at)
       values (?, 'IN', 'stripe', 'free', 'active', now(), now())`,
      [plan.userId],
    );

    await expect(new MikroOrmAccountPlanRepository(database.orm).findByUserId(plan.userId)).rejects.toThrow(InvariantViolation);
  });

  it('refuses a free plan with a billing interval at the database too', async () => {
    await expect(
      database.orm.em.getConnection().execute(
        `insert into account_plans (user_id, country, payment_gateway, plan_tier, billing_interval, status, created_at, updated_at)
         values ('corrupt-user', 'US', 'stripe', 'free', 'monthly', 'active', now(), now())`,
      ),
    ).rejects.toThrow(/check constraint/);
  });

  it('applies migrations again without error when they are already applied', async () => {
    await database.migrate();
    const rows = await database.orm.em.getConnection().execute<{ count: string }[]>('select count(*) as count from mikro_orm_migrations');
    expect(Number(rows[0]?.count)).toBeGreaterThan(0);
  });
});

describe.runIf(postgresUrl)('the inbox on a PostgreSQL whose default isolation is repeatable read', () => {
  let database: Database;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const created = await createPostgresDatabase(postgresUrl!);
    drop = created.drop;
    await adminQuery(created.url, `alter database ${new URL(created.url).pathname.slice(1)} set default_transaction_isolation to 'repeatable read'`);
    database = await openDatabase({ url: created.url, dataDir: '', poolMax: 5 });
    await database.migrate();
  });
  afterAll(async () => {
    await database?.close();
    await drop?.();
  });

  it('answers workers claiming at once (one gets the subject, the others nothing), never with a serialization failure', async () => {
    const inbox = new SqlProviderEventInbox(database.orm);
    const failures: string[] = [];
    for (let round = 0; round < 10; round++) {
      const now = new Date(Date.now() + round * 60_000);
      const eventId = `evt_rr_${round}_${Math.random().toString(36).slice(2)}`;
      await inbox.record(
        { provider: 'stripe', eventId, dedupKey: eventId, bodyDigest: 'digest', type: 'invoice.paid', occurredAt: now, subject: { kind: 'subscription', id: `sub_${eventId}`, hint: null }, ignoredReason: null, payloadJson: '{}' },
        now,
      );
      const claims = await Promise.allSettled([0, 1, 2].map((n) => inbox.claim({ owner: `rr-${round}-${n}`, now, leaseMs: 15_000, maxAttempts: 5, limit: 32 })));
      failures.push(...claims.flatMap((claim) => (claim.status === 'rejected' ? [String(claim.reason)] : [])));
    }

    expect(failures).toEqual([]);
  });
});
