import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../adapters/persistence/database.ts';
import { queryOn } from '../../adapters/persistence/bound-query.ts';
import { createPostgresDatabase, postgresUrl, type TestDatabase } from '../support/databases.ts';
import { expectLedgerBalanced } from '../support/ledger-checks.ts';
import { runScript, startService, type ServiceProcess } from '../support/service-process.ts';

const URLS = { success_url: 'https://app.aerostack.dev/settings/billing?success=true', cancel_url: 'https://app.aerostack.dev/settings/billing' };
const RETURN_URL = 'https://app.aerostack.dev/settings/payouts?onboarding=done';
const HOUR_S = 60 * 60;
const DAY_S = 24 * HOUR_S;
/** The default PAST_DUE_GRACE_DAYS. */
const GRACE_DAYS = 7;

type Json = Record<string, any>;

/**
 * Talks to one or more service processes as clients and tests would, sending each request to the
 * next process in turn, so that with two processes every step lands on a different one than the last.
 */
class Service {
  private turn = 0;
  private readonly urls: readonly string[];

  constructor(urls: readonly string[]) {
    this.urls = urls;
  }

  next(): string {
    return this.urls[this.turn++ % this.urls.length]!;
  }

  async token(user: string, role = 'user'): Promise<string> {
    return (await runScript('api/token.ts', ['--user', user, '--country', 'US', '--role', role])).stdout;
  }

  async send(method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<{ status: number; json: Json; location: string | null }> {
    const response = await fetch(`${this.next()}${path}`, {
      method,
      redirect: 'manual',
      headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const text = await response.text();
    return { status: response.status, json: text.startsWith('{') ? JSON.parse(text) : {}, location: response.headers.get('location') };
  }

  async graphql(token: string, query: string, variables: Json = {}): Promise<Json> {
    const { json } = await this.send('POST', '/graphql', { token, body: { query, variables } });
    expect(json.errors).toBeUndefined();
    return json.data;
  }

  /** A sandbox action: answers its JSON, which must be a success. */
  async sandbox(path: string, body: Json = {}): Promise<Json> {
    const { status, json } = await this.send('POST', `/sandbox${path}`, { body });
    expect({ path, status, json }).toMatchObject({ status: 200 });
    return json;
  }

  async advance(seconds: number): Promise<Date> {
    return new Date((await this.sandbox('/clock/advance', { seconds })).now);
  }

  async state(): Promise<Json> {
    return (await this.send('GET', '/sandbox/state')).json;
  }

  /** Opens a hosted checkout, presses Pay, and answers our session id from the success URL. */
  async payCheckout(url: string): Promise<string> {
    const paid = await fetch(`${this.next()}${new URL(url).pathname}/pay`, { method: 'POST', redirect: 'manual' });
    expect(paid.status).toBe(303);
    return new URL(paid.headers.get('location')!).searchParams.get('session_id')!;
  }
}

const BILLING = '{ billing { planTier status currentPeriodEnd } }';

/**
 * The whole lifecycle on the sandbox: a pro monthly plan renewed three times, a failed renewal and
 * its grace period, a deposit refunded in part and disputed and won, a creator paid twice, one
 * payout reversed. Answers what it ended with, for runs on one process and on two to be compared.
 */
async function runLifecycle(service: Service): Promise<Json> {
  const user = `lifecycle-${randomUUID()}`;
  const creator = `creator-${randomUUID()}`;
  const [token, creatorToken, admin, toolRunner] = await Promise.all([service.token(user), service.token(creator), service.token('ops', 'admin'), service.token('tool-runner', 'service')]);

  // A pro monthly checkout, paid on the sandbox's page.
  const checkout = await service.send('POST', '/api/billing/checkout', { token, body: { tier: 'pro', billing_interval: 'monthly', ...URLS } });
  const sessionId = await service.payCheckout(checkout.json.url);
  expect((await service.send('GET', `/api/billing/verify-session?session_id=${sessionId}`, { token })).json).toEqual({ tier: 'pro' });
  const secondsUntil = async (at: Date) => Math.ceil((at.getTime() - new Date((await service.send('GET', '/sandbox/clock')).json.now).getTime()) / 1000);
  const subscriptionOf = async () => (await service.state()).subscriptions.find((subscription: Json) => subscription.userId === user);
  const started = await subscriptionOf();
  expect(started).toMatchObject({ status: 'active', tier: 'pro', billingInterval: 'monthly' });

  // Three renewals in one advance: the first at the period's end, the third at most 62 days later, the fourth at least 89.
  const firstEnd = new Date(started.currentPeriodEnd);
  await service.advance((await secondsUntil(firstEnd)) + 62 * DAY_S + HOUR_S);
  const renewed = await subscriptionOf();
  const afterRenewals = (await service.graphql(token, BILLING)).billing;
  expect(renewed.status).toBe('active');
  expect((new Date(renewed.currentPeriodEnd).getUTCMonth() - firstEnd.getUTCMonth() + 12) % 12).toBe(3);
  expect(afterRenewals).toEqual({ planTier: 'pro', status: 'active', currentPeriodEnd: renewed.currentPeriodEnd });

  // A failed renewal: past due, then free once the grace period is over.
  expect((await service.sandbox('/subscriptions/fail-next-renewal', { user_id: user })).subscription).toMatchObject({ failNextRenewal: true });
  await service.advance((await secondsUntil(new Date(renewed.currentPeriodEnd))) + HOUR_S);
  const pastDue = (await service.graphql(token, BILLING)).billing;
  await service.advance(GRACE_DAYS * DAY_S + HOUR_S);
  const afterGrace = (await service.graphql(token, BILLING)).billing;
  expect(pastDue).toMatchObject({ planTier: 'pro', status: 'past_due' });
  expect(afterGrace).toMatchObject({ planTier: 'free' });

  // A $50.00 deposit, $10.00 of it refunded, $15.00 disputed, the dispute won.
  const deposit = await service.send('POST', '/api/balance/deposit', { token, body: { amount_cents: 5_000, ...URLS } });
  const depositSession = await service.payCheckout(deposit.json.url);
  await service.send('GET', `/api/balance/verify?session_id=${depositSession}`, { token });
  const wallet = async () => (await service.graphql(token, '{ wallet { balanceCents } }')).wallet.balanceCents;
  const funded = await wallet();
  const payment = (await service.state()).payments.find((each: Json) => each.userId === user && each.purpose === 'deposit');
  await service.sandbox(`/payments/${payment.id}/refund`, { amount_minor: 1_000 });
  const refunded = await wallet();
  const { dispute } = await service.sandbox(`/payments/${payment.id}/dispute`, { amount_minor: 1_500 });
  const disputed = await wallet();
  await service.sandbox(`/disputes/${dispute.id}/win`);
  const won = await wallet();
  expect([funded, refunded, disputed, won]).toEqual([5_000, 4_000, 2_500, 4_000]);

  // The creator earns $20.00 from a $25.00 tool call, onboards on the sandbox's page, is paid twice; the second transfer is reversed.
  await service.graphql(toolRunner, 'mutation ($input: ChargeToolCallInput!) { chargeToolCall(input: $input) { chargeId } }', {
    input: { consumerId: user, creatorId: creator, toolId: 'tool-1', priceCents: 2_500, idempotencyKey: `${creator}-1` },
  });
  const onboarding = await service.graphql(creatorToken, 'mutation ($returnUrl: String!) { startPayoutOnboarding(returnUrl: $returnUrl, refreshUrl: $returnUrl) { url } }', { returnUrl: RETURN_URL });
  const completed = await fetch(`${service.next()}${new URL(onboarding.startPayoutOnboarding.url).pathname}/complete`, { method: 'POST', redirect: 'manual' });
  expect(completed.status).toBe(303);
  const pay = () => service.graphql(creatorToken, 'mutation { requestPayout(amountCents: 1000) { id status providerTransferId } }');
  const settled = (await pay()).requestPayout;
  const reversed = (await pay()).requestPayout;
  await service.sandbox(`/transfers/${reversed.providerTransferId}/reverse`);
  const payouts = await service.graphql(creatorToken, '{ developerBalance { availableCents } payouts(first: 10) { edges { node { id status } } } }');
  expect([settled.status, reversed.status]).toEqual(['paid', 'paid']);
  expect(payouts.payouts.edges.map((edge: Json) => edge.node)).toEqual([
    { id: reversed.id, status: 'failed' },
    { id: settled.id, status: 'paid' },
  ]);
  expect(payouts.developerBalance.availableCents).toBe(1_000);

  // Every step went through the webhook route and the inbox, and was applied.
  const events = (await service.graphql(admin, '{ webhookEvents(first: 100) { edges { node { type status subject } } } }')).webhookEvents.edges.map((edge: Json) => edge.node);
  const applied = (type: string) => events.filter((event: Json) => event.type === type && event.status === 'applied').length;
  expect(events.filter((event: Json) => !['applied', 'ignored'].includes(event.status))).toEqual([]);
  expect({
    renewals: applied('invoice.paid'),
    failedRenewals: applied('invoice.payment_failed'),
    refunds: applied('charge.refunded'),
    disputesOpened: applied('charge.dispute.created'),
    disputesClosed: applied('charge.dispute.closed'),
    accounts: applied('account.updated'),
  }).toEqual({ renewals: 3, failedRenewals: 1, refunds: 1, disputesOpened: 1, disputesClosed: 1, accounts: 1 });
  // The reversed transfer's events: each read the transfer as it stood then, so the one that came
  // before the payout's own answer, or the reversal, applied it; the payout failed once (the balance above).
  const aboutReversed = events.filter((event: Json) => event.subject === `transfer:${reversed.providerTransferId}`);
  expect(aboutReversed.map((event: Json) => event.type).sort()).toEqual(['transfer.created', 'transfer.reversed']);
  expect(aboutReversed.some((event: Json) => event.status === 'applied')).toBe(true);

  return { afterRenewals: { planTier: afterRenewals.planTier, status: afterRenewals.status }, pastDue, afterGrace, wallets: [funded, refunded, disputed, won], final: await wallet(), payouts: payouts.payouts.edges.map((edge: Json) => edge.node.status), available: payouts.developerBalance.availableCents };
}

const EXPECTED_END = {
  afterRenewals: { planTier: 'pro', status: 'active' },
  wallets: [5_000, 4_000, 2_500, 4_000],
  final: 1_500,
  payouts: ['failed', 'paid'],
  available: 1_000,
};

describe('the sandbox as a full provider, against npm start', () => {
  const running: ServiceProcess[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    await Promise.all(running.map((service) => service.stop()));
    for (const cleanup of cleanups) await cleanup();
  });

  it('runs renewals, a failed renewal and its grace, a refund, a won dispute and a reversed payout with no configuration, the ledger balanced', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'billing-sandbox-e2e-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const service = await startService({ DATA_DIR: dataDir });
    running.push(service);

    const end = await runLifecycle(new Service([service.url]));
    await service.stop();
    const database = await openDatabase({ dataDir, poolMax: 1 });
    try {
      await expectLedgerBalanced((sql) => queryOn(database.orm.em.getConnection().getClient(), sql, []));
    } finally {
      await database.close();
    }

    expect(end).toMatchObject(EXPECTED_END);
  }, 120_000);

  describe.runIf(postgresUrl)('with two processes on one PostgreSQL', () => {
    let database: TestDatabase;
    let urls: string[];

    it('ends in the same state with each action sent to the other process than the last', async () => {
      database = await createPostgresDatabase(postgresUrl!);
      cleanups.push(() => database.drop());
      const processes = await Promise.all([1, 2].map(() => startService({ DATABASE_URL: database.url })));
      running.push(...processes);
      urls = processes.map((process) => process.url);

      const end = await runLifecycle(new Service(urls));
      const pool = new pg.Pool({ connectionString: database.url, max: 1 });
      try {
        await expectLedgerBalanced(async (sql) => (await pool.query(sql)).rows);
      } finally {
        await pool.end();
      }

      expect(end).toMatchObject(EXPECTED_END);
    }, 120_000);

    it('never pays a creator whose onboarding, started on one process, is not complete on the other (D8)', async () => {
      const service = new Service(urls);
      const user = `consumer-${randomUUID()}`;
      const creator = `creator-${randomUUID()}`;
      const [token, creatorToken, toolRunner] = await Promise.all([service.token(user), service.token(creator), service.token('tool-runner', 'service')]);
      const deposit = await service.send('POST', '/api/balance/deposit', { token, body: { amount_cents: 5_000, ...URLS } });
      await service.send('GET', `/api/balance/verify?session_id=${await service.payCheckout(deposit.json.url)}`, { token });
      await service.graphql(toolRunner, 'mutation ($input: ChargeToolCallInput!) { chargeToolCall(input: $input) { chargeId } }', {
        input: { consumerId: user, creatorId: creator, toolId: 'tool-1', priceCents: 2_500, idempotencyKey: `${creator}-1` },
      });

      const first = new Service([urls[0]!]);
      const second = new Service([urls[1]!]);
      await first.graphql(creatorToken, 'mutation ($returnUrl: String!) { startPayoutOnboarding(returnUrl: $returnUrl, refreshUrl: $returnUrl) { url } }', { returnUrl: RETURN_URL });
      const payout = await second.send('POST', '/graphql', { token: creatorToken, body: { query: 'mutation { requestPayout { id status } }' } });
      const settings = await second.graphql(creatorToken, '{ payoutSettings { onboardingStatus } developerBalance { availableCents } }');

      expect(payout.json.data?.requestPayout ?? null).toBeNull();
      expect(payout.json.errors?.[0]?.extensions?.code).toBe('CONFLICT');
      expect(settings).toEqual({ payoutSettings: { onboardingStatus: 'pending' }, developerBalance: { availableCents: 2_000 } });
    }, 60_000);
  });
});
