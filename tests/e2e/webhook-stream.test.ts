import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, postgresUrl, type TestDatabase } from '../support/databases.ts';
import { STRIPE_WEBHOOK_SECRET, stripeEvent, stripeSignature, subscriptionObject } from '../support/provider-events.ts';
import { startService, type ServiceProcess } from '../support/service-process.ts';
import { STRIPE_PRICE_ENV, TEST_JWT_SECRET } from '../support/test-app.ts';

const USERS = 20;
const EVENTS_PER_USER = 50;
const DUPLICATES = 200;
const CONCURRENCY = 16;
const PRICES = Object.entries(STRIPE_PRICE_ENV).map(([variable, priceId]) => {
  const [, tier, interval] = /^STRIPE_PRICE_(\w+)_(MONTHLY|YEARLY)$/.exec(variable)!;
  return { priceId, tier: tier!.toLowerCase(), interval: interval!.toLowerCase() };
});
const STATUSES = [
  ['active', 'active'],
  ['past_due', 'past_due'],
  ['trialing', 'active'],
  ['unpaid', 'past_due'],
] as const;

/** A small deterministic generator, so a failure can be reproduced from its seed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe.runIf(postgresUrl)('a shuffled stream of webhook deliveries at two server processes', () => {
  let database: TestDatabase;
  let services: ServiceProcess[];

  beforeAll(async () => {
    database = await createPostgresDatabase(postgresUrl!);
    const env = { DATABASE_URL: database.url, JWT_SECRET: TEST_JWT_SECRET, STRIPE_WEBHOOK_SECRET, STRIPE_SECRET_KEY: 'sk_test_stream', LOG_LEVEL: 'warn', ...STRIPE_PRICE_ENV };
    services = await Promise.all([startService({ ...env, LOG_LEVEL: 'info' }), startService({ ...env, LOG_LEVEL: 'info' })]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all((services ?? []).map((service) => service.stop()));
    await database?.drop();
  });

  it('ends in the state of the ordered stream: 1,000 events, 200 delivered twice, all out of order and concurrent', async () => {
    const next = random(20261122);
    const tokens = await Promise.all(
      Array.from({ length: USERS }, (_, user) =>
        new SignJWT({ country: 'US' }).setProtectedHeader({ alg: 'HS256' }).setSubject(`stream-user-${user}`).setExpirationTime('1h').sign(new TextEncoder().encode(TEST_JWT_SECRET)),
      ),
    );
    // Open every account first, as signup would have.
    await Promise.all(tokens.map((token, user) => fetch(`${services[user % 2]!.url}/api/billing`, { headers: { authorization: `Bearer ${token}` } })));

    const expected = new Map<number, { planTier: string; billingInterval: string; status: string; currentPeriodEnd: string }>();
    const deliveries: string[] = [];
    for (let user = 0; user < USERS; user++) {
      for (let n = 0; n < EVENTS_PER_USER; n++) {
        const price = PRICES[Math.floor(next() * PRICES.length)]!;
        const [stripeStatus, status] = STATUSES[Math.floor(next() * STATUSES.length)]!;
        const periodEnd = new Date(Date.UTC(2027, 0, 1) + Math.floor(next() * 365) * 86_400_000);
        const subscription = subscriptionObject({ id: `sub_stream_${user}`, status: stripeStatus, priceId: price.priceId, periodEnd, userId: `stream-user-${user}`, customer: `cus_stream_${user}` });
        deliveries.push(stripeEvent('customer.subscription.updated', subscription, { createdAt: new Date(Date.UTC(2026, 10, 22, 0, 0, n)) }));
        expected.set(user, { planTier: price.tier, billingInterval: price.interval, status, currentPeriodEnd: periodEnd.toISOString() });
      }
    }
    for (let i = 0; i < DUPLICATES; i++) deliveries.push(deliveries[Math.floor(next() * USERS * EVENTS_PER_USER)]!);
    for (let i = deliveries.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
    }

    const outcomes: Record<string, number> = {};
    let cursor = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, worker) => {
        while (cursor < deliveries.length) {
          const body = deliveries[cursor++]!;
          const response = await fetch(`${services[worker % 2]!.url}/api/billing/webhook`, {
            method: 'POST',
            headers: { 'stripe-signature': stripeSignature(body), 'content-type': 'application/json' },
            body,
          });
          const { outcome } = (await response.json()) as { outcome: string };
          outcomes[`${response.status} ${outcome}`] = (outcomes[`${response.status} ${outcome}`] ?? 0) + 1;
        }
      }),
    );

    expect(outcomes['200 duplicate']).toBe(DUPLICATES);
    expect(Object.keys(outcomes).every((key) => key.startsWith('200 '))).toBe(true);
    for (let user = 0; user < USERS; user++) {
      const response = await fetch(`${services[user % 2]!.url}/graphql`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens[user]}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ billing { planTier billingInterval status currentPeriodEnd } }' }),
      });
      expect(((await response.json()) as { data: { billing: unknown } }).data.billing, `user ${user}`).toEqual(expected.get(user));
    }
  }, 120_000);
});
