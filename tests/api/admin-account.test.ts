import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../adapters/persistence/database.ts';
import { aUserId } from '../support/builders.ts';
import { openTestDatabase, postgresUrl } from '../support/databases.ts';
import { payThroughSandbox } from '../support/sandbox.ts';
import { makeTestApp, signToken } from '../support/test-app.ts';

const RETURN_URL = 'https://app.aerostack.dev/settings/payouts?onboarding=done';
const DAY_MS = 24 * 60 * 60 * 1000;

const LOOKUP = `query ($userId: String!) { account(userId: $userId) {
  userId plan { planTier billingInterval status currentPeriodEnd paymentGateway } providerSubscriptionId
  wallet { balanceCents currency flagged } developerBalance { availableCents pendingCents }
  payoutAccount { gateway providerAccountId onboardingStatus frequency currency }
  planChanges { reason fromTier toTier toInterval actorId note periodEnd }
  webhookEvents { provider type status subject } payouts { id status amountCents }
} }`;
const ADJUST = `mutation ($userId: String!, $tier: PaidPlanTier!, $billingInterval: BillingInterval!, $until: DateTime!, $reason: String!) {
  adjustPlan(userId: $userId, tier: $tier, billingInterval: $billingInterval, until: $until, reason: $reason) { planTier billingInterval status currentPeriodEnd }
}`;

type Json = Record<string, any>;

describe.each(['memory', ...(postgresUrl ? (['postgresql'] as const) : [])] as const)('admin look-ups, stored %s', (backend) => {
  let database: Database | undefined;
  let testApp: ReturnType<typeof makeTestApp>;
  let admin: string;
  beforeAll(async () => {
    if (backend !== 'memory') database = await openTestDatabase(backend);
    testApp = makeTestApp({ database, env: { MARKETPLACE_FEE_BPS: '2000' } });
    admin = await signToken({ sub: 'ops-alice', role: 'admin' });
  });
  afterAll(async () => {
    await database?.close();
  });

  async function aUser(country = 'US') {
    const userId = aUserId();
    const token = await signToken({ sub: userId, country, expiresIn: '2h' });
    return { userId, token };
  }
  /** A user with a billing account on the free plan, as the dashboard's first call opens it. */
  async function aSignedUpUser() {
    const user = await aUser();
    expect((await testApp.graphql('{ billing { planTier } }', { token: user.token })).data.billing.planTier).toBe('free');
    return user;
  }
  const paid = (token: string, path: '/api/billing/checkout' | '/api/balance/deposit', body: Json) => payThroughSandbox(testApp, token, path, body);
  const lookUp = async (userId: unknown, token = admin) => testApp.graphql(LOOKUP, { token, variables: { userId } });
  const account = async (userId: string) => {
    const { data, errors } = await lookUp(userId);
    expect(errors).toBeUndefined();
    return data.account as Json;
  };
  const adjust = (variables: Json, token = admin) => testApp.graphql(ADJUST, { token, variables });
  const sandboxNow = async () => new Date((await testApp.request('/sandbox/clock')).json().now as string);
  const daysFrom = (start: Date, days: number) => new Date(start.getTime() + days * DAY_MS).toISOString();

  it('answers account and adjustPlan with FORBIDDEN to a user and to a service, and writes nothing', async () => {
    const { userId, token } = await aSignedUpUser();
    const service = await signToken({ sub: 'tool-runner', role: 'service' });
    const grant = { userId, tier: 'business', billingInterval: 'yearly', until: daysFrom(await sandboxNow(), 30), reason: 'self-service' };

    for (const caller of [token, service]) {
      expect((await lookUp(userId, caller)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect((await adjust(grant, caller)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }

    expect(await account(userId)).toMatchObject({ plan: { planTier: 'free', status: 'active' }, planChanges: [] });
  });

  it('refuses a bad user id, tier, interval, until or reason with BAD_USER_INPUT naming the field, and writes nothing', async () => {
    const { userId } = await aSignedUpUser();
    const now = await sandboxNow();
    const good = { userId, tier: 'pro', billingInterval: 'monthly', until: daysFrom(now, 30), reason: 'outage credit' };
    const cases: [Json, string | undefined][] = [
      [{ userId: ` ${userId}` }, 'userId'],
      [{ userId: '' }, 'userId'],
      [{ userId: 'x'.repeat(256) }, 'userId'],
      [{ tier: 'free' }, undefined],
      [{ billingInterval: 'weekly' }, undefined],
      [{ until: 'next tuesday' }, undefined],
      [{ until: daysFrom(now, -1) }, 'until'],
      [{ until: daysFrom(now, 5 * 366 + 2) }, 'until'],
      [{ reason: '   ' }, 'reason'],
      [{ reason: 'r'.repeat(501) }, 'reason'],
      [{ reason: 'bad\u0007reason' }, 'reason'],
      [{ reason: 'bad\u0000reason' }, undefined],
    ];

    for (const [change, field] of cases) {
      const { errors } = await adjust({ ...good, ...change });
      expect(errors?.[0]?.extensions?.code, JSON.stringify(change)).toBe('BAD_USER_INPUT');
      if (field) expect(errors?.[0]?.extensions?.field, JSON.stringify(change)).toBe(field);
    }
    const badLookUp = await lookUp(` ${userId}`);
    expect(badLookUp.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'userId' });

    expect(await account(userId)).toMatchObject({ plan: { planTier: 'free', status: 'active' }, planChanges: [] });
  });

  it('reads until only as an ISO 8601 date-time with its offset: a local time, a date alone, a day past the month’s end or a bare number is BAD_USER_INPUT, and writes nothing', async () => {
    const { userId } = await aSignedUpUser();
    const year = (await sandboxNow()).getUTCFullYear() + 1;
    const good = { userId, tier: 'pro', billingInterval: 'monthly', reason: 'outage credit' };

    // Each of these was read in the server's own time zone, rolled over into the next month, or read as May of 2001.
    for (const until of [`${year}-03-14T02:30:00`, `${year}-06-01`, `${year}-02-30T00:00:00Z`, `${year}-06-01 12:00`, '5']) {
      const { errors } = await adjust({ ...good, until });
      expect(errors?.[0]?.extensions?.code, until).toBe('BAD_USER_INPUT');
      expect(errors?.[0]?.message, until).toContain('offset');
    }
    expect(await account(userId)).toMatchObject({ plan: { planTier: 'free' }, planChanges: [] });

    const { data, errors } = await adjust({ ...good, until: `${year}-06-01T09:00:00+05:30` });
    expect(errors).toBeUndefined();
    expect(data.adjustPlan.currentPeriodEnd).toBe(`${year}-06-01T03:30:00.000Z`);
  });

  it('answers NOT_FOUND for a user id nothing is known of, to the look-up and to adjustPlan', async () => {
    const stranger = aUserId();

    const looked = await lookUp(stranger);
    const adjusted = await adjust({ userId: stranger, tier: 'pro', billingInterval: 'monthly', until: daysFrom(await sandboxNow(), 30), reason: 'typo' });

    expect(looked.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(looked.errors?.[0]?.message).toContain(stranger);
    expect(adjusted.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it("shows a subscriber's plan, subscription, wallet and the events about their checkouts after a plan and a deposit", async () => {
    const { userId, token } = await aUser();
    await paid(token, '/api/billing/checkout', { tier: 'pro', billing_interval: 'monthly' });
    await paid(token, '/api/balance/deposit', { amount_cents: 2_500 });

    const found = await account(userId);

    expect(found).toMatchObject({
      userId,
      plan: { planTier: 'pro', billingInterval: 'monthly', status: 'active', paymentGateway: 'stripe' },
      providerSubscriptionId: expect.any(String),
      wallet: { balanceCents: 2_500, currency: 'USD', flagged: false },
      developerBalance: { availableCents: 0, pendingCents: 0 },
      payoutAccount: null,
      payouts: [],
    });
    expect(found.planChanges).toEqual([expect.objectContaining({ reason: 'checkout', fromTier: 'free', toTier: 'pro', actorId: null, note: null })]);
    const subjects = found.webhookEvents.map((event: Json) => event.subject);
    expect(subjects).toContain(`subscription:${found.providerSubscriptionId}`);
    expect(found.webhookEvents.filter((event: Json) => event.subject.startsWith('checkout:'))).toHaveLength(2);
    expect(found.webhookEvents.every((event: Json) => event.provider === 'stripe')).toBe(true);
  });

  it("shows a creator's developer balance, payout account and payout, with the events about them and none of another user's", async () => {
    const consumer = await aUser();
    const creator = await aUser();
    await paid(consumer.token, '/api/balance/deposit', { amount_cents: 5_000 });
    const service = await signToken({ sub: 'tool-runner', role: 'service' });
    await testApp.graphql('mutation ($input: ChargeToolCallInput!) { chargeToolCall(input: $input) { chargeId } }', {
      token: service,
      variables: { input: { consumerId: consumer.userId, creatorId: creator.userId, toolId: 'tool', priceCents: 2_500, idempotencyKey: 'call-1' } },
    });
    const onboarding = await testApp.graphql('mutation ($url: String!) { startPayoutOnboarding(returnUrl: $url, refreshUrl: $url) { url } }', { token: creator.token, variables: { url: RETURN_URL } });
    await testApp.app.request(`${new URL(onboarding.data.startPayoutOnboarding.url).pathname}/complete`, { method: 'POST' });
    const payout = await testApp.graphql('mutation { requestPayout(amountCents: 1500) { id } }', { token: creator.token });
    expect(payout.errors).toBeUndefined();
    await testApp.applyEvents();

    const found = await account(creator.userId);

    expect(found).toMatchObject({
      developerBalance: { availableCents: 500, pendingCents: 0 },
      payoutAccount: { gateway: 'stripe', providerAccountId: expect.any(String), onboardingStatus: 'verified', frequency: 'manual', currency: 'USD' },
      payouts: [{ id: payout.data.requestPayout.id, status: 'paid', amountCents: 1_500 }],
      wallet: { balanceCents: 0 },
    });
    const subjects: string[] = found.webhookEvents.map((event: Json) => event.subject);
    expect(subjects).toContain(`account:${found.payoutAccount.providerAccountId}`);
    expect(subjects.some((subject) => subject.startsWith('transfer:'))).toBe(true);
    expect(subjects.some((subject) => subject.startsWith('checkout:'))).toBe(false);
    expect((await account(consumer.userId)).wallet.balanceCents).toBe(2_500);
  });

  it('records adjustPlan with the admin id, the trimmed reason and until, once for five concurrent and a repeated call, and again for a new until', async () => {
    const { userId, token } = await aSignedUpUser();
    const now = await sandboxNow();
    const grant = { userId, tier: 'business', billingInterval: 'yearly', until: daysFrom(now, 30), reason: '  Make good for the 2 Dec outage \n' };

    const answers = await Promise.all(Array.from({ length: 5 }, () => adjust(grant)));
    const repeated = await adjust(grant);

    for (const answer of [...answers, repeated]) {
      expect(answer.errors).toBeUndefined();
      expect(answer.data.adjustPlan).toEqual({ planTier: 'business', billingInterval: 'yearly', status: 'canceled', currentPeriodEnd: grant.until });
    }
    expect((await testApp.graphql('{ billing { planTier status currentPeriodEnd } }', { token })).data.billing).toEqual({ planTier: 'business', status: 'canceled', currentPeriodEnd: grant.until });
    expect((await account(userId)).planChanges).toEqual([
      { reason: 'admin', fromTier: 'free', toTier: 'business', toInterval: 'yearly', actorId: 'ops-alice', note: 'Make good for the 2 Dec outage', periodEnd: grant.until },
    ]);

    const extended = await adjust({ ...grant, until: daysFrom(now, 60), reason: 'extended' });
    expect(extended.data.adjustPlan.currentPeriodEnd).toBe(daysFrom(now, 60));
    expect((await account(userId)).planChanges.map((change: Json) => [change.fromTier, change.toTier, change.note])).toEqual([
      ['business', 'business', 'extended'],
      ['free', 'business', 'Make good for the 2 Dec outage'],
    ]);
  });

  it('refuses adjustPlan with CONFLICT while the user is linked to a provider subscription, and changes nothing', async () => {
    const { userId, token } = await aUser();
    await paid(token, '/api/billing/checkout', { tier: 'starter', billing_interval: 'monthly' });
    const before = await account(userId);

    const { errors } = await adjust({ userId, tier: 'business', billingInterval: 'yearly', until: daysFrom(await sandboxNow(), 30), reason: 'upgrade as a favour' });

    expect(errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(errors?.[0]?.message).toContain(before.providerSubscriptionId);
    expect(await account(userId)).toEqual(before);
  });

  it('falls back to free after until passes on the test clock, as a plan whose renewal stopped does, and records it', async () => {
    const { userId, token } = await aSignedUpUser();
    const until = daysFrom(await sandboxNow(), 3);
    expect((await adjust({ userId, tier: 'pro', billingInterval: 'monthly', until, reason: 'trial for a partner' })).errors).toBeUndefined();
    const advance = async (seconds: number) => expect((await testApp.request('/sandbox/clock/advance', { body: { seconds } })).status).toBe(200);
    const plan = async () => (await testApp.graphql('{ billing { planTier status } }', { token })).data.billing;

    await advance(3 * 86_400 - 3_600);
    expect(await plan()).toEqual({ planTier: 'pro', status: 'canceled' });

    await advance(2 * 86_400);
    expect(await plan()).toEqual({ planTier: 'free', status: 'active' });
    expect((await account(userId)).planChanges.map((change: Json) => [change.reason, change.fromTier, change.toTier])).toEqual([
      ['period_ended', 'pro', 'free'],
      ['admin', 'free', 'pro'],
    ]);
  });
});
