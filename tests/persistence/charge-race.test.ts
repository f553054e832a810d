import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { openDatabase, type Database } from '../../adapters/persistence/database.ts';
import { MikroOrmUnitOfWork } from '../../adapters/persistence/mikro-orm.unit-of-work.ts';
import { SqlWalletLedger } from '../../adapters/persistence/sql.wallet-ledger.ts';
import { UuidV7IdGenerator } from '../../adapters/system/uuid-v7.id-generator.ts';
import { Money } from '../../domain/shared/money.value-object.ts';
import { splitMarketplaceFee } from '../../domain/wallet/marketplace-fee.policy.ts';
import { adjustmentTransfer, toolChargeTransfer, type ToolCharge } from '../../domain/wallet/wallet-rules.ts';
import { aUserId } from '../support/builders.ts';
import { createPostgresDatabase, openTestDatabase, postgresUrl, type TestDatabase } from '../support/databases.ts';
import { expectLedgerBalanced } from '../support/ledger-checks.ts';
import { makeTestApp, signToken } from '../support/test-app.ts';

const ids = new UuidV7IdGenerator();
const TRIALS = Number(process.env['CHARGE_RACE_TRIALS'] ?? 20);

/**
 * D6: the same charge sent twice at once by two callers whose batches run in two transactions.
 * The second waits on the wallet's row lock while the first debits it; once the first commits, the
 * wallet holds nothing more, and the second must find the first's charge by its key and replay it,
 * never answer INSUFFICIENT_FUNDS for a call that was paid.
 */
describe.skipIf(!postgresUrl)('the same charge twice at once, on PostgreSQL', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase('postgresql');
  });
  afterAll(async () => {
    await database?.close();
  });

  it('answers the call that waited on the wallet with the first one\'s charge, replayed, when the wallet held just its price', async () => {
    // Two ledgers: two group commits, so the two calls go out in two batches, two transactions.
    const [first, second] = [new SqlWalletLedger(database.orm), new SqlWalletLedger(database.orm)];
    const uow = new MikroOrmUnitOfWork(database.orm);
    const outcomes: string[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const [consumer, creator] = [aUserId(), aUserId()];
      await uow.transactional(() =>
        first.post(adjustmentTransfer({ transferId: ids.next(), userId: consumer, amount: Money.of(250, 'USD'), actorId: 'admin', reason: 'funds for the race', now: new Date() })),
      );
      const key = `same-${consumer}`;
      const call = (ledger: SqlWalletLedger) => {
        const price = Money.of(250, 'USD');
        const charge: ToolCharge = { id: ids.next(), idempotencyKey: key, consumerId: consumer, creatorId: creator, toolId: 'tool-1', price, split: splitMarketplaceFee(price, 2_000), createdAt: new Date() };
        return ledger.chargeToolCall(charge, toolChargeTransfer(charge, ids.next()));
      };

      const results = await Promise.allSettled([call(first), call(second)]);

      outcomes.push(results.map((result) => (result.status === 'fulfilled' ? (result.value.replayed ? 'replayed' : 'charged') : (result.reason as Error).name)).sort().join('+'));
      const charged = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value.chargeId] : []));
      expect(new Set(charged).size).toBeLessThanOrEqual(1);
      expect((await first.wallet(consumer)).balance).toEqual(Money.of(0, 'USD'));
    }
    expect(outcomes.filter((outcome) => outcome !== 'charged+replayed')).toEqual([]);
    await expectLedgerBalanced((sql) => database.orm.em.getConnection().execute(sql));
  });
});

/**
 * D15: the same idempotency key sent twice at once for two different calls (other prices), from
 * two server processes. Whichever reaches the wallet second must be told the key was used for
 * another call (CONFLICT), also when its price is more than the wallet holds: its debit then
 * matches no row and so never waited for the first, and it answered INSUFFICIENT_FUNDS.
 */
describe.skipIf(!postgresUrl)('one idempotency key for two different calls at once, through GraphQL on PostgreSQL', () => {
  let created: TestDatabase;
  let database: Database;
  beforeAll(async () => {
    created = await createPostgresDatabase(postgresUrl!);
    database = await openDatabase({ url: created.url, dataDir: '', poolMax: 5 });
    await database.migrate();
  });
  afterAll(async () => {
    await database?.close();
    await created?.drop();
  });

  const CHARGE = `mutation ($input: ChargeToolCallInput!) { chargeToolCall(input: $input) { chargeId walletBalanceCents replayed } }`;

  async function aFundedConsumer(app: ReturnType<typeof makeTestApp>, cents: number) {
    const consumerId = aUserId();
    const admin = await signToken({ sub: 'ops', role: 'admin' });
    const funded = await app.graphql('mutation ($u: String!, $c: Int!) { adjustWallet(userId: $u, amountCents: $c, reason: "funds for the race") { balanceCents } }', {
      token: admin,
      variables: { u: consumerId, c: cents },
    });
    expect(funded.errors).toBeUndefined();
    return consumerId;
  }

  it('answers CONFLICT to the second call, priced above the balance, while the first holds the wallet; the ledger stays balanced', async () => {
    // Two processes' worth of service: two group commits, so the calls go out in two transactions.
    const [first, second] = [makeTestApp({ database }), makeTestApp({ database })];
    const service = await signToken({ sub: 'tool-runner', role: 'service' });
    const consumerId = await aFundedConsumer(first, 250);
    const input = (priceCents: number) => ({ input: { consumerId, creatorId: 'creator-1', toolId: 'tool-1', priceCents, idempotencyKey: `key-${consumerId}` } });
    const blocker = new pg.Client({ connectionString: created.url });
    await blocker.connect();
    try {
      // The first charge debits the wallet, then waits here (its deltas), holding the wallet's lock.
      await blocker.query('begin; lock table ledger_balance_deltas in exclusive mode');
      const paid = first.graphql(CHARGE, { token: service, variables: input(250) });
      await waitForLockWaiters(blocker, 1);
      const refused = second.graphql(CHARGE, { token: service, variables: input(300) });
      // Either the second call answers now (the old behaviour) or it waits for the first as well.
      await Promise.race([refused, waitForLockWaiters(blocker, 2)]);
      await blocker.query('commit');

      const [paidAnswer, refusedAnswer] = await Promise.all([paid, refused]);

      expect(paidAnswer.data?.chargeToolCall).toMatchObject({ walletBalanceCents: 0, replayed: false });
      expect(refusedAnswer.errors?.[0]).toMatchObject({ message: expect.stringMatching(/idempotency key was used for a different tool call/), extensions: { code: 'CONFLICT' } });
    } finally {
      await blocker.query('rollback').catch(() => undefined);
      await blocker.end();
    }
    await expectLedgerBalanced((sql) => database.orm.em.getConnection().execute(sql));
  });

  it('charges one of two calls sent at once under one key at different prices and answers the other CONFLICT, in every trial', async () => {
    const [first, second] = [makeTestApp({ database }), makeTestApp({ database })];
    const service = await signToken({ sub: 'tool-runner', role: 'service' });
    const outcomes: string[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const consumerId = await aFundedConsumer(first, 250);
      const call = (app: typeof first, priceCents: number) =>
        app.graphql(CHARGE, { token: service, variables: { input: { consumerId, creatorId: 'creator-1', toolId: 'tool-1', priceCents, idempotencyKey: `key-${consumerId}` } } });

      const answers = await Promise.all([call(first, 200), call(second, 250)]);

      outcomes.push(answers.map((answer) => answer.errors?.[0]?.extensions.code ?? (answer.data.chargeToolCall.replayed ? 'replayed' : 'charged')).sort().join('+'));
    }
    expect(outcomes.filter((outcome) => outcome !== 'CONFLICT+charged')).toEqual([]);
    await expectLedgerBalanced((sql) => database.orm.em.getConnection().execute(sql));
  });
});

/** Resolves once `count` statements of this database wait for a lock. */
async function waitForLockWaiters(client: pg.Client, count: number): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    // Cleared each time: inside a transaction the activity view is otherwise read once and kept.
    await client.query('select pg_stat_clear_snapshot()');
    const { rows } = await client.query<{ waiting: number }>(
      `select count(*)::int as waiting from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
    );
    if (rows[0]!.waiting >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`fewer than ${count} statements waited for a lock within 5 s`);
}
