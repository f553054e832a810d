/**
 * Tool-call charges per second through GraphQL, beside floors measured in the same run on the
 * same PostgreSQL: the same debit as a bare SQL script (pgbench -f) and pgbench's tpcb-like.
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
import { SignJWT } from 'jose';
import {
  admin,
  closedLoop,
  CONCURRENCY,
  databaseUrl,
  JWT_SECRET,
  ONLY,
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
  type Bench,
  type Result,
} from './support.ts';

const WALLETS = 10_000;

/** CONCURRENCY callers on kept-alive connections, each sending its next charge as soon as the last is answered. */
function chargeThroughGraphQL(name: string, urls: readonly string[], token: string, consumer: () => string): Promise<Result> {
  let sequence = 0;
  const endpoints = urls.map((url) => new URL(`${url}/graphql`));
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const query = 'mutation ($input: ChargeToolCallInput!) { chargeToolCall(input: $input) { walletBalanceCents } }';
  return closedLoop(name, async (agent, worker) => {
    const input = { consumerId: consumer(), creatorId: 'creator-popular', toolId: 'tool', priceCents: 7, idempotencyKey: `${name}-${sequence++}` };
    const { text } = await post(agent, endpoints[worker % endpoints.length]!, headers, JSON.stringify({ query, variables: { input } }));
    return { ok: !(JSON.parse(text) as { errors?: unknown }).errors };
  });
}

/** The charge the service makes, issued by a bare SQL script, one per transaction: the floor the service is held to. */
export function bareDebitScript(consumer: string): string {
  const setWallet = consumer.includes(':w') ? `\\set w random(1, ${WALLETS})\n` : '';
  const charge = `json_build_object('idx', 0, 'charge_id', gen_random_uuid(), 'key', gen_random_uuid(), 'consumer', ${consumer}, 'creator', 'creator-popular', 'tool', 'tool', 'price', 7, 'transfer_id', gen_random_uuid(), 'at', now(), 'entries', json_build_array(json_build_object('account', 'wallet:' || ${consumer}, 'amount', -7), json_build_object('account', 'creator_balance:creator-popular', 'amount', 6), json_build_object('account', 'platform_fees', 'amount', 1)))`;
  return `${setWallet}select * from charge_tool_calls(jsonb_build_array(${charge}));\n`;
}

export const chargesBench: Bench = {
  env: {},
  async prepare({ databaseUrl: benchUrl, urls }) {
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
    const token = await new SignJWT({ role: 'service' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('bench')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(JWT_SECRET));
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
        const manyWallets = () => `w${1 + Math.floor(Math.random() * WALLETS)}`;
        if (onlyGraphQL) {
          await phase(chargeThroughGraphQL(`GraphQL chargeToolCall, ${WALLETS} wallets`, urls, token, manyWallets));
          return;
        }
        await phase(pgbench('pgbench tpcb-like (scale 1)', databaseUrl(tpcbDb), []));
        await phase(pgbench('bare SQL debit, one hot wallet', benchUrl, ['-f', join(scripts, 'hot.sql')]));
        await phase(pgbench(`bare SQL debit, ${WALLETS} wallets`, benchUrl, ['-f', join(scripts, 'many.sql')]));
        await phase(chargeThroughGraphQL('GraphQL chargeToolCall, one hot wallet', urls, token, () => 'hot'));
        await phase(chargeThroughGraphQL(`GraphQL chargeToolCall, ${WALLETS} wallets`, urls, token, manyWallets));

        const byName = (prefix: string) => results.find((result) => result.name.startsWith(prefix))!;
        const tpcb = byName('pgbench tpcb');
        const bareMany = byName(`bare SQL debit, ${WALLETS}`);
        printTable([
          { result: tpcb, floor: null },
          { result: byName('bare SQL debit, one'), floor: tpcb },
          { result: bareMany, floor: tpcb },
          { result: byName('GraphQL chargeToolCall, one'), floor: tpcb },
          { result: byName(`GraphQL chargeToolCall, ${WALLETS}`), floor: bareMany },
        ]);
        console.log('\n(pgbench reports the average latency; it is shown as p50 for the floors.)');
      },
    };
  },
};

if (import.meta.main) await runBenches([chargesBench]);
