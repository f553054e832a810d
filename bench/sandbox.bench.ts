/**
 * How long the sandbox's test clock takes to move a population of subscriptions through their
 * renewals: SUBSCRIPTIONS pro monthly plans, paid through the sandbox's checkout, then the clock
 * advanced a month (one renewal each) and a year (twelve each), every renewal's events delivered
 * to the webhook route and applied by the workers before the advance answers.
 *
 *   BENCH_ONLY=sandbox npm run bench                 (PostgreSQL at BENCH_DATABASE_URL or TEST_DATABASE_URL)
 *   BENCH_SUBSCRIPTIONS=500 BENCH_ONLY=sandbox npm run bench
 */
import pg from 'pg';
import { benchToken, JWT_SECRET, PROCESSES, type Bench } from './support.ts';

const SUBSCRIPTIONS = Math.min(Math.max(Number(process.env['BENCH_SUBSCRIPTIONS'] ?? 200), 1), 5_000);
const DAY_S = 24 * 60 * 60;
const URLS = { success_url: 'https://app.aerostack.dev/settings/billing?success=true', cancel_url: 'https://app.aerostack.dev/settings/billing' };
/** Checkouts opened and paid at once while seeding. */
const SEED_CONCURRENCY = 16;

async function json(url: string, init: RequestInit = {}): Promise<any> {
  const response = await fetch(url, init);
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url} answered ${response.status}: ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : null;
}

/** A user on pro monthly, paid through the sandbox's checkout and verified, as the dashboard does it. */
async function subscribe(url: string, userId: string): Promise<void> {
  const token = await benchToken(userId, { country: 'US' });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const checkout = await json(`${url}/api/billing/checkout`, { method: 'POST', headers, body: JSON.stringify({ tier: 'pro', billing_interval: 'monthly', ...URLS }) });
  const paid = await fetch(`${checkout.url}/pay`, { method: 'POST', redirect: 'manual' });
  const sessionId = new URL(paid.headers.get('location')!).searchParams.get('session_id')!;
  await json(`${url}/api/billing/verify-session?session_id=${sessionId}`, { headers });
}

async function count(databaseUrl: string, sql: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>(sql)).rows[0]!.n);
  } finally {
    await client.end();
  }
}

export const sandboxBench: Bench = {
  env: {},
  async prepare({ databaseUrl, urls }) {
    const started = performance.now();
    const users = Array.from({ length: SUBSCRIPTIONS }, (_, index) => `bench-subscriber-${index}`);
    for (let next = 0; next < users.length; next += SEED_CONCURRENCY) {
      await Promise.all(users.slice(next, next + SEED_CONCURRENCY).map((user, index) => subscribe(urls[index % urls.length]!, user)));
    }
    const seededSeconds = (performance.now() - started) / 1000;
    return {
      teardown: async () => undefined,
      run: async () => {
        console.log(`sandbox: ${SUBSCRIPTIONS} pro monthly subscriptions (seeded in ${seededSeconds.toFixed(1)} s), ${PROCESSES} service process(es)`);
        const rows: string[][] = [];
        for (const [name, seconds] of [
          ['a month (one renewal each)', 31 * DAY_S],
          ['a year (twelve renewals each)', 365 * DAY_S],
        ] as const) {
          const renewalsBefore = await count(databaseUrl, `select count(*) as n from sandbox_objects where kind = 'payment' and data->>'purpose' = 'renewal'`);
          const eventsBefore = await count(databaseUrl, `select count(*) as n from webhook_events where status = 'applied'`);
          const at = performance.now();
          await json(`${urls[0]}/sandbox/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seconds }) });
          const elapsed = (performance.now() - at) / 1000;
          const renewals = (await count(databaseUrl, `select count(*) as n from sandbox_objects where kind = 'payment' and data->>'purpose' = 'renewal'`)) - renewalsBefore;
          const applied = (await count(databaseUrl, `select count(*) as n from webhook_events where status = 'applied'`)) - eventsBefore;
          rows.push([name, elapsed.toFixed(2), String(renewals), (renewals / elapsed).toFixed(0), String(applied), (applied / elapsed).toFixed(0)]);
        }
        const header = ['advance', 'seconds', 'renewals', 'renewals/s', 'events applied', 'applied/s'];
        const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
        for (const row of [header, ...rows]) console.log(row.map((cell, column) => cell.padEnd(widths[column]!)).join('  '));
      },
    };
  },
};
