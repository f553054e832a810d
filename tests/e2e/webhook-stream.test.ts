import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, postgresUrl, type TestDatabase } from '../support/databases.ts';
import { STRIPE_WEBHOOK_SECRET, stripeSignature } from '../support/provider-events.ts';
import { startProviderFakes, STRIPE_PRICE_IDS, type ProviderFakes } from '../support/provider-fakes.ts';
import { startService, type ServiceProcess } from '../support/service-process.ts';
import { signToken, TEST_JWT_SECRET } from '../support/test-app.ts';

const USERS = 20;
const CHANGES_PER_USER = 50;
const DUPLICATES = 200;
const CONCURRENCY = 16;
const PLANS = Object.entries(STRIPE_PRICE_IDS).flatMap(([tier, byInterval]) => Object.entries(byInterval).map(([interval, priceId]) => ({ tier, interval, priceId })));
/** What Stripe may say of a subscription, and the plan status the service shows for it (all within the grace period). */
const STATUSES = [
  ['active', 'active'],
  ['past_due', 'past_due'],
  ['trialing', 'active'],
] as const;
const URLS = { success_url: 'https://app.aerostack.dev/settings/billing?success=true', cancel_url: 'https://app.aerostack.dev/settings/billing' };

/** A small deterministic generator, so a failure can be reproduced from its seed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe.runIf(postgresUrl)('a shuffled stream of provider events at two server processes', () => {
  let database: TestDatabase;
  let fakes: ProviderFakes;
  let services: ServiceProcess[];

  beforeAll(async () => {
    database = await createPostgresDatabase(postgresUrl!);
    fakes = await startProviderFakes();
    const env = { DATABASE_URL: database.url, JWT_SECRET: TEST_JWT_SECRET, STRIPE_WEBHOOK_SECRET, RECONCILE_INTERVAL_SECONDS: '0', PAYOUT_SCHEDULE: 'off', ...fakes.env };
    services = await Promise.all([startService(env), startService(env)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all((services ?? []).map((service) => service.stop()));
    await fakes?.stop();
    await database?.drop();
  });

  it('ends in the state Stripe holds, never in a payload: 1,000 snapshots, 200 delivered twice, all out of order and concurrent', async () => {
    const next = random(20261202);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const users = await Promise.all(
        Array.from({ length: USERS }, async (_, user) => {
          const service = services[user % 2]!;
          const token = await signToken({ sub: `stream-user-${user}`, country: 'US' });
          const started = await fetch(`${service.url}/api/billing/checkout`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ tier: 'pro', billing_interval: 'monthly', ...URLS }),
          });
          expect(started.status).toBe(200);
          const { rows } = await client.query<{ id: string; provider_session_id: string }>(
            `select id, provider_session_id from checkout_sessions where user_id = $1`,
            [`stream-user-${user}`],
          );
          const { subscriptionId } = fakes.stripe.completeCheckout(rows[0]!.provider_session_id);
          const verified = await fetch(`${service.url}/api/billing/verify-session?session_id=${rows[0]!.id}`, { headers: { authorization: `Bearer ${token}` } });
          expect(verified.status).toBe(200);
          return { token, subscriptionId };
        }),
      );

      // Each user's subscription changes at Stripe again and again; each change sends an event with a snapshot of that moment.
      const deliveries: string[] = [];
      for (const { subscriptionId } of users) {
        for (let n = 0; n < CHANGES_PER_USER; n++) {
          fakes.stripe.changeSubscriptionPrice(subscriptionId, PLANS[Math.floor(next() * PLANS.length)]!.priceId);
          fakes.stripe.setSubscriptionStatus(subscriptionId, STATUSES[Math.floor(next() * STATUSES.length)]![0]);
          if (next() < 0.2) fakes.stripe.renewSubscription(subscriptionId);
          const type = next() < 0.7 ? 'customer.subscription.updated' : next() < 0.5 ? 'invoice.paid' : 'invoice.payment_failed';
          deliveries.push(fakes.stripe.eventFor(type, subscriptionId, { createdAt: new Date(Date.UTC(2026, 11, 2, 0, 0, Math.floor(n / 3))) }));
        }
      }
      for (let i = 0; i < DUPLICATES; i++) deliveries.push(deliveries[Math.floor(next() * USERS * CHANGES_PER_USER)]!);
      for (let i = deliveries.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
      }

      const statuses: Record<string, number> = {};
      let cursor = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async (_, caller) => {
          while (cursor < deliveries.length) {
            const body = deliveries[cursor++]!;
            const response = await fetch(`${services[caller % 2]!.url}/api/billing/webhook`, {
              method: 'POST',
              headers: { 'stripe-signature': stripeSignature(body), 'content-type': 'application/json' },
              body,
            });
            await response.body?.cancel();
            statuses[response.status] = (statuses[response.status] ?? 0) + 1;
          }
        }),
      );
      const pending = async () => Number((await client.query<{ n: string }>(`select count(*) as n from webhook_events where status = 'pending'`)).rows[0]!.n);
      await expect.poll(pending, { timeout: 30_000, interval: 200 }).toBe(0);
      const { rows: recorded } = await client.query<{ status: string; n: string }>(`select status, count(*) as n from webhook_events group by status order by status`);

      expect(statuses).toEqual({ 200: deliveries.length });
      // Each event once; an event whose read found the account already agreeing is ignored, none failed.
      expect(recorded.map((row) => row.status).filter((status) => status !== 'applied' && status !== 'ignored')).toEqual([]);
      expect(recorded.reduce((sum, row) => sum + Number(row.n), 0)).toBe(USERS * CHANGES_PER_USER);
      for (const [user, { token, subscriptionId }] of users.entries()) {
        const held = fakes.stripe.subscription(subscriptionId) as { status: string; items: { data: { price: { id: string }; current_period_end: number }[] } };
        const item = held.items.data[0]!;
        const plan = PLANS.find((candidate) => candidate.priceId === item.price.id)!;
        const response = await fetch(`${services[user % 2]!.url}/graphql`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ billing { planTier billingInterval status currentPeriodEnd } }' }),
        });
        expect(((await response.json()) as { data: { billing: unknown } }).data.billing, `user ${user}`).toEqual({
          planTier: plan.tier,
          billingInterval: plan.interval,
          status: STATUSES.find(([stripe]) => stripe === held.status)![1],
          currentPeriodEnd: new Date(item.current_period_end * 1000).toISOString(),
        });
      }
    } finally {
      await client.end();
    }
  }, 120_000);
});
