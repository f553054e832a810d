import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../adapters/persistence/database.ts';
import { MikroOrmUnitOfWork } from '../../adapters/persistence/mikro-orm.unit-of-work.ts';
import { SqlWalletLedger } from '../../adapters/persistence/sql.wallet-ledger.ts';
import { UuidV7IdGenerator } from '../../adapters/system/uuid-v7.id-generator.ts';
import { Money } from '../../domain/shared/money.value-object.ts';
import { splitMarketplaceFee } from '../../domain/wallet/marketplace-fee.policy.ts';
import { adjustmentTransfer, toolChargeTransfer, type ToolCharge } from '../../domain/wallet/wallet-rules.ts';
import { aUserId } from '../support/builders.ts';
import { openTestDatabase, postgresUrl } from '../support/databases.ts';
import { expectLedgerBalanced } from '../support/ledger-checks.ts';

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
      expect((await first.wallet(consumer)).balanceCents).toBe(0);
    }
    expect(outcomes.filter((outcome) => outcome !== 'charged+replayed')).toEqual([]);
    await expectLedgerBalanced((sql) => database.orm.em.getConnection().execute(sql));
  });
});
