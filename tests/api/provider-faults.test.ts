import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../adapters/persistence/database.ts';
import { StripePaymentGateway } from '../../adapters/stripe/stripe.payment-gateway.ts';
import { StripePayoutGateway } from '../../adapters/stripe/stripe.payout-gateway.ts';
import { ResendUnansweredPayouts } from '../../application/payouts/resend-unanswered-payouts.use-case.ts';
import { resolve } from '../../api/container.ts';
import { StripeFake } from '../fakes/stripe-fake.ts';
import { aUserId } from '../support/builders.ts';
import { BACKENDS, openTestDatabase } from '../support/databases.ts';
import { STRIPE_WEBHOOK_SECRET, stripeSignature } from '../support/provider-events.ts';
import { makeTestApp, signToken } from '../support/test-app.ts';

/**
 * Stripe failing in the middle of a flow, through the official SDK against the local fake: the
 * service's own state and money stay right, and the retry (the client's, or the service's own
 * reconciliation) completes the work once.
 */
const SECRET_KEY = 'sk_test_provider_faults';
/** Short, so that a delayed answer counts as lost; the SDK still retries twice with the same key. */
const TIMEOUT_MS = 300;
const SOMETHING_WENT_WRONG = { status: 500, type: 'api_error', message: 'Something went wrong on Stripe’s end.' } as const;
const URLS = { successUrl: 'https://app.aerostack.dev/wallet?paid=1', cancelUrl: 'https://app.aerostack.dev/wallet' };
const RETURN_URL = 'https://app.aerostack.dev/settings/payouts';
/** Deposits need no Price; the gateway is built with the ids a deployment configures all the same. */
const PRICE_IDS = {
  starter: { monthly: 'price_sm', yearly: 'price_sy' },
  pro: { monthly: 'price_pm', yearly: 'price_py' },
  business: { monthly: 'price_bm', yearly: 'price_by' },
};

const fake = new StripeFake({ secretKey: SECRET_KEY, prices: [] });
let api: { host: string; port: number; protocol: 'http' };

beforeAll(async () => {
  api = await fake.start();
});
afterAll(async () => {
  await fake.stop();
});

describe.each(BACKENDS)('Stripe failing mid-flow, stored %s', (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  function setup() {
    let now = Date.now();
    const testApp = makeTestApp({
      database,
      env: { STRIPE_WEBHOOK_SECRET },
      clock: { now: () => new Date(now) },
      gateways: { stripe: new StripePaymentGateway({ secretKey: SECRET_KEY, priceIds: PRICE_IDS, api, timeoutMs: TIMEOUT_MS }) },
      payoutGateways: { stripe: new StripePayoutGateway({ secretKey: SECRET_KEY, api, timeoutMs: TIMEOUT_MS }) },
    });
    const { graphql } = testApp;

    async function startDeposit(token: string, cents: number) {
      return graphql('mutation ($c: Int!, $s: String!, $x: String!) { startDeposit(amountCents: $c, successUrl: $s, cancelUrl: $x) { url sessionId } }', {
        token,
        variables: { c: cents, s: URLS.successUrl, x: URLS.cancelUrl },
      });
    }

    /** The customer pays on Stripe's page; the webhook and the browser's verify then race. */
    async function pay(token: string, started: { url: string; sessionId: string }) {
      const providerSessionId = /cs_[\w]+/.exec(started.url)![0];
      fake.completeCheckout(providerSessionId);
      const body = fake.eventFor('checkout.session.completed', providerSessionId);
      const [webhook, verified] = await Promise.all([
        testApp.app.request('/api/billing/webhook', { method: 'POST', headers: { 'stripe-signature': stripeSignature(body), 'content-type': 'application/json' }, body }),
        testApp.request(`/api/balance/verify?session_id=${started.sessionId}`, { token }),
        testApp.applyEvents(),
      ]);
      await testApp.applyEvents();
      return { webhook: webhook.status, verified: verified.json() };
    }

    const walletCents = async (token: string) => (await graphql('{ wallet { balanceCents } }', { token })).data.wallet.balanceCents as number;

    /** A creator who earned `earnedCents` from a consumer's paid calls and onboarded with Stripe Connect. */
    async function aVerifiedCreatorWhoEarned(earnedCents: number) {
      const consumerId = aUserId();
      const consumer = await signToken({ sub: consumerId, country: 'US' });
      const creatorId = aUserId();
      const creator = await signToken({ sub: creatorId, country: 'US' });
      const priceCents = (earnedCents * 10) / 8;
      await pay(consumer, (await startDeposit(consumer, Math.max(priceCents, 500))).data.startDeposit);
      const charged = await graphql('mutation ($i: ChargeToolCallInput!) { chargeToolCall(input: $i) { chargeId } }', {
        token: await signToken({ sub: 'tool-runner', role: 'service' }),
        variables: { i: { consumerId, creatorId, toolId: 'tool', priceCents, idempotencyKey: `${creatorId}-1` } },
      });
      expect(charged.errors).toBeUndefined();
      const onboarding = await graphql('mutation ($r: String!) { startPayoutOnboarding(returnUrl: $r, refreshUrl: $r) { url } }', { token: creator, variables: { r: RETURN_URL } });
      fake.verifyAccount(/\/setup\/e\/(acct_\w+)\//.exec(onboarding.data.startPayoutOnboarding.url)![1]!);
      expect((await graphql('{ payoutSettings { onboardingStatus } }', { token: creator })).data.payoutSettings.onboardingStatus).toBe('verified');
      return { creatorId, creator };
    }

    async function balances(token: string) {
      const { data } = await graphql('{ developerBalance { availableCents pendingCents } payouts(first: 10) { edges { node { id status } } } }', { token });
      return { ...data.developerBalance, payouts: data.payouts.edges.map((edge: { node: { status: string } }) => edge.node.status) };
    }

    /** The reconciliation, run as the schedule runs it, once the payout is old enough to send again. */
    async function reconcileLater() {
      now += 6 * 60 * 1000;
      return resolve(testApp.container, ResendUnansweredPayouts).execute();
    }

    return { ...testApp, startDeposit, pay, walletCents, aVerifiedCreatorWhoEarned, balances, reconcileLater };
  }

  it('opens no deposit when Stripe answers 500 past the SDK retries, and credits the retried one once when its first answer is lost', async () => {
    const { startDeposit, pay, walletCents } = setup();
    const token = await signToken({ sub: aUserId(), country: 'US' });
    const sessionsBefore = fake.requestsTo('POST', '/v1/checkout/sessions').length;

    fake.failNext(SOMETHING_WENT_WRONG, 3);
    const refused = await startDeposit(token, 2_500);
    // The retry's first answer is lost in a timeout: the SDK sends it again with the same key.
    fake.delayNext(TIMEOUT_MS * 3);
    const started = await startDeposit(token, 2_500);
    const paid = await pay(token, started.data.startDeposit);

    expect(refused.errors?.[0].extensions.code).toBe('PROVIDER_ERROR');
    const attempts = fake.requestsTo('POST', '/v1/checkout/sessions').slice(sessionsBefore);
    expect(attempts).toHaveLength(5);
    // Two keys: the refused checkout's and the retried one's, which Stripe saw twice and made once.
    expect(new Set(attempts.map((attempt) => attempt.idempotencyKey)).size).toBe(2);
    expect(paid).toEqual({ webhook: 200, verified: { deposited: true, amount_cents: 2_500 } });
    expect(await walletCents(token)).toBe(2_500);
  });

  it('pays a payout once when Stripe made the transfer but every answer was lost, once the reconciliation sends it again', async () => {
    const { aVerifiedCreatorWhoEarned, graphql, balances, reconcileLater } = setup();
    const { creator } = await aVerifiedCreatorWhoEarned(2_000);

    // Each of the SDK's three attempts reaches Stripe (the first makes the transfer) and times out.
    for (let attempt = 0; attempt < 3; attempt++) fake.delayNext(TIMEOUT_MS * 3);
    const requested = (await graphql('mutation { requestPayout { id status } }', { token: creator })).data.requestPayout;
    const inFlight = await balances(creator);
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS * 3));
    const report = await reconcileLater();

    const made = fake.transfers().filter((transfer) => (transfer['metadata'] as Record<string, string>)['payout_id'] === requested.id);
    expect(requested.status).toBe('pending');
    expect(inFlight).toEqual({ availableCents: 0, pendingCents: 2_000, payouts: ['pending'] });
    expect(report).toEqual({ resent: 1, failed: 0 });
    expect(made).toHaveLength(1);
    expect(await balances(creator)).toEqual({ availableCents: 0, pendingCents: 0, payouts: ['paid'] });
  });

  it('keeps a payout pending while Stripe answers 500, and pays it once when the reconciliation finds Stripe back', async () => {
    const { aVerifiedCreatorWhoEarned, graphql, balances, reconcileLater } = setup();
    const { creator } = await aVerifiedCreatorWhoEarned(1_600);

    fake.failNext(SOMETHING_WENT_WRONG, 3);
    const requested = (await graphql('mutation { requestPayout { id status } }', { token: creator })).data.requestPayout;
    const report = await reconcileLater();

    const made = fake.transfers().filter((transfer) => (transfer['metadata'] as Record<string, string>)['payout_id'] === requested.id);
    expect(requested.status).toBe('pending');
    expect(report).toEqual({ resent: 1, failed: 0 });
    expect(made).toHaveLength(1);
    expect(await balances(creator)).toEqual({ availableCents: 0, pendingCents: 0, payouts: ['paid'] });
  });
});
