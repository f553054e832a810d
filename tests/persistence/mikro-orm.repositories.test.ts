import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../adapters/persistence/database.ts';
import { MikroOrmAccountPlanRepository } from '../../adapters/persistence/mikro-orm.account-plan.repository.ts';
import { MikroOrmCheckoutSessionRepository } from '../../adapters/persistence/mikro-orm.checkout-session.repository.ts';
import { MikroOrmPlanChangeRepository } from '../../adapters/persistence/mikro-orm.plan-change.repository.ts';
import { MikroOrmUnitOfWork } from '../../adapters/persistence/mikro-orm.unit-of-work.ts';
import { SqlWalletLedger } from '../../adapters/persistence/sql.wallet-ledger.ts';
import { SqlWebhookEventRepository } from '../../adapters/persistence/sql.webhook-event.repository.ts';
import { InvariantViolation } from '../../domain/shared/errors.ts';
import { runAccountPlanRepositoryContract } from '../contract/account-plan-repository.contract.ts';
import { runCheckoutRepositoriesContract } from '../contract/checkout-session-repository.contract.ts';
import { runWalletLedgerContract } from '../contract/wallet-ledger.contract.ts';
import { runWebhookEventRepositoryContract } from '../contract/webhook-event-repository.contract.ts';
import { anAccountPlan } from '../support/builders.ts';
import { BACKENDS, openTestDatabase } from '../support/databases.ts';

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
    uow: new MikroOrmUnitOfWork(database.orm),
  }));
  // 200 concurrent charges on real PostgreSQL; PGlite runs one transaction at a time, so fewer.
  runWalletLedgerContract(
    `SQL on ${backend}`,
    () => ({ ledger: new SqlWalletLedger(database.orm), uow: new MikroOrmUnitOfWork(database.orm) }),
    { concurrency: backend === 'postgresql' ? 200 : 40 },
  );
  runWebhookEventRepositoryContract(
    `SQL on ${backend}`,
    () => ({
      events: new SqlWebhookEventRepository(database.orm),
      uow: new MikroOrmUnitOfWork(database.orm),
      accounts: new MikroOrmAccountPlanRepository(database.orm),
    }),
    { concurrency: backend === 'postgresql' ? 200 : 40, rollsBack: true },
  );

  // PGlite serves one session: a second transaction cannot hold the key meanwhile.
  it.runIf(backend === 'postgresql')(
    'records a subscription event as ignored only if no account holds the subscription once a racing delivery of it has rolled back',
    async () => {
      const events = new SqlWebhookEventRepository(database.orm);
      const accounts = new MikroOrmAccountPlanRepository(database.orm);
      const plan = anAccountPlan().build();
      await accounts.insertIfAbsent(plan);
      const subscriptionId = `sub_race_${plan.userId}`;
      const event = {
        provider: 'stripe' as const,
        eventId: `evt_race_${plan.userId}`,
        type: 'invoice.paid',
        occurredAt: new Date('2026-12-01T10:00:00.000Z'),
        effect: { kind: 'none' as const, reason: 'the probe found no holder' },
        payload: { id: `evt_race_${plan.userId}` },
      };
      // The other delivery: it saw the account, took the event's key, and is applying it.
      const other = new pg.Client({ connectionString: database.orm.config.get('clientUrl') });
      await other.connect();
      try {
        await other.query('begin');
        await other.query(
          `insert into webhook_events (provider, event_id, type, outcome, occurred_at, received_at, payload) values ('stripe', $1, 'invoice.paid', 'applied', now(), now(), '{}')`,
          [event.eventId],
        );
        // This delivery looked before the subscription was linked, so it asks to record alone; it waits for the key.
        const answer = events.recordAlone(event, 'ignored', new Date(), { gateway: plan.paymentGateway, subscriptionId, userId: null });
        await new Promise((resolve) => setTimeout(resolve, 200));
        // The checkout completion links the subscription; the other delivery fails and rolls back.
        await database.orm.em.getConnection().execute('update account_plans set provider_subscription_id = ? where user_id = ?', [subscriptionId, plan.userId]);
        await other.query('rollback');

        expect(await answer).toBe('held');
        expect(await events.find('stripe', event.eventId)).toBeNull();
      } finally {
        await other.end();
      }
    },
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
