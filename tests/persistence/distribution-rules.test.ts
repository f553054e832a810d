import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pooledQuery } from '../../adapters/persistence/bound-query.ts';
import type { Database } from '../../adapters/persistence/database.ts';
import { accountEntriesQuery } from '../../adapters/persistence/sql.wallet-ledger.ts';
import { LedgerAccount } from '../../domain/ledger/ledger-account.ts';
import { openTestDatabase, postgresUrl } from '../support/databases.ts';

/**
 * The rules that let the ledger's tables be distributed by owner on Citus (the README's scale-out
 * section), read from the migrated schema's own catalog: Citus refuses a primary key or unique
 * constraint without the distribution column, and a foreign key that does not join on it.
 */
const OWNER_COLUMN: Readonly<Record<string, string>> = {
  wallets: 'user_id',
  ledger_transfers: 'owner_id',
  ledger_entries: 'owner_id',
  tool_charges: 'consumer_id',
  ledger_balance_deltas: 'owner_id',
};
const TABLES = Object.keys(OWNER_COLUMN);

describe.skipIf(!postgresUrl)('the ledger is keyed by owner, as Citus needs', () => {
  let database: Database;
  const query = <R>(sql: string, parameters: unknown[] = []) => pooledQuery<R>(database.orm, sql, parameters);
  beforeAll(async () => {
    database = await openTestDatabase('postgresql');
  });
  afterAll(async () => {
    await database?.close();
  });

  it('has every primary key and unique constraint or index of the co-located tables include the owner column', async () => {
    const keys = await query<{ table: string; name: string; columns: string[] }>(
      `select i.indrelid::regclass::text as table, i.indexrelid::regclass::text as name,
              array(select a.attname::text from unnest(i.indkey) k join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k) as columns
       from pg_index i where (i.indisunique or i.indisprimary) and i.indrelid::regclass::text = any($1)`,
      [TABLES],
    );
    expect(keys.map((key) => key.table)).toEqual(expect.arrayContaining(['ledger_transfers', 'ledger_entries', 'tool_charges', 'wallets']));
    expect(keys.filter((key) => !key.columns.includes(OWNER_COLUMN[key.table]!))).toEqual([]);
  });

  it('has every foreign key between the co-located tables join owner to owner', async () => {
    const foreignKeys = await query<{ table: string; referenced: string; name: string; pairs: string[] }>(
      `select c.conrelid::regclass::text as table, c.confrelid::regclass::text as referenced, c.conname as name,
              array(select a.attname || '=' || b.attname from unnest(c.conkey, c.confkey) as k(f, r)
                    join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.f
                    join pg_attribute b on b.attrelid = c.confrelid and b.attnum = k.r) as pairs
       from pg_constraint c where c.contype = 'f' and (c.conrelid::regclass::text = any($1) or c.confrelid::regclass::text = any($1))`,
      [TABLES],
    );
    expect(foreignKeys.length).toBeGreaterThanOrEqual(2);
    const joinsOnOwner = (key: (typeof foreignKeys)[number]) => key.pairs.includes(`${OWNER_COLUMN[key.table]}=${OWNER_COLUMN[key.referenced]}`);
    expect(foreignKeys.filter((key) => !TABLES.includes(key.table) || !TABLES.includes(key.referenced) || !joinsOnOwner(key))).toEqual([]);
  });

  it("has every statement of the per-consumer charge function name its consumer, so Citus runs it on that consumer's shard", async () => {
    const [fn] = await query<{ body: string }>(`select prosrc as body from pg_proc where proname = 'charge_consumer_tool_calls'`);
    const statements = fn!.body
      .split(/;\s*/)
      .map((statement) => statement.replace(/\s+/g, ' ').trim())
      .filter((statement) => TABLES.some((table) => new RegExp(`\\b(from|update|into) ${table}\\b`).test(statement)));
    expect(statements.length).toBeGreaterThanOrEqual(6);
    expect(statements.filter((statement) => !statement.includes('p_consumer'))).toEqual([]);
  });

  it("reads a wallet's page of entries by its owner", () => {
    const [sql, parameters] = accountEntriesQuery(LedgerAccount.wallet('alice'), { first: 20 });
    expect(sql).toMatch(/e\.owner_id = \$3/);
    expect(parameters[2]).toBe('alice');
  });
});
