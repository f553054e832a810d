import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../adapters/persistence/database.ts';
import { CHECKOUT_SESSION_REPOSITORY } from '../../application/billing/checkout-session.repository.ts';
import { resolve } from '../../api/container.ts';
import { aUserId } from '../support/builders.ts';
import { createPostgresDatabase, postgresUrl, type TestDatabase } from '../support/databases.ts';
import { STRIPE_WEBHOOK_SECRET, stripeSignature } from '../support/provider-events.ts';
import { startProviderFakes, STRIPE_PRICE_IDS, type ProviderFakes } from '../support/provider-fakes.ts';
import { makeTestApp, signToken } from '../support/test-app.ts';
import { expectLedgerBalanced } from '../support/ledger-checks.ts';

/**
 * A customer's whole provider history, generated: a subscription that changes price, fails and
 * recovers, is canceled at period end or deleted; a deposit refunded and disputed (won, lost);
 * a Connect account verified and restricted. Each change at the (fake) provider sends an event
 * carrying a snapshot of that moment. The events are delivered in any order, with duplicates,
 * the same second throughout, redeliveries under new event ids and admin replays, some while the
 * provider is still changing and some long after, to two
 * service instances on one PostgreSQL whose workers run at any moment in between. The end state
 * must be the one the provider's objects hold: a worker that applied payloads would end on
 * whichever snapshot came last.
 *
 * PROPERTY_RUNS_SCALE multiplies the number of runs (and PROPERTY_SEED fixes the seed).
 */
const SCALE = Math.max(0.1, Number(process.env['PROPERTY_RUNS_SCALE'] ?? '1') || 1);
const SEED = process.env['PROPERTY_SEED'] ? Number(process.env['PROPERTY_SEED']) : undefined;
const RUNS = Math.ceil(8 * SCALE);
const DEPOSIT_CENTS = 4_000;
const ONE_SECOND = new Date(Math.floor(Date.now() / 1000) * 1000);
const PLANS = Object.entries(STRIPE_PRICE_IDS).flatMap(([tier, byInterval]) => Object.entries(byInterval).map(([interval, priceId]) => ({ tier, interval, priceId })));
const URLS = { successUrl: 'https://app.aerostack.dev/settings/billing?success=true', cancelUrl: 'https://app.aerostack.dev/settings/billing' };

type Change =
  | { readonly kind: 'status'; readonly status: 'active' | 'past_due' | 'unpaid' | 'trialing' }
  | { readonly kind: 'price'; readonly plan: number }
  | { readonly kind: 'renew' }
  | { readonly kind: 'cancel_at_period_end' }
  | { readonly kind: 'delete' }
  | { readonly kind: 'refund'; readonly cents: number }
  | { readonly kind: 'dispute'; readonly inquiry: boolean }
  | { readonly kind: 'dispute_closed'; readonly won: boolean }
  | { readonly kind: 'account'; readonly verified: boolean };

const change: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ kind: fc.constant('status' as const), status: fc.constantFrom('active' as const, 'past_due' as const, 'unpaid' as const, 'trialing' as const) }),
  fc.record({ kind: fc.constant('price' as const), plan: fc.nat({ max: PLANS.length - 1 }) }),
  fc.constant({ kind: 'renew' as const }),
  fc.constant({ kind: 'cancel_at_period_end' as const }),
  fc.constant({ kind: 'delete' as const }),
  fc.record({ kind: fc.constant('refund' as const), cents: fc.integer({ min: 1, max: 1_500 }) }),
  fc.record({ kind: fc.constant('dispute' as const), inquiry: fc.boolean() }),
  fc.record({ kind: fc.constant('dispute_closed' as const), won: fc.boolean() }),
  fc.record({ kind: fc.constant('account' as const), verified: fc.boolean() }),
);

interface Delivery {
  readonly copies: number;
  readonly newIdForCopy: boolean;
  readonly instance: number;
  readonly applyAfter: 'none' | 'one' | 'both';
  readonly replayAfter: boolean;
}

/** How each event is delivered: the copies it arrives in, under which id, at which instance, and whether workers run after it. */
const delivery: fc.Arbitrary<Delivery> = fc.record({
  copies: fc.integer({ min: 1, max: 3 }),
  newIdForCopy: fc.boolean(),
  instance: fc.nat({ max: 1 }),
  applyAfter: fc.constantFrom('none' as const, 'one' as const, 'both' as const),
  replayAfter: fc.boolean(),
});

describe.runIf(postgresUrl)('a customer provider history delivered any way to two instances (property)', () => {
  let created: TestDatabase;
  let databases: Database[];
  let fakes: ProviderFakes;

  beforeAll(async () => {
    created = await createPostgresDatabase(postgresUrl!);
    fakes = await startProviderFakes();
    databases = [];
    for (let instance = 0; instance < 2; instance++) {
      const database = await openDatabase({ url: created.url, dataDir: '', poolMax: 4 });
      await database.migrate();
      databases.push(database);
    }
  }, 60_000);
  afterAll(async () => {
    await pool?.end();
    await Promise.all((databases ?? []).map((database) => database.close()));
    await fakes?.stop();
    await created?.drop();
  });

  it('ends in the state the provider objects hold, with the ledger balanced', async () => {
    const instances = databases.map((database) =>
      makeTestApp({ database, gateways: fakes.gateways, payoutGateways: fakes.payoutGateways, env: { STRIPE_WEBHOOK_SECRET } }),
    );
    const [first] = instances;
    const admin = await signToken({ sub: 'ops', role: 'admin' });

    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(change, delivery), { minLength: 1, maxLength: 14 }), fc.infiniteStream(fc.nat()), async (history, shuffle) => {
        const customer = await aCustomer(fakes, first!);
        // Events wait in the network, to be delivered later and in any order, while the provider changes on.
        const inFlight: { body: string; how: Delivery }[] = [];
        const deliverSome = async (count: number) => {
          for (let n = 0; n < count && inFlight.length > 0; n++) {
            const [{ body, how }] = inFlight.splice(shuffle.next().value % inFlight.length, 1) as [{ body: string; how: Delivery }];
            const instance = instances[how.instance]!;
            for (let copy = 0; copy < how.copies; copy++) await deliver(instance, copy > 0 && how.newIdForCopy ? withNewId(body) : body);
            if (how.applyAfter === 'one') await instance.applyEvents();
            if (how.applyAfter === 'both') await Promise.all(instances.map((each) => each.applyEvents()));
            if (how.replayAfter) {
              for (const inboxId of await eventIdsOf(created.url, String(JSON.parse(body).id))) {
                await instance.graphql(`mutation { replayWebhookEvent(id: "${inboxId}") { id } }`, { token: admin });
              }
            }
          }
        };
        for (const [next, how] of history) {
          for (const body of await applyChange(fakes, customer, next)) inFlight.push({ body, how });
          await deliverSome(shuffle.next().value % (inFlight.length + 1));
        }
        await deliverSome(inFlight.length);
        await Promise.all(instances.map((each) => each.applyEvents()));
        await Promise.all(instances.map((each) => each.applyEvents()));

        const expected = expectedState(fakes, customer);
        const billing = (await first!.graphql('{ billing { planTier billingInterval status } }', { token: customer.token })).data.billing;
        const wallet = (await first!.graphql('{ wallet { balanceCents } }', { token: customer.token })).data.wallet;
        const payouts = (await first!.graphql('{ payoutSettings { onboardingStatus } }', { token: customer.token })).data.payoutSettings;
        expect({ billing, wallet: wallet.balanceCents, onboarding: payouts.onboardingStatus }).toEqual(expected);
        await expectLedgerBalanced((text) => query(created.url, text));
        expect(await pendingEvents(created.url)).toBe(0);
      }),
      { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }), endOnFailure: true },
    );
  }, 300_000);
});

interface Customer {
  readonly userId: string;
  readonly token: string;
  readonly subscriptionId: string;
  readonly paymentIntentId: string;
  readonly accountId: string;
  /** What the history did so far, to keep each change one the provider would allow. */
  deleted: boolean;
  disputeId: string | null;
  refundedCents: number;
}

/** A US customer who subscribed (pro monthly), deposited $40.00 and started payout onboarding, all through the service and the Stripe fake. */
async function aCustomer(fakes: ProviderFakes, app: ReturnType<typeof makeTestApp>): Promise<Customer> {
  const userId = aUserId();
  const token = await signToken({ sub: userId, country: 'US', expiresIn: '2h' });
  const sessions = resolve(app.container, CHECKOUT_SESSION_REPOSITORY);
  const plan = await app.graphql('mutation ($input: StartPlanCheckoutInput!) { startPlanCheckout(input: $input) { sessionId } }', {
    token,
    variables: { input: { tier: 'pro', billingInterval: 'monthly', ...URLS } },
  });
  const planSession = await sessions.findByReference(plan.data.startPlanCheckout.sessionId);
  const { subscriptionId } = fakes.stripe.completeCheckout(planSession!.providerSessionId!);
  await app.request(`/api/billing/verify-session?session_id=${planSession!.id}`, { token });
  const deposit = await app.graphql(`mutation { startDeposit(amountCents: ${DEPOSIT_CENTS}, successUrl: "${URLS.successUrl}", cancelUrl: "${URLS.cancelUrl}") { sessionId } }`, { token });
  const depositSession = await sessions.findByReference(deposit.data.startDeposit.sessionId);
  const { paymentIntentId } = fakes.stripe.completeCheckout(depositSession!.providerSessionId!);
  await app.request(`/api/balance/verify?session_id=${depositSession!.id}`, { token });
  await app.graphql('mutation { startPayoutOnboarding(returnUrl: "https://app.aerostack.dev/p", refreshUrl: "https://app.aerostack.dev/p") { status } }', { token });
  const accountId = fakes.stripe.requestsTo('POST', '/v1/account_links').at(-1)!.body['account'] as string;
  return { userId, token, subscriptionId, paymentIntentId: paymentIntentId!, accountId, deleted: false, disputeId: null, refundedCents: 0 };
}

/** Makes the change at the fake, as the provider would, and returns the events it sends (snapshots of now, all in one second). */
async function applyChange(fakes: ProviderFakes, customer: Customer, next: Change): Promise<string[]> {
  const stripe = fakes.stripe;
  const event = (type: string, id: string) => stripe.eventFor(type, id, { createdAt: ONE_SECOND });
  const subscriptionEvents = (...types: string[]) => types.map((type) => event(type, customer.subscriptionId));
  if (customer.deleted && ['status', 'price', 'renew', 'cancel_at_period_end', 'delete'].includes(next.kind)) return [];
  switch (next.kind) {
    case 'status':
      stripe.setSubscriptionStatus(customer.subscriptionId, next.status);
      return subscriptionEvents(next.status === 'past_due' || next.status === 'unpaid' ? 'invoice.payment_failed' : 'invoice.paid', 'customer.subscription.updated');
    case 'price':
      stripe.changeSubscriptionPrice(customer.subscriptionId, PLANS[next.plan]!.priceId);
      return subscriptionEvents('customer.subscription.updated');
    case 'renew':
      if (stripe.subscription(customer.subscriptionId)!['cancel_at_period_end'] === true) return [];
      stripe.renewSubscription(customer.subscriptionId);
      return subscriptionEvents('invoice.paid', 'invoice.payment_succeeded', 'customer.subscription.updated');
    case 'cancel_at_period_end':
      // Through the service's own gateway, as cancelSubscription asks Stripe.
      await fakes.gateways.stripe!.cancelSubscription(customer.subscriptionId);
      return subscriptionEvents('customer.subscription.updated');
    case 'delete':
      stripe.cancelSubscriptionNow(customer.subscriptionId);
      customer.deleted = true;
      return subscriptionEvents('customer.subscription.updated', 'customer.subscription.deleted');
    case 'refund': {
      const cents = Math.min(next.cents, DEPOSIT_CENTS - customer.refundedCents);
      if (cents <= 0) return [];
      stripe.refund(customer.paymentIntentId, cents);
      customer.refundedCents += cents;
      return [event('charge.refunded', customer.paymentIntentId)];
    }
    case 'dispute':
      if (customer.disputeId) return [];
      customer.disputeId = stripe.openDispute(customer.paymentIntentId, DEPOSIT_CENTS, next.inquiry ? 'warning_needs_response' : 'needs_response');
      return [event('charge.dispute.created', customer.disputeId)];
    case 'dispute_closed': {
      if (!customer.disputeId) return [];
      const status = stripe.dispute(customer.disputeId)!['status'] as string;
      if (['won', 'lost', 'warning_closed'].includes(status)) return [];
      stripe.setDisputeStatus(customer.disputeId, status.startsWith('warning_') ? 'warning_closed' : next.won ? 'won' : 'lost');
      return [event('charge.dispute.closed', customer.disputeId)];
    }
    case 'account':
      if (next.verified) stripe.verifyAccount(customer.accountId);
      else stripe.restrictAccount(customer.accountId, 'The document is expired.', 'rejected.fraud');
      return [event('account.updated', customer.accountId)];
  }
}

/** The state the service must show, read from the fake's objects as they are now. */
function expectedState(fakes: ProviderFakes, customer: Customer) {
  const subscription = fakes.stripe.subscription(customer.subscriptionId) as {
    status: string;
    cancel_at_period_end: boolean;
    items: { data: { price: { id: string } }[] };
  };
  const plan = PLANS.find((candidate) => candidate.priceId === subscription.items.data[0]!.price.id)!;
  const billing =
    // Ended, or lapsed (Stripe gave up retrying): no tier.
    subscription.status === 'canceled' || subscription.status === 'unpaid'
      ? { planTier: 'free', billingInterval: null, status: 'active' }
      : {
          planTier: plan.tier,
          billingInterval: plan.interval,
          status: subscription.status === 'past_due' ? 'past_due' : subscription.cancel_at_period_end ? 'canceled' : 'active',
        };
  const charge = fakes.stripe.charge(fakes.stripe.paymentIntent(customer.paymentIntentId)!['latest_charge'] as string) as { amount_refunded: number };
  const disputeStatus = customer.disputeId ? (fakes.stripe.dispute(customer.disputeId)!['status'] as string) : null;
  const disputed = disputeStatus && ['needs_response', 'under_review', 'lost'].includes(disputeStatus) ? DEPOSIT_CENTS : 0;
  const takenBack = Math.min(DEPOSIT_CENTS, charge.amount_refunded + disputed);
  const account = fakes.stripe.account(customer.accountId) as { payouts_enabled: boolean; requirements: { disabled_reason: string | null } };
  const onboarding = account.requirements.disabled_reason?.startsWith('rejected') ? 'restricted' : account.payouts_enabled ? 'verified' : 'pending';
  return { billing, wallet: DEPOSIT_CENTS - takenBack, onboarding };
}

async function deliver(app: ReturnType<typeof makeTestApp>, body: string): Promise<void> {
  const response = await app.app.request('/api/billing/webhook', { method: 'POST', headers: { 'stripe-signature': stripeSignature(body), 'content-type': 'application/json' }, body });
  expect(response.status).toBe(200);
}

/** The same event, as Stripe would send it again under a new event id. */
function withNewId(body: string): string {
  const event = JSON.parse(body) as { id: string };
  return JSON.stringify({ ...event, id: `${event.id}_again_${Math.random().toString(36).slice(2, 8)}` });
}

/** The test's own queries, on one small pool (other test files share the server). */
let pool: pg.Pool | undefined;

async function query<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  if (!pool) {
    pool = new pg.Pool({ connectionString: url, max: 2 });
    // The database is dropped (with force) at the end: a connection still closing then hears
    // "terminating connection", which is expected, not a failure of the test.
    pool.on('error', () => undefined);
  }
  return (await pool.query<T>(text, values)).rows;
}

async function eventIdsOf(url: string, eventId: string): Promise<string[]> {
  return (await query<{ id: string }>(url, 'select id::text as id from webhook_events where provider = $1 and event_id = $2', ['stripe', eventId])).map((row) => row.id);
}

async function pendingEvents(url: string): Promise<number> {
  return Number((await query<{ n: string }>(url, `select count(*) as n from webhook_events where status = 'pending'`))[0]!.n);
}

