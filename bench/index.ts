/**
 * Every bench in one run, on one database and one set of service processes: tool-call charges
 * (bench/charges.bench.ts), then webhook deliveries and how long the inbox's workers take to apply
 * them (bench/webhooks.bench.ts, with the provider fakes in this process), each printing its table
 * with ratios to floors measured in the same run.
 *
 *   npm run bench                        (everything; BENCH_SECONDS per phase, 10 by default)
 *   BENCH_ONLY=charges npm run bench     (the charge phases alone)
 *   BENCH_ONLY=graphql npm run bench     (the 10,000-wallet GraphQL phase alone, for profiling)
 *   BENCH_ONLY=webhooks npm run bench    (the webhook phases alone)
 *   BENCH_ONLY=growth npm run bench      (balances as history grows to 10^6 charges, BENCH_HISTORY=1e7 for 10^7; not in the
 *                                         full run either: its creator is paid through the sandbox)
 *   BENCH_ONLY=balance-designs npm run bench   (the bare SQL charge with deltas rolled up, as shipped, beside running balance rows)
 *   BENCH_ONLY=sandbox npm run bench     (the sandbox's clock moving subscriptions through renewals; not in the full run,
 *                                         whose webhook phases configure real providers' fakes, so no region is the sandbox's)
 *   BENCH_ONLY=startup npm run bench     (process start to a healthy /healthz, embedded and on PostgreSQL, and where the time goes;
 *                                         not in the full run: it starts and stops its own processes)
 */
import { chargesBench } from './charges.bench.ts';
import { balanceDesignsBench } from './balance-designs.bench.ts';
import { growthBench } from './growth.bench.ts';
import { ONLY, runBenches, type Bench } from './support.ts';
import { sandboxBench } from './sandbox.bench.ts';
import { startupBench } from './startup.bench.ts';
import { webhooksBench } from './webhooks.bench.ts';

const BENCHES: Readonly<Record<string, readonly Bench[]>> = {
  '': [chargesBench, webhooksBench],
  charges: [chargesBench],
  graphql: [chargesBench],
  webhooks: [webhooksBench],
  growth: [growthBench],
  'balance-designs': [balanceDesignsBench],
  sandbox: [sandboxBench],
};

const benches = BENCHES[ONLY];
if (ONLY === 'startup') await startupBench();
else if (!benches) throw new Error(`BENCH_ONLY must be one of ${[...Object.keys(BENCHES).filter(Boolean), 'startup'].join(', ')}, or unset`);
else await runBenches(benches);
