/**
 * Balances as history grows: one creator and the platform fee account credited by 10^4 … 10^6
 * charges (10^7 with BENCH_HISTORY=1e7), and at each size the balance read itself, `developerBalance`
 * and `requestPayout` through GraphQL, with the charge rate before and after the load, and while
 * two dashboards poll the balance.
 *
 *   BENCH_ONLY=growth npm run bench
 *   BENCH_HISTORY=1e7 BENCH_ONLY=growth npm run bench
 *
 * History is loaded set-based, straight into the database, in the shape charges leave it (a tool
 * charge, its transfer owned by a history consumer, entries wallet −7 / creator +6 / fee +1, the
 * consumer funded by an admin correction) and added to `ledger_balances` as a finished roll-up
 * leaves it; `vacuum analyze` after each step, as autovacuum would in time.
 */
import { Agent } from 'node:http';
import pg from 'pg';
import { STORED_BALANCE_SQL } from '../adapters/persistence/sql.wallet-ledger.ts';
import { admin, benchToken, closedLoop, CONCURRENCY, JWT_SECRET, percentile, post, printTable, SECONDS, type Bench, type Result } from './support.ts';

const WALLETS = 10_000;
const CREATOR = 'creator-growth';
const HISTORY = Math.min(Math.max(Number(process.env['BENCH_HISTORY'] ?? 1e6), 1e4), 1e7);
const STEPS = [1e4, 1e5, 1e6, 1e7].filter((size) => size <= HISTORY);
/** Loaded this many charges per statement, so a step is a few bounded transactions. */
const LOAD_CHUNK = 250_000;
const READS = 300;
const PAYOUTS = 50;

function token(subject: string, role: 'user' | 'service'): Promise<string> {
  return benchToken(subject, { role });
}

/** Loads charges `from + 1 … to` of history, in chunks, each with its balances rolled up. */
async function loadHistory(url: string, from: number, to: number): Promise<void> {
  for (let start = from; start < to; start += LOAD_CHUNK) {
    const end = Math.min(to, start + LOAD_CHUNK);
    const n = end - start;
    await admin(
      `begin;
       insert into ledger_transfers (owner_id, id, kind, currency, reference, created_at)
         values ('history', 'fund-${start}', 'adjustment', 'USD', 'bench history', now());
       insert into ledger_entries (owner_id, transfer_id, seq, account, amount_minor)
         values ('history', 'fund-${start}', 1, 'corrections', ${-7 * n}), ('history', 'fund-${start}', 2, 'wallet:history', ${7 * n});
       insert into ledger_transfers (owner_id, id, kind, currency, reference, created_at)
         select 'history', 'h-' || lpad(i::text, 9, '0'), 'tool_charge', 'USD', 'hc-' || i, now() from generate_series(${start + 1}, ${end}) i;
       insert into tool_charges (id, idempotency_key, consumer_id, creator_id, tool_id, price_cents, wallet_balance_after, transfer_id, created_at)
         select 'hc-' || i, 'hk-' || i, 'history', '${CREATOR}', 'tool', 7, 0, 'h-' || lpad(i::text, 9, '0'), now() from generate_series(${start + 1}, ${end}) i;
       insert into ledger_entries (owner_id, transfer_id, seq, account, amount_minor)
         select 'history', 'h-' || lpad(i::text, 9, '0'), e.seq, e.account, e.amount
         from generate_series(${start + 1}, ${end}) i,
              (values (1, 'wallet:history', -7), (2, 'creator_balance:${CREATOR}', 6), (3, 'platform_fees', 1)) as e (seq, account, amount);
       insert into ledger_balances (account, balance_minor, updated_at)
         values ('corrections', ${-7 * n}, now()), ('creator_balance:${CREATOR}', ${6 * n}, now()), ('platform_fees', ${n}, now())
         on conflict (account) do update set balance_minor = ledger_balances.balance_minor + excluded.balance_minor;
       commit;`,
      url,
    );
  }
  await admin('vacuum analyze', url);
}

/** `count` calls one after another; their latencies, sorted. */
async function sequential(count: number, call: () => Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await call();
    latencies.push(performance.now() - started);
  }
  return latencies.sort((a, b) => a - b);
}

const ms = (sorted: number[]) => `${percentile(sorted, 50).toFixed(1)} / ${percentile(sorted, 99).toFixed(1)}`;

export const growthBench: Bench = {
  env: {},
  async prepare({ databaseUrl, urls }) {
    const graphqlUrl = new URL(`${urls[0]}/graphql`);
    await admin(
      `insert into wallets (user_id, balance_cents, updated_at) values ('history', 0, now());
       insert into wallets (user_id, balance_cents, updated_at) select 'g' || i, 1000000000, now() from generate_series(1, ${WALLETS}) i;`,
      databaseUrl,
    );
    const [service, creator] = await Promise.all([token('bench', 'service'), token(CREATOR, 'user')]);
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const graphql = async (bearer: string, query: string, variables: Record<string, unknown> = {}) => {
      const { text } = await post(agent, graphqlUrl, { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, JSON.stringify({ query, variables }));
      const body = JSON.parse(text) as { data?: Record<string, any>; errors?: { message: string }[] };
      if (body.errors) throw new Error(`GraphQL: ${body.errors[0]!.message}`);
      return body.data!;
    };
    // The creator onboards through the sandbox, as a person would, so requestPayout really pays.
    const returnUrl = 'https://app.aerostack.dev/settings/payouts';
    const onboarding = await graphql(creator, 'mutation ($u: String!) { startPayoutOnboarding(returnUrl: $u, refreshUrl: $u) { url } }', { u: returnUrl });
    await fetch(`${onboarding['startPayoutOnboarding'].url}/complete`, { method: 'POST', redirect: 'manual' });

    let sequence = 0;
    const charges = (name: string, seconds: number) =>
      closedLoop(
        name,
        async (callers: Agent) => {
          const input = { consumerId: `g${1 + Math.floor(Math.random() * WALLETS)}`, creatorId: CREATOR, toolId: 'tool', priceCents: 7, idempotencyKey: `growth-${sequence++}` };
          const { text } = await post(callers, graphqlUrl, { authorization: `Bearer ${service}`, 'content-type': 'application/json' }, JSON.stringify({ query: 'mutation ($i: ChargeToolCallInput!) { chargeToolCall(input: $i) { walletBalanceCents } }', variables: { i: input } }));
          return { ok: !(JSON.parse(text) as { errors?: unknown }).errors };
        },
        seconds,
      );
    const developerBalance = () => graphql(creator, 'query { developerBalance { availableCents pendingCents } }').then(() => undefined);

    return {
      teardown: async () => void agent.destroy(),
      run: async () => {
        console.log(`growth: history up to ${HISTORY.toExponential(0)} charges on ${CREATOR} and the fee account, ${READS} reads and ${PAYOUTS} payouts per size`);
        const phaseSeconds = Math.max(2, SECONDS / 2);
        const before = await charges(`GraphQL chargeToolCall, ${WALLETS} wallets, before the load`, phaseSeconds);
        const reader = new pg.Client({ connectionString: databaseUrl });
        await reader.connect();
        const rows: string[] = [];
        const p99s: { balance: number; developerBalance: number; payout: number }[] = [];
        let loaded = 0;
        try {
          for (const size of STEPS) {
            const started = performance.now();
            await loadHistory(databaseUrl, loaded, size);
            const loadSeconds = (performance.now() - started) / 1000;
            loaded = size;
            const balance = await sequential(READS, async () => void (await reader.query(STORED_BALANCE_SQL, [`creator_balance:${CREATOR}`])));
            const fee = await sequential(READS, async () => void (await reader.query(STORED_BALANCE_SQL, ['platform_fees'])));
            const dashboard = await sequential(READS, developerBalance);
            const payouts = await sequential(PAYOUTS, () => graphql(creator, 'mutation { requestPayout(amountCents: 1000) { status } }').then(() => undefined));
            p99s.push({ balance: Math.max(percentile(balance, 99), percentile(fee, 99)), developerBalance: percentile(dashboard, 99), payout: percentile(payouts, 99) });
            rows.push(`| ${size.toExponential(0)} | ${ms(balance)} | ${ms(fee)} | ${ms(dashboard)} | ${ms(payouts)} | ${loadSeconds.toFixed(0)} s |`);
            console.log(`  ${size.toExponential(0)} charges loaded in ${loadSeconds.toFixed(1)} s`);
          }
        } finally {
          await reader.end();
        }
        const after = await charges(`GraphQL chargeToolCall, ${WALLETS} wallets, after the load`, phaseSeconds);
        let polling = true;
        const dashboards = Array.from({ length: 2 }, async () => {
          while (polling) await developerBalance();
        });
        const polled = await charges(`GraphQL chargeToolCall, ${WALLETS} wallets, two dashboards polling developerBalance`, phaseSeconds);
        polling = false;
        await Promise.all(dashboards);

        console.log('\n| tool charges in history | creator balance read p50 / p99 ms | fee balance read p50 / p99 ms | `developerBalance` p50 / p99 ms | `requestPayout` p50 / p99 ms | load |');
        console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
        for (const row of rows) console.log(row);
        const first = p99s[0]!;
        const last = p99s.at(-1)!;
        const results: Result[] = [before, after, polled];
        printTable(results.map((result) => ({ result, floor: result === before ? null : before, ...(result === before ? { note: 'before the load' } : {}) })));
        console.log(
          `\ntargets: balance read p99 ${(last.balance / first.balance).toFixed(2)}× from the smallest size to the largest (≤ 2: ${last.balance <= 2 * first.balance ? 'met' : 'missed'}), ` +
            `developerBalance p99 ${(last.developerBalance / first.developerBalance).toFixed(2)}× (≤ 2: ${last.developerBalance <= 2 * first.developerBalance ? 'met' : 'missed'}), ` +
            `requestPayout p99 ${last.payout.toFixed(1)} ms at the largest (≤ 50 ms: ${last.payout <= 50 ? 'met' : 'missed'}); ${CONCURRENCY} callers per charge phase`,
        );
      },
    };
  },
};
