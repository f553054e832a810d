/**
 * Two ways to keep the balances of accounts many wallets credit at once (a creator's, the
 * platform fee's), measured on the same bench: the bare SQL charge (pgbench -f, the service's own
 * plpgsql call, one charge per transaction) across 10,000 wallets, on a database migrated as the
 * service migrates it, while a separate connection reads the fee account's balance in a loop.
 *
 *   A (shipped): each credit appends an owner-keyed delta; a roll-up folds deltas into the balance
 *     row once a second (run here by the bench, as each service process runs it).
 *   B: a running balance row per account, updated inside the charge transaction, so every charge
 *     holds the fee account's row until it commits.
 *
 *   BENCH_ONLY=balance-designs npm run bench
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { STORED_BALANCE_SQL } from '../adapters/persistence/sql.wallet-ledger.ts';
import { openDatabase } from '../adapters/persistence/database.ts';
import { bareDebitScript } from './charges.bench.ts';
import { admin, databaseUrl, percentile, pgbench, randomSuffix, SECONDS, type Bench, type Result } from './support.ts';

const WALLETS = 10_000;
/** Design B: the entries' credits go straight onto one balance row per account, in the charge's own transaction. */
const RUNNING_BALANCE_ROWS = `
  create or replace function post_ledger_entries(p_owner text, p_transfer text, p_entries jsonb) returns void
  language sql as $$
    with written as (
      insert into ledger_entries (owner_id, transfer_id, seq, account, amount_minor)
      select p_owner, p_transfer, e.seq, e.entry->>'account', (e.entry->>'amount')::bigint
      from jsonb_array_elements(p_entries) with ordinality as e(entry, seq)
      returning account, amount_minor
    )
    insert into ledger_balances (account, balance_minor, updated_at)
    select account, sum(amount_minor), now() from written where account not like 'wallet:%' group by account order by account
    on conflict (account) do update set balance_minor = ledger_balances.balance_minor + excluded.balance_minor, updated_at = excluded.updated_at
  $$`;

interface Design {
  readonly name: string;
  readonly setup?: string;
  /** Runs beside the load, as the service's background work would. */
  readonly rollUp: boolean;
}

const DESIGNS: readonly Design[] = [
  { name: 'A: deltas rolled up each second (shipped)', rollUp: true },
  { name: 'B: running balance rows updated in the charge', setup: RUNNING_BALANCE_ROWS, rollUp: false },
];

/** Reads the fee account's balance one after another until `until` resolves; the sorted latencies. */
async function readWhile(url: string, until: Promise<unknown>): Promise<number[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let done = false;
  void until.finally(() => (done = true));
  const latencies: number[] = [];
  try {
    while (!done) {
      const started = performance.now();
      await client.query(STORED_BALANCE_SQL, ['platform_fees']);
      latencies.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    await client.end();
  }
  return latencies.sort((a, b) => a - b);
}

/** `select roll_up_ledger_balances(10000)` once a second until `until` resolves. */
async function rollUpWhile(url: string, until: Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let done = false;
  void until.finally(() => (done = true));
  try {
    while (!done) {
      while ((await client.query<{ n: number }>('select roll_up_ledger_balances(10000) as n')).rows[0]!.n >= 10_000);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  } finally {
    await client.end();
  }
}

export const balanceDesignsBench: Bench = {
  env: {},
  async prepare() {
    const names = DESIGNS.map(() => `billing_design_${randomSuffix()}`);
    const scripts = await mkdtemp(join(tmpdir(), 'billing-designs-'));
    const script = join(scripts, 'many.sql');
    await writeFile(script, bareDebitScript(`'w' || :w`));
    for (const [index, design] of DESIGNS.entries()) {
      await admin(`create database ${names[index]}`);
      const database = await openDatabase({ url: databaseUrl(names[index]!), dataDir: '', poolMax: 1 });
      await database.migrate();
      await database.close();
      await admin(
        `insert into wallets (user_id, balance_cents, updated_at) select 'w' || i, 1000000000, now() from generate_series(1, ${WALLETS}) i;
         ${design.setup ?? ''}`,
        databaseUrl(names[index]!),
      );
    }
    return {
      teardown: async () => {
        for (const name of names) await admin(`drop database if exists ${name} with (force)`);
        await rm(scripts, { recursive: true, force: true });
      },
      run: async () => {
        console.log(`balance designs: the bare SQL charge across ${WALLETS} wallets, ${SECONDS} s each, the fee balance read meanwhile`);
        const rows: { result: Result; reads: number[] }[] = [];
        for (const [index, design] of DESIGNS.entries()) {
          const url = databaseUrl(names[index]!);
          const load = pgbench(design.name, url, ['-f', script]);
          const [result, reads] = await Promise.all([load, readWhile(url, load), design.rollUp ? rollUpWhile(url, load) : undefined]);
          rows.push({ result, reads });
          console.log(`  ${design.name}: ${result.perSecond.toFixed(0)}/s`);
        }
        console.log('\n| design | charges/s | pgbench avg latency ms | fee balance read p50 / p99 ms, under the load |');
        console.log('| --- | ---: | ---: | ---: |');
        for (const { result, reads } of rows) {
          console.log(`| ${result.name} | ${result.perSecond.toFixed(0)} | ${result.p50Ms?.toFixed(2)} | ${percentile(reads, 50).toFixed(2)} / ${percentile(reads, 99).toFixed(2)} |`);
        }
      },
    };
  },
};
