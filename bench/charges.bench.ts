/**
 * Tool-call charges per second through GraphQL, beside floors measured in the same run on the
 * same PostgreSQL: the same debit as a bare SQL script (pgbench -f) and pgbench's tpcb-like. After
 * the closed loop over 10,000 wallets, charges sent at a steady rate (an open loop) at the rate it
 * reached ("peak") and at half of it, for the latency the service answers with when it is not
 * the callers who set the pace.
 *
 *   npm run bench                       (every bench, see bench/index.ts; PostgreSQL at BENCH_DATABASE_URL or TEST_DATABASE_URL)
 *   node bench/charges.bench.ts         (the charges alone)
 *   BENCH_SECONDS=20 npm run bench      (longer runs)
 *   BENCH_PROCESSES=2 npm run bench     (several service processes behind the callers)
 *   BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" BENCH_ONLY=graphql npm run bench
 *                                       (profile the service under the 10,000-wallet load)
 *
 * The service runs in its own process, as deployed; the callers share the machine with it and
 * with PostgreSQL, as pgbench does. Bounded: every phase runs for BENCH_SECONDS against a database created for the run and
 * dropped at the end; all traffic is on loopback.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Agent } from 'node:http';
import {
  admin,
  benchToken,
  closedLoop,
  CONCURRENCY,
  databaseUrl,
  JWT_SECRET,
  measureCpu,
  ONLY,
  openLoop,
  phases,
  POOL,
  post,
  printTable,
  PROCESSES,
  pgbench,
  randomSuffix,
  run,
  runBenches,
  SECONDS,
  SERVER_URL,
  type Answer,
  type Bench,
  type Result,
} from './support.ts';

const WALLETS = 10_000;

/**
 * Issue 16's targets for the 10,000-wallet charges: the closed loop at least as fast as the bare
 * SQL debit measured in the same run, and the service's latency when charges arrive at a steady
 * rate (an open loop) at that closed-loop rate ("peak") and at half of it.
 */
const MIN_RATIO_TO_BARE_DEBIT = 1.0;
const MAX_P99_AT_PEAK_MS = 20;
const MAX_P99_AT_HALF_PEAK_MS = 10;

/** Sends one charge through GraphQL for `name`'s phase, on `agent`, to one of the service processes. */
function graphQLCharger(name: string, urls: readonly string[], token: string, consumer: () => string): (agent: Agent, n: number) => Promise<Answer> {
  let sequence = 0;
  const endpoints = urls.map((url) => new URL(`${url}/graphql`));
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const query = 'mutation ($input: ChargeToolCallInput!) { chargeToolCall(input: $input) { walletBalanceCents } }';
  return async (agent, n) => {
    const input = { consumerId: consumer(), creatorId: 'creator-popular', toolId: 'tool', priceCents: 7, idempotencyKey: `${name}-${sequence++}` };
    const { text } = await post(agent, endpoints[n % endpoints.length]!, headers, JSON.stringify({ query, variables: { input } }));
    return { ok: !(JSON.parse(text) as { errors?: unknown }).errors };
  };
}

/** CONCURRENCY callers on kept-alive connections, each sending its next charge as soon as the last is answered. */
function chargeThroughGraphQL(name: string, urls: readonly string[], token: string, consumer: () => string): Promise<Result> {
  return closedLoop(name, graphQLCharger(name, urls, token, consumer));
}

/** Charges sent at a steady rate whatever the answers, as the marketplace's callers send them. */
function chargeThroughGraphQLAtRate(name: string, perSecond: number, urls: readonly string[], token: string, consumer: () => string): Promise<Result> {
  return openLoop(name, perSecond, graphQLCharger(name, urls, token, consumer));
}

/** The charge the service makes, issued by a bare SQL script, one per transaction: the floor the service is held to. */
export function bareDebitScript(consumer: string): string {
  const setWallet = consumer.includes(':w') ? `\\set w random(1, ${WALLETS})\n` : '';
  const charge = `json_build_object('idx', 0, 'charge_id', gen_random_uuid(), 'key', gen_random_uuid(), 'consumer', ${consumer}, 'creator', 'creator-popular', 'tool', 'tool', 'price', 7, 'transfer_id', gen_random_uuid(), 'at', now(), 'entries', json_build_array(json_build_object('account', 'wallet:' || ${consumer}, 'amount', -7), json_build_object('account', 'creator_balance:creator-popular', 'amount', 6), json_build_object('account', 'platform_fees', 'amount', 1)))`;
  return `${setWallet}select * from charge_tool_calls(jsonb_build_array(${charge}));\n`;
}

export const chargesBench: Bench = {
  env: {},
  async prepare({ databaseUrl: benchUrl, urls, services }) {
    const tpcbDb = `billing_tpcb_${randomSuffix()}`;
    const scripts = await mkdtemp(join(tmpdir(), 'billing-bench-'));
    const teardown = async () => {
      await admin(`drop database if exists ${tpcbDb} with (force)`);
      await rm(scripts, { recursive: true, force: true });
    };
    await admin(
      `insert into wallets (user_id, balance_cents, updated_at) values ('hot', 1000000000000, now());
       insert into wallets (user_id, balance_cents, updated_at) select 'w' || i, 1000000000, now() from generate_series(1, ${WALLETS}) i;`,
      benchUrl,
    );
    const token = await benchToken('bench', { role: 'service' });
    const onlyGraphQL = ONLY === 'graphql';
    if (!onlyGraphQL) {
      await admin(`create database ${tpcbDb}`);
      await writeFile(join(scripts, 'hot.sql'), bareDebitScript(`'hot'`));
      await writeFile(join(scripts, 'many.sql'), bareDebitScript(`'w' || :w`));
      await run('pgbench', ['-i', '-s', '1', '-q', '-h', new URL(SERVER_URL).hostname, '-U', new URL(SERVER_URL).username || 'postgres', tpcbDb]);
    }

    return {
      teardown,
      run: async () => {
        console.log(
          `charges: ${CONCURRENCY} concurrent callers, ${PROCESSES} service process(es) with a pool of ${POOL} each, ${SECONDS} s per phase, PostgreSQL at ${new URL(SERVER_URL).host}`,
        );
        const { results, phase } = phases();
        // Where the CPU went during a GraphQL phase: the service's share per charge is what its own code costs.
        const timed = async (work: () => Promise<Result>) => {
          const split = measureCpu({ service: services.map((service) => service.pid), bench: [process.pid] });
          const result = await phase(work());
          console.log(`    ${split()}`);
          return result;
        };
        const manyWallets = () => `w${1 + Math.floor(Math.random() * WALLETS)}`;
        if (onlyGraphQL) {
          await timed(() => chargeThroughGraphQL(`GraphQL chargeToolCall, ${WALLETS} wallets`, urls, token, manyWallets));
          return;
        }
        await phase(pgbench('pgbench tpcb-like (scale 1)', databaseUrl(tpcbDb), []));
        await phase(pgbench('bare SQL debit, one hot wallet', benchUrl, ['-f', join(scripts, 'hot.sql')]));
        await phase(pgbench(`bare SQL debit, ${WALLETS} wallets`, benchUrl, ['-f', join(scripts, 'many.sql')]));
        await timed(() => chargeThroughGraphQL('GraphQL chargeToolCall, one hot wallet', urls, token, () => 'hot'));
        const closed = await timed(() => chargeThroughGraphQL(`GraphQL chargeToolCall, ${WALLETS} wallets`, urls, token, manyWallets));
        const peak = closed.perSecond;
        const atPeak = await timed(() => chargeThroughGraphQLAtRate(`GraphQL chargeToolCall, ${WALLETS} wallets, open loop at peak (${peak.toFixed(0)}/s)`, peak, urls, token, manyWallets));
        const atHalf = await timed(() => chargeThroughGraphQLAtRate(`GraphQL chargeToolCall, ${WALLETS} wallets, open loop at half peak (${(peak / 2).toFixed(0)}/s)`, peak / 2, urls, token, manyWallets));

        const byName = (prefix: string) => results.find((result) => result.name.startsWith(prefix))!;
        const tpcb = byName('pgbench tpcb');
        const bareMany = byName(`bare SQL debit, ${WALLETS}`);
        const ratio = closed.perSecond / bareMany.perSecond;
        const p99Target = (result: Result, maxMs: number) => ({ text: `p99 ≤ ${maxMs} ms`, met: (result.p99Ms ?? Infinity) <= maxMs && !result.errors });
        printTable([
          { result: tpcb, floor: null },
          { result: byName('bare SQL debit, one'), floor: tpcb },
          { result: bareMany, floor: tpcb },
          { result: byName('GraphQL chargeToolCall, one'), floor: tpcb },
          { result: closed, floor: bareMany, target: { text: `≥ ${MIN_RATIO_TO_BARE_DEBIT.toFixed(1)}× bare SQL debit`, met: ratio >= MIN_RATIO_TO_BARE_DEBIT } },
          { result: atPeak, floor: null, note: 'peak: the closed loop\'s rate', target: p99Target(atPeak, MAX_P99_AT_PEAK_MS) },
          { result: atHalf, floor: null, note: 'half of peak', target: p99Target(atHalf, MAX_P99_AT_HALF_PEAK_MS) },
        ]);
        console.log('\n(pgbench reports the average latency; it is shown as p50 for the floors.)');
      },
    };
  },
};

if (import.meta.main) await runBenches([chargesBench]);
