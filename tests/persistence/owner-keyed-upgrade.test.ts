import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pooledQuery } from '../../adapters/persistence/bound-query.ts';
import { openDatabase, type Database } from '../../adapters/persistence/database.ts';
import { runLedgerChecks } from '../../adapters/persistence/sql.ledger-audit.ts';
import { SqlWalletLedger } from '../../adapters/persistence/sql.wallet-ledger.ts';
import { LedgerAccount } from '../../domain/ledger/ledger-account.ts';
import { Money } from '../../domain/shared/money.value-object.ts';
import { createPostgresDatabase, postgresUrl, type TestDatabase } from '../support/databases.ts';

/**
 * A ledger written before issue 16 (no owners, balances as sums of entries) upgraded in place: the
 * migration finds each transfer's owner, keys the tables by it and rolls every balance up, and the
 * auditor finds nothing wrong with the result.
 */
describe.skipIf(!postgresUrl)('upgrading a ledger to owner keys and stored balances, on PostgreSQL', () => {
  let created: TestDatabase;
  let database: Database;
  const sql = (text: string, parameters: unknown[] = []) => pooledQuery<Record<string, unknown>>(database.orm, text, parameters);
  beforeAll(async () => {
    created = await createPostgresDatabase(postgresUrl!);
    database = await openDatabase({ url: created.url, dataDir: '', poolMax: 2 });
    await database.orm.migrator.up({ to: '20261213-page-indexes' });
  });
  afterAll(async () => {
    await database?.close();
    await created?.drop();
  });

  it('gives every transfer its owner, keeps every balance, and passes the audit', async () => {
    // The old shape: a deposit to alice, her charge of 700 to bob, bob's payout of 300 in flight.
    await sql(`insert into wallets (user_id, balance_cents, updated_at) values ('alice', 300, now())`);
    await sql(`insert into ledger_transfers (id, kind, currency, reference, created_at) values
      ('t1', 'adjustment', 'USD', 'funds', now()), ('t2', 'tool_charge', 'USD', 'c1', now()), ('t3', 'payout', 'USD', 'p1', now())`);
    await sql(`insert into ledger_entries (transfer_id, seq, account, amount_minor) values
      ('t1', 1, 'corrections', -1000), ('t1', 2, 'wallet:alice', 1000),
      ('t2', 1, 'wallet:alice', -700), ('t2', 2, 'creator_balance:bob', 560), ('t2', 3, 'platform_fees', 140),
      ('t3', 1, 'creator_balance:bob', -300), ('t3', 2, 'payouts_in_flight:bob', 300)`);
    await sql(`insert into tool_charges (id, idempotency_key, consumer_id, creator_id, tool_id, price_cents, wallet_balance_after, transfer_id, created_at)
      values ('c1', 'k1', 'alice', 'bob', 'tool', 700, 300, 't2', now())`);

    await database.migrate();

    expect(await sql('select id, owner_id from ledger_transfers order by id')).toEqual([
      { id: 't1', owner_id: 'alice' },
      { id: 't2', owner_id: 'alice' },
      { id: 't3', owner_id: 'bob' },
    ]);
    const ledger = new SqlWalletLedger(database.orm);
    expect(await ledger.balance(LedgerAccount.creatorBalance('bob'))).toEqual(Money.of(260, 'USD'));
    expect(await ledger.balance(LedgerAccount.payoutsInFlight('bob'))).toEqual(Money.of(300, 'USD'));
    expect(await ledger.balance(LedgerAccount.platformFees)).toEqual(Money.of(140, 'USD'));
    expect(await ledger.balance(LedgerAccount.wallet('alice'))).toEqual(Money.of(300, 'USD'));
    expect(await sql('select count(*)::int as n from ledger_balance_deltas')).toEqual([{ n: 0 }]);
    // No payouts rows or checkout sessions were written here: the ledger's own rules.
    const report = await runLedgerChecks((text) => sql(text), ['transfers_balance', 'stored_balances_match_entries', 'tool_charges_have_transfers', 'ledger_sums_to_zero']);
    expect(report.checks.filter((check) => check.violations > 0)).toEqual([]);
  });
});
