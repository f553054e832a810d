import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { openDatabase, type Database } from '../../adapters/persistence/database.ts';
import type { PaymentGateway } from '../../application/billing/payment-gateway.port.ts';
import { PLAN_CHANGE_REPOSITORY } from '../../application/billing/plan-change.repository.ts';
import { resolve } from '../../api/container.ts';
import { aUserId } from '../support/builders.ts';
import { createPostgresDatabase, postgresUrl, type TestDatabase } from '../support/databases.ts';
import { STRIPE_WEBHOOK_SECRET, stripeSignature } from '../support/provider-events.ts';
import { startProviderFakes, type ProviderFakes } from '../support/provider-fakes.ts';
import { makeTestApp, signToken } from '../support/test-app.ts';

const URLS = { successUrl: 'https://app.aerostack.dev/settings/billing?success=true', cancelUrl: 'https://app.aerostack.dev/settings/billing' };
const LOCK_NOT_AVAILABLE = '55P03';
type SubscriptionCall = 'cancelSubscription' | 'changeSubscriptionInterval';

/**
 * Cancelling renewal and changing the billing interval call the provider (retries, a timeout of
 * seconds): no row lock may be held meanwhile, or every other writer of the account waits on it.
 */
describe.skipIf(!postgresUrl)('subscription changes call the provider with no lock held, on PostgreSQL', () => {
  let created: TestDatabase;
  let database: Database;
  let probe: pg.Client;
  let fakes: ProviderFakes;
  /** Runs while the provider call is pending, before Stripe is asked. */
  let whileCalling: ((call: SubscriptionCall) => Promise<void>) | null = null;

  beforeAll(async () => {
    created = await createPostgresDatabase(postgresUrl!);
    database = await openDatabase({ url: created.url, dataDir: '', poolMax: 5 });
    await database.migrate();
    probe = new pg.Client({ connectionString: created.url });
    await probe.connect();
    fakes = await startProviderFakes();
  });
  afterAll(async () => {
    await probe?.end();
    await database?.close();
    await created?.drop();
    await fakes?.stop();
  });

  function setup() {
    const stripe = fakes.gateways.stripe!;
    const watched: PaymentGateway = Object.assign(Object.create(stripe) as PaymentGateway, {
      async cancelSubscription(subscriptionId: string) {
        await whileCalling?.('cancelSubscription');
        return stripe.cancelSubscription(subscriptionId);
      },
      async changeSubscriptionInterval(input: Parameters<PaymentGateway['changeSubscriptionInterval']>[0]) {
        await whileCalling?.('changeSubscriptionInterval');
        return stripe.changeSubscriptionInterval(input);
      },
    });
    const testApp = makeTestApp({ database, gateways: { ...fakes.gateways, stripe: watched }, env: { STRIPE_WEBHOOK_SECRET } });
    const billing = async (token: string) => (await testApp.graphql('{ billing { planTier billingInterval status currentPeriodEnd } }', { token })).data.billing;
    const reasons = async (userId: string) => (await resolve(testApp.container, PLAN_CHANGE_REPOSITORY).listForUser(userId, 20)).map((change) => change.reason).sort();
    /** Stripe delivers the event about `objectId` as it is now; the workers apply it. */
    const deliver = async (type: string, objectId: string) => {
      const body = fakes.stripe.eventFor(type, objectId);
      const response = await testApp.app.request('/api/billing/webhook', { method: 'POST', headers: { 'stripe-signature': stripeSignature(body), 'content-type': 'application/json' }, body });
      expect(response.status).toBe(200);
      await testApp.applyEvents();
    };

    /** A US user who paid a pro monthly checkout at Stripe and verified it. */
    async function aSubscriber() {
      const userId = aUserId();
      const token = await signToken({ sub: userId, country: 'US', expiresIn: '2h' });
      const { data } = await testApp.graphql('mutation ($input: StartPlanCheckoutInput!) { startPlanCheckout(input: $input) { sessionId } }', {
        token,
        variables: { input: { tier: 'pro', billingInterval: 'monthly', ...URLS } },
      });
      const sessionId = data.startPlanCheckout.sessionId as string;
      const { rows } = await probe.query<{ provider_session_id: string }>('select provider_session_id from checkout_sessions where id = $1', [sessionId]);
      const { subscriptionId } = fakes.stripe.completeCheckout(rows[0]!.provider_session_id);
      expect((await testApp.request(`/api/billing/verify-session?session_id=${sessionId}`, { token })).status).toBe(200);
      return { userId, token, subscriptionId };
    }
    return { ...testApp, billing, reasons, deliver, aSubscriber };
  }

  /** Whether another connection can take the account's row lock at once, asked while the provider call is pending. */
  async function lockIsFree(userId: string): Promise<boolean> {
    try {
      await probe.query('select user_id from account_plans where user_id = $1 for update nowait', [userId]);
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === LOCK_NOT_AVAILABLE) return false;
      throw error;
    }
  }

  it("leaves the account's row unlocked while Stripe is asked to change the interval and to stop renewal", async () => {
    const { graphql, reasons, aSubscriber } = setup();
    const { userId, token } = await aSubscriber();
    const seen: Array<[SubscriptionCall, boolean]> = [];
    whileCalling = async (call) => void seen.push([call, await lockIsFree(userId)]);
    try {
      const changed = await graphql('mutation { changeBillingInterval(billingInterval: yearly) { billingInterval } }', { token });
      const canceled = await graphql('mutation { cancelSubscription { status } }', { token });

      expect(changed.data.changeBillingInterval).toEqual({ billingInterval: 'yearly' });
      expect(canceled.data.cancelSubscription).toEqual({ status: 'canceled' });
    } finally {
      whileCalling = null;
    }
    expect(seen).toEqual([
      ['changeSubscriptionInterval', true],
      ['cancelSubscription', true],
    ]);
    expect(await reasons(userId)).toEqual(['cancel_renewal', 'checkout', 'interval_change']);
  });

  it('answers CONFLICT and writes nothing when a renewal is applied while Stripe is asked to stop renewal; asked again, it stops it once', async () => {
    const { graphql, billing, reasons, deliver, aSubscriber } = setup();
    const { userId, token, subscriptionId } = await aSubscriber();
    const before = await billing(token);
    whileCalling = async () => {
      fakes.stripe.renewSubscription(subscriptionId);
      await deliver('customer.subscription.updated', subscriptionId);
    };
    let raced;
    try {
      raced = await graphql('mutation { cancelSubscription { status } }', { token });
    } finally {
      whileCalling = null;
    }
    const renewed = await billing(token);
    const again = await graphql('mutation { cancelSubscription { status currentPeriodEnd } }', { token });

    expect(raced.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(raced.errors?.[0]?.message).toMatch(/changed while the provider was being asked/);
    expect(renewed).toMatchObject({ planTier: 'pro', status: 'active' });
    expect(new Date(renewed.currentPeriodEnd).getTime()).toBeGreaterThan(new Date(before.currentPeriodEnd).getTime());
    expect(fakes.stripe.subscription(subscriptionId)!['cancel_at_period_end']).toBe(true);
    expect(again.data.cancelSubscription).toEqual({ status: 'canceled', currentPeriodEnd: renewed.currentPeriodEnd });
    expect((await reasons(userId)).filter((reason) => reason === 'cancel_renewal')).toHaveLength(1);
  });
});
