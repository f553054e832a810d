import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../adapters/persistence/database.ts';
import { SandboxPaymentGateway } from '../../adapters/sandbox/sandbox.payment-gateway.ts';
import { refundedMinor } from '../../adapters/sandbox/sandbox.store.ts';
import { CHECKOUT_SESSION_REPOSITORY } from '../../application/billing/checkout-session.repository.ts';
import type { PaymentGateway } from '../../application/billing/payment-gateway.port.ts';
import { PLAN_CHANGE_REPOSITORY } from '../../application/billing/plan-change.repository.ts';
import { ReconcileCheckouts } from '../../application/billing/reconcile-checkouts.use-case.ts';
import { SettleDuplicateSubscriptions, settlementRetryDelayMs } from '../../application/billing/settle-duplicate-subscriptions.use-case.ts';
import { REQUEST_SCOPE } from '../../application/shared/request-scope.port.ts';
import { resolve, SANDBOX_PROVIDER } from '../../api/container.ts';
import { aUserId, FixedClock } from '../support/builders.ts';
import { BACKENDS, openTestDatabase } from '../support/databases.ts';
import { expectLedgerBalanced } from '../support/ledger-checks.ts';
import { STRIPE_WEBHOOK_SECRET, stripeSignature } from '../support/provider-events.ts';
import { startProviderFakes, type ProviderFakes } from '../support/provider-fakes.ts';
import { makeTestApp, signToken } from '../support/test-app.ts';

const URLS = { successUrl: 'https://app.aerostack.dev/settings/billing?success=true', cancelUrl: 'https://app.aerostack.dev/settings/billing' };
/** D2's two plans: pro monthly ($49), then business yearly ($1,791). */
const PRO_MONTHLY_CENTS = 4_900;
const BUSINESS_YEARLY_CENTS = 179_100;
const RECORD_FIELDS =
  'id userId gateway keptSessionId canceledSessionId subscriptionId paymentId amountMinor currency status attempts lastError subscriptionCanceledAt refundId refundedMinor refundedAt settledAt';

type Provider = 'sandbox' | 'Stripe fake';
/** How both checkouts come to be paid: opened at the same moment (neither saw the other), or the earlier paid while the later one was expiring it. */
type Race = 'opened together' | 'paid while expiring';

/**
 * The real gateway, except that the next plan checkout it creates waits until released: two
 * openings in flight at once (two tabs), made deterministic. Every call reaches the provider.
 */
class HoldingGateway {
  target: PaymentGateway | null = null;
  private hold: { entered: () => void; released: Promise<void> } | null = null;
  readonly gateway: PaymentGateway = new Proxy({} as PaymentGateway, {
    get: (_, property: keyof PaymentGateway) => {
      const target = this.target!;
      if (property === 'createPlanCheckout') {
        return async (request: Parameters<PaymentGateway['createPlanCheckout']>[0]) => {
          const hold = this.hold;
          this.hold = null;
          if (hold) {
            hold.entered();
            await hold.released;
          }
          return target.createPlanCheckout(request);
        };
      }
      const value = target[property];
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });

  /** The next plan checkout waits inside the provider call: `entered` once it got there, `release` to let it go on. */
  holdNextCreate(): { entered: Promise<void>; release: () => void } {
    let entered!: () => void;
    let release!: () => void;
    const enteredPromise = new Promise<void>((resolve) => (entered = resolve));
    this.hold = { entered, released: new Promise<void>((resolve) => (release = resolve)) };
    return { entered: enteredPromise, release };
  }
}

const CASES: [Provider, 'memory' | (typeof BACKENDS)[number]][] = [
  ['sandbox', 'memory'],
  ...BACKENDS.map((backend) => ['sandbox', backend] as [Provider, (typeof BACKENDS)[number]]),
  ['Stripe fake', 'memory'],
  ['Stripe fake', BACKENDS[0]!],
];

describe.each(CASES)('one live subscription per account, through the %s, stored %s', (provider, backend) => {
  let database: Database | undefined;
  let fakes: ProviderFakes | undefined;
  beforeAll(async () => {
    if (provider === 'Stripe fake') fakes = await startProviderFakes();
    if (backend !== 'memory') database = await openTestDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
    await fakes?.stop();
  });

  /** The refund requests the Stripe fake received for one payment intent. */
  const refundRequestsFor = (paymentIntentId: string) => fakes!.stripe.requestsTo('POST', '/v1/refunds').filter((call) => call.body['payment_intent'] === paymentIntentId);

  function setup() {
    const clock = new FixedClock(new Date());
    const holding = new HoldingGateway();
    const testApp = makeTestApp({
      database,
      clock,
      gateways: { stripe: holding.gateway, ...(fakes ? { razorpay: fakes.gateways.razorpay } : {}) },
      ...(fakes ? { payoutGateways: fakes.payoutGateways } : {}),
      env: { STRIPE_WEBHOOK_SECRET },
    });
    const { container, graphql, request, app } = testApp;
    holding.target = fakes ? fakes.gateways.stripe! : new SandboxPaymentGateway(resolve(container, SANDBOX_PROVIDER), { region: 'stripe' });
    const sandbox = fakes ? null : resolve(container, SANDBOX_PROVIDER);
    const sessions = resolve(container, CHECKOUT_SESSION_REPOSITORY);
    const scope = resolve(container, REQUEST_SCOPE);
    const admin = signToken({ sub: 'ops-admin', role: 'admin', expiresIn: '1d' });

    async function aUser() {
      const userId = aUserId();
      return { userId, token: await signToken({ sub: userId, country: 'US', expiresIn: '1d' }) };
    }

    /** Opens a plan checkout over GraphQL: our session id, the provider's, and the hosted page. */
    async function openPlan(token: string, tier: string, billingInterval: string) {
      const { data, errors } = await graphql('mutation ($input: StartPlanCheckoutInput!) { startPlanCheckout(input: $input) { sessionId url } }', {
        token,
        variables: { input: { tier, billingInterval, ...URLS } },
      });
      expect(errors).toBeUndefined();
      const { sessionId, url } = data.startPlanCheckout as { sessionId: string; url: string };
      return { sessionId, url, providerSessionId: (await sessions.findByReference(sessionId))!.providerSessionId! };
    }

    /** The user pays on the provider's page; `evenIfExpired`: a payment that was under way when the checkout was expired, which Stripe still confirms. */
    async function pay(checkout: { url: string; providerSessionId: string }, options: { evenIfExpired?: boolean } = {}): Promise<void> {
      if (fakes) {
        fakes.stripe.completeCheckout(checkout.providerSessionId, options);
        return;
      }
      const response = await app.request(`${new URL(checkout.url).pathname}/pay`, { method: 'POST' });
      if (response.status !== 303) throw new Error(`the sandbox refused the payment: ${response.status} ${await response.text()}`);
    }

    const providerCheckoutStatus = async (providerSessionId: string) =>
      fakes ? String(fakes.stripe.checkoutSession(providerSessionId)!['status']) : (await sandbox!.checkout(providerSessionId))!.status;
    /** `live` or `ended`, as the provider holds the subscription. */
    const subscriptionAtProvider = async (subscriptionId: string) => {
      const status = fakes ? String(fakes.stripe.subscription(subscriptionId)!['status']) : (await sandbox!.subscription(subscriptionId))!.status;
      return status === 'canceled' ? 'ended' : 'live';
    };
    /** Each refund the provider made of the payment, in minor units. */
    const refundsAtProvider = async (paymentId: string): Promise<number[]> => {
      if (fakes) {
        const charge = fakes.stripe.charge(String(fakes.stripe.paymentIntent(paymentId)!['latest_charge']))!;
        return (charge['refunds'] as { data: { amount: number }[] }).data.map((refund) => refund.amount);
      }
      const payment = (await sandbox!.payment(paymentId))!;
      expect(refundedMinor(payment)).toBe(payment.refunds.reduce((sum, refund) => sum + refund.amountMinor, 0));
      return payment.refunds.map((refund) => refund.amountMinor);
    };

    const verify = (token: string, sessionId: string) => request(`/api/billing/verify-session?session_id=${sessionId}`, { token });
    const billing = async (token: string) => (await graphql('{ billing { planTier billingInterval status } }', { token })).data.billing;
    const settle = () => scope.run(() => resolve(container, SettleDuplicateSubscriptions).execute());
    async function duplicates(token: Promise<string> | string = admin, filter = '') {
      return graphql(`{ duplicateSubscriptions(first: 50${filter}) { edges { node { ${RECORD_FIELDS} } } pageInfo { hasNextPage } } }`, { token: await token });
    }
    async function duplicatesOf(userId: string) {
      const { data, errors } = await duplicates();
      expect(errors).toBeUndefined();
      return (data.duplicateSubscriptions.edges as { node: Record<string, unknown> }[]).map((edge) => edge.node).filter((node) => node['userId'] === userId);
    }
    const ledgerBalanced = async () => {
      if (database) await expectLedgerBalanced((sql) => database!.orm.em.getConnection().execute(sql));
    };

    /**
     * One user's two plan checkouts, pro monthly then business yearly, both paid before the earlier
     * one could be closed at the provider, neither verified yet.
     */
    async function twoPaidCheckouts(race: Race) {
      const user = await aUser();
      let earlier;
      let later;
      if (race === 'opened together') {
        const held = holding.holdNextCreate();
        const opening = openPlan(user.token, 'pro', 'monthly');
        await held.entered;
        later = await openPlan(user.token, 'business', 'yearly');
        held.release();
        earlier = await opening;
        expect(await providerCheckoutStatus(earlier.providerSessionId)).toBe('open');
        await pay(earlier);
      } else {
        earlier = await openPlan(user.token, 'pro', 'monthly');
        later = await openPlan(user.token, 'business', 'yearly');
        await pay(earlier, { evenIfExpired: true });
      }
      await pay(later);
      return { ...user, earlier, later };
    }

    return {
      ...testApp,
      clock,
      holding,
      sessions,
      aUser,
      openPlan,
      pay,
      verify,
      billing,
      settle,
      duplicates,
      duplicatesOf,
      providerCheckoutStatus,
      subscriptionAtProvider,
      refundsAtProvider,
      ledgerBalanced,
      twoPaidCheckouts,
    };
  }

  /** The races this provider can be made to lose: Stripe confirms a payment under way when a session expired; the sandbox does not. */
  const RACES: Race[] = provider === 'Stripe fake' ? ['opened together', 'paid while expiring'] : ['opened together'];

  it('opening a second plan checkout expires the first at the provider: paying it there is refused, and our session is expired', async () => {
    const { aUser, openPlan, pay, verify, sessions, providerCheckoutStatus } = setup();
    const { token } = await aUser();
    const first = await openPlan(token, 'pro', 'monthly');

    const second = await openPlan(token, 'business', 'yearly');

    expect(await providerCheckoutStatus(first.providerSessionId)).toBe('expired');
    expect((await sessions.findByReference(first.sessionId))!.status).toBe('expired');
    await expect(pay(first)).rejects.toThrow(/expired/);
    expect((await verify(token, first.sessionId)).json().error).toMatch(/expired without payment/);
    expect(await providerCheckoutStatus(second.providerSessionId)).toBe('open');
    expect((await sessions.findByReference(second.sessionId))!.status).toBe('open');
  });

  it('opening a plan checkout when the earlier one was paid meanwhile completes that one and answers 409 CONFLICT, opening nothing new', async () => {
    const { aUser, openPlan, pay, request, billing, sessions } = setup();
    const { userId, token } = await aUser();
    const first = await openPlan(token, 'pro', 'monthly');
    await pay(first);

    const second = await request('/api/billing/checkout', { token, body: { tier: 'business', billing_interval: 'yearly', success_url: URLS.successUrl, cancel_url: URLS.cancelUrl } });

    expect(second.status).toBe(409);
    expect(second.json()).toMatchObject({ code: 'CONFLICT', error: expect.stringContaining('was paid meanwhile') });
    expect(await billing(token)).toEqual({ planTier: 'pro', billingInterval: 'monthly', status: 'active' });
    expect((await sessions.findByReference(first.sessionId))!.status).toBe('completed');
    expect(await sessions.listOpenPlanCheckouts(userId, 10)).toEqual([]);
  });

  it('opening plan checkouts leaves the open deposits alone, which still credit the wallet once paid', async () => {
    const { aUser, openPlan, graphql, request, app, sessions, providerCheckoutStatus, ledgerBalanced } = setup();
    const { token } = await aUser();
    const started = await graphql(`mutation { startDeposit(amountCents: 2500, successUrl: "${URLS.successUrl}", cancelUrl: "${URLS.cancelUrl}") { sessionId url } }`, { token });
    const deposit = started.data.startDeposit as { sessionId: string; url: string };
    const depositAtProvider = (await sessions.findByReference(deposit.sessionId))!.providerSessionId!;

    await openPlan(token, 'pro', 'monthly');
    await openPlan(token, 'business', 'yearly');
    expect(await providerCheckoutStatus(depositAtProvider)).toBe('open');
    if (fakes) fakes.stripe.completeCheckout(depositAtProvider);
    else await app.request(`${new URL(deposit.url).pathname}/pay`, { method: 'POST' });
    const verified = await request(`/api/balance/verify?session_id=${deposit.sessionId}`, { token });

    expect(verified.status).toBe(200);
    expect((await graphql('{ wallet { balanceCents } }', { token })).data.wallet.balanceCents).toBe(2_500);
    await ledgerBalanced();
  });

  describe.each(RACES)('two plan checkouts both paid (%s)', (race) => {
    it.each(['earlier', 'later'] as const)(
      'verified %s first: the later-opened checkout stands, the earlier subscription is canceled at once at the provider and its payment refunded in full, once',
      async (firstVerified) => {
        const { twoPaidCheckouts, verify, billing, sessions, container, subscriptionAtProvider, refundsAtProvider, duplicatesOf, ledgerBalanced } = setup();
        const { userId, token, earlier, later } = await twoPaidCheckouts(race);

        const order = firstVerified === 'earlier' ? [earlier, later] : [later, earlier];
        const answers = [];
        for (const checkout of order) answers.push(await verify(token, checkout.sessionId));
        const [earlierSession, laterSession] = await Promise.all([sessions.findByReference(earlier.sessionId), sessions.findByReference(later.sessionId)]);
        const changes = await resolve(container, PLAN_CHANGE_REPOSITORY).listForUser(userId, 10);
        const [record] = await duplicatesOf(userId);

        expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
        expect(answers.at(-1)!.json()).toEqual({ tier: 'business' });
        expect(await billing(token)).toEqual({ planTier: 'business', billingInterval: 'yearly', status: 'active' });
        expect([earlierSession!.status, laterSession!.status]).toEqual(['completed', 'completed']);
        expect(await subscriptionAtProvider(earlierSession!.providerSubscriptionId!)).toBe('ended');
        expect(await subscriptionAtProvider(laterSession!.providerSubscriptionId!)).toBe('live');
        expect(await refundsAtProvider(earlierSession!.providerPaymentId!)).toEqual([PRO_MONTHLY_CENTS]);
        expect(await refundsAtProvider(laterSession!.providerPaymentId!)).toEqual([]);
        expect([earlierSession!.amountMinor, laterSession!.amountMinor]).toEqual([PRO_MONTHLY_CENTS, BUSINESS_YEARLY_CENTS]);
        expect(earlierSession!.reviewReason).toMatch(new RegExp(`checkout ${later.sessionId}, opened later, stands`));
        expect(laterSession!.reviewReason).toBeNull();
        expect(changes).toContainEqual(
          expect.objectContaining({ reason: 'duplicate_subscription', reference: earlier.sessionId, toTier: 'business', toInterval: 'yearly' }),
        );
        expect(record).toMatchObject({
          keptSessionId: later.sessionId,
          canceledSessionId: earlier.sessionId,
          subscriptionId: earlierSession!.providerSubscriptionId,
          paymentId: earlierSession!.providerPaymentId,
          amountMinor: PRO_MONTHLY_CENTS,
          currency: 'USD',
          status: 'done',
          refundedMinor: PRO_MONTHLY_CENTS,
          lastError: null,
        });
        expect(record!['refundId']).toMatch(/\S/);
        await ledgerBalanced();
      },
    );
  });

  it('redelivered, replayed and reconciled completions and repeated runs refund nothing twice', async () => {
    const { twoPaidCheckouts, verify, sessions, container, app, graphql, applyEvents, settle, clock, refundsAtProvider, duplicatesOf, subscriptionAtProvider } = setup();
    const { userId, token, earlier, later } = await twoPaidCheckouts('opened together');
    await verify(token, later.sessionId);
    await verify(token, earlier.sessionId);
    const admin = await signToken({ sub: 'ops-admin', role: 'admin' });

    if (fakes) {
      for (const checkout of [earlier, later]) {
        const body = fakes.stripe.eventFor('checkout.session.completed', checkout.providerSessionId);
        // The same delivery twice, and the same completion under a new event id.
        for (const delivery of [body, body, fakes.stripe.eventFor('checkout.session.completed', checkout.providerSessionId)]) {
          await app.request('/api/billing/webhook', { method: 'POST', headers: { 'stripe-signature': stripeSignature(delivery), 'content-type': 'application/json' }, body: delivery });
        }
      }
    }
    await applyEvents();
    const events = await graphql('{ webhookEvents(first: 100) { edges { node { id subject } } } }', { token: admin });
    const aboutCheckouts = (events.data.webhookEvents.edges as { node: { id: string; subject: string | null } }[])
      .map((edge) => edge.node)
      .filter((node) => node.subject === `checkout:${earlier.providerSessionId}` || node.subject === `checkout:${later.providerSessionId}`);
    for (const event of aboutCheckouts) await graphql('mutation ($id: String!) { replayWebhookEvent(id: $id) { id } }', { token: admin, variables: { id: event.id } });
    await applyEvents();
    clock.advance(16 * 60 * 1000);
    await resolve(container, REQUEST_SCOPE).run(() => resolve(container, ReconcileCheckouts).execute());
    await settle();
    await settle();
    await Promise.all([verify(token, earlier.sessionId), verify(token, later.sessionId), settle()]);
    const earlierSession = await sessions.findByReference(earlier.sessionId);

    expect(aboutCheckouts.length).toBeGreaterThanOrEqual(2);
    expect(await refundsAtProvider(earlierSession!.providerPaymentId!)).toEqual([PRO_MONTHLY_CENTS]);
    expect(await subscriptionAtProvider(earlierSession!.providerSubscriptionId!)).toBe('ended');
    expect(await duplicatesOf(userId)).toHaveLength(1);
    if (fakes) expect(refundRequestsFor(earlierSession!.providerPaymentId!).map((call) => call.idempotencyKey)).toEqual([`refund:${earlier.sessionId}`]);
  });

  it('lists the settled duplicate to an admin; anyone else is FORBIDDEN, and bad arguments are BAD_USER_INPUT', async () => {
    const { twoPaidCheckouts, verify, duplicates, duplicatesOf, aUser } = setup();
    const { userId, token, earlier, later } = await twoPaidCheckouts('opened together');
    await verify(token, earlier.sessionId);
    await verify(token, later.sessionId);
    const stranger = await aUser();

    const [record] = await duplicatesOf(userId);
    const asUser = await duplicates(token);
    const asStranger = await duplicates(stranger.token);
    const badStatus = await duplicates(undefined, ', status: "refunded"');
    const badCursor = await duplicates(undefined, ', after: "not-a-cursor"');
    const done = await duplicates(undefined, ', status: "done"');
    const failed = await duplicates(undefined, ', status: "failed"');

    expect(record).toMatchObject({ gateway: 'stripe', keptSessionId: later.sessionId, canceledSessionId: earlier.sessionId, status: 'done', attempts: 1 });
    for (const refused of [asUser, asStranger]) {
      expect(refused.data).toBeNull();
      expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    expect(badStatus.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'status' });
    expect(badCursor.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    expect((done.data.duplicateSubscriptions.edges as { node: { id: string } }[]).map((edge) => edge.node.id)).toContain(record!['id']);
    expect((failed.data.duplicateSubscriptions.edges as { node: { id: string } }[]).map((edge) => edge.node.id)).not.toContain(record!['id']);
  });

  if (provider === 'Stripe fake') {
    it("Stripe failing during the refund leaves the settlement pending with Stripe's error, and a later run finishes it, refunding once", async () => {
      const { twoPaidCheckouts, verify, settle, clock, duplicatesOf, refundsAtProvider, subscriptionAtProvider, sessions } = setup();
      const { userId, token, earlier, later } = await twoPaidCheckouts('paid while expiring');
      // Every attempt the SDK makes (the first and its retries) meets a Stripe outage.
      fakes!.stripe.failNextTo('POST', '/v1/refunds', { status: 500, type: 'api_error', message: 'Stripe is having trouble refunding right now' }, 3);

      await verify(token, earlier.sessionId);
      await verify(token, later.sessionId);
      const [pending] = await duplicatesOf(userId);
      const tooSoon = await settle();
      clock.advance(settlementRetryDelayMs(1) + 1_000);
      const report = await settle();
      const [done] = await duplicatesOf(userId);
      const earlierSession = await sessions.findByReference(earlier.sessionId);

      expect(pending).toMatchObject({ status: 'pending', attempts: 1, refundId: null, lastError: expect.stringContaining('having trouble refunding') });
      expect(pending!['subscriptionCanceledAt']).not.toBeNull();
      expect(tooSoon.checked).toBe(0);
      expect(report).toMatchObject({ checked: 1, done: 1 });
      expect(done).toMatchObject({ status: 'done', attempts: 2, lastError: null, refundedMinor: PRO_MONTHLY_CENTS });
      expect(await refundsAtProvider(earlierSession!.providerPaymentId!)).toEqual([PRO_MONTHLY_CENTS]);
      expect(await subscriptionAtProvider(earlierSession!.providerSubscriptionId!)).toBe('ended');
      expect(fakes!.stripe.requestsTo('DELETE', `/v1/subscriptions/${earlierSession!.providerSubscriptionId}`)).toHaveLength(1);
      // Three attempts met the outage (the SDK's own retries), and the later run's made the refund: all with one key.
      expect(refundRequestsFor(earlierSession!.providerPaymentId!).map((call) => call.idempotencyKey)).toEqual(Array(4).fill(`refund:${earlier.sessionId}`));
    });

    it('Stripe unreachable while expiring the earlier checkout refuses the new one with PROVIDER_ERROR and opens nothing; asked again, it opens', async () => {
      const { aUser, openPlan, request, sessions } = setup();
      const { userId, token } = await aUser();
      const first = await openPlan(token, 'pro', 'monthly');
      const createsBefore = fakes!.stripe.requestsTo('POST', '/v1/checkout/sessions').length;
      fakes!.stripe.failNextTo('POST', `/v1/checkout/sessions/${first.providerSessionId}/expire`, { status: 500, type: 'api_error', message: 'An unknown error occurred' }, 3);
      const body = { tier: 'business', billing_interval: 'yearly', success_url: URLS.successUrl, cancel_url: URLS.cancelUrl };

      const refused = await request('/api/billing/checkout', { token, body });
      const openAfterRefusal = await sessions.listOpenPlanCheckouts(userId, 10);
      const createsAfterRefusal = fakes!.stripe.requestsTo('POST', '/v1/checkout/sessions').length;
      const retried = await request('/api/billing/checkout', { token, body });

      expect(refused.status).toBe(502);
      expect(refused.json()).toMatchObject({ code: 'PROVIDER_ERROR', error: expect.stringContaining('no new one was opened') });
      expect(openAfterRefusal.map((session) => session.id)).toEqual([first.sessionId]);
      expect(createsAfterRefusal).toBe(createsBefore);
      expect(retried.status).toBe(200);
      expect(fakes!.stripe.checkoutSession(first.providerSessionId)!['status']).toBe('expired');
      expect((await sessions.findByReference(first.sessionId))!.status).toBe('expired');
    });
  }

  if (backend !== 'memory') {
    it('two processes verifying the two paid checkouts at the same moment settle one duplicate and refund once', async () => {
      const one = setup();
      const other = makeTestApp({
        database,
        clock: one.clock,
        gateways: { stripe: one.holding.gateway, ...(fakes ? { razorpay: fakes.gateways.razorpay } : {}) },
        ...(fakes ? { payoutGateways: fakes.payoutGateways } : {}),
        env: { STRIPE_WEBHOOK_SECRET },
      });
      const { userId, token, earlier, later } = await one.twoPaidCheckouts('opened together');

      const answers = await Promise.all([
        one.verify(token, earlier.sessionId),
        other.request(`/api/billing/verify-session?session_id=${later.sessionId}`, { token }),
      ]);
      await Promise.all([one.settle(), resolve(other.container, REQUEST_SCOPE).run(() => resolve(other.container, SettleDuplicateSubscriptions).execute())]);
      const earlierSession = await one.sessions.findByReference(earlier.sessionId);

      expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
      expect(await one.billing(token)).toEqual({ planTier: 'business', billingInterval: 'yearly', status: 'active' });
      expect(await one.duplicatesOf(userId)).toEqual([expect.objectContaining({ canceledSessionId: earlier.sessionId, status: 'done' })]);
      expect(await one.refundsAtProvider(earlierSession!.providerPaymentId!)).toEqual([PRO_MONTHLY_CENTS]);
      expect(await one.subscriptionAtProvider(earlierSession!.providerSubscriptionId!)).toBe('ended');
    });
  }
});

describe('one live subscription per account, through Razorpay (the official SDK against its fake)', () => {
  let fakes: ProviderFakes;
  beforeAll(async () => {
    fakes = await startProviderFakes();
  });
  afterAll(async () => {
    await fakes?.stop();
  });

  function setup() {
    const holding = new HoldingGateway();
    holding.target = fakes.gateways.razorpay!;
    const testApp = makeTestApp({ gateways: { ...fakes.gateways, razorpay: holding.gateway }, payoutGateways: fakes.payoutGateways });
    const sessions = resolve(testApp.container, CHECKOUT_SESSION_REPOSITORY);
    async function openPlan(token: string, tier: string, billingInterval: string) {
      const { data, errors } = await testApp.graphql('mutation ($input: StartPlanCheckoutInput!) { startPlanCheckout(input: $input) { sessionId } }', {
        token,
        variables: { input: { tier, billingInterval, ...URLS } },
      });
      return { errors, sessionId: data?.startPlanCheckout?.sessionId as string, providerSessionId: data && (await sessions.findByReference(data.startPlanCheckout.sessionId))!.providerSessionId! };
    }
    return { ...testApp, holding, sessions, openPlan };
  }

  it('opening a second plan checkout cancels the first subscription at Razorpay: it cannot be authorised there, and our session is expired', async () => {
    const { openPlan, sessions, request } = setup();
    const token = await signToken({ sub: aUserId(), country: 'IN' });
    const first = await openPlan(token, 'pro', 'monthly');

    const second = await openPlan(token, 'business', 'yearly');

    expect(second.errors).toBeUndefined();
    expect(fakes.razorpay.requestsTo('POST', `/v1/subscriptions/${first.providerSessionId}/cancel`)).toHaveLength(1);
    expect(fakes.razorpay.subscription(first.providerSessionId)).toMatchObject({ status: 'cancelled' });
    expect(() => fakes.razorpay.authorizeSubscription(first.providerSessionId)).toThrow(/cancelled/);
    expect((await sessions.findByReference(first.sessionId))!.status).toBe('expired');
    expect((await request(`/api/billing/verify-session?session_id=${first.sessionId}`, { token })).status).toBe(409);
    expect(fakes.razorpay.subscription(second.providerSessionId)).toMatchObject({ status: 'created' });
    expect(fakes.razorpay.plan(fakes.razorpay.subscription(second.providerSessionId)!.plan_id)).toMatchObject({ period: 'yearly', item: { amount: 179_100 * 85 } });
  });

  it('opening a plan checkout when the earlier subscription was paid meanwhile completes it and answers CONFLICT, subscribing to nothing new', async () => {
    const { openPlan, graphql } = setup();
    const token = await signToken({ sub: aUserId(), country: 'IN' });
    const first = await openPlan(token, 'pro', 'monthly');
    fakes.razorpay.authorizeSubscription(first.providerSessionId);
    const subscriptionsBefore = fakes.razorpay.requestsTo('POST', '/v1/subscriptions').length;

    const second = await openPlan(token, 'business', 'yearly');

    expect(second.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(fakes.razorpay.requestsTo('POST', '/v1/subscriptions')).toHaveLength(subscriptionsBefore);
    expect(fakes.razorpay.subscription(first.providerSessionId)!.status).toBe('active');
    expect((await graphql('{ billing { planTier billingInterval paymentGateway } }', { token })).data.billing).toEqual({ planTier: 'pro', billingInterval: 'monthly', paymentGateway: 'razorpay' });
  });

  it('D2 on Razorpay: a first payment landing between the read and the cancel of the earlier subscription is not dropped: flagged for review, never silently a free account', async () => {
    const { openPlan, sessions, graphql } = setup();
    const token = await signToken({ sub: aUserId(), country: 'IN' });
    const first = await openPlan(token, 'pro', 'monthly');
    // Razorpay took the customer's payment just as our cancel was on its way.
    const fake = fakes.razorpay as unknown as { route: (request: { method: string; path: string }) => unknown };
    const route = fake.route.bind(fakes.razorpay);
    fake.route = (request) => {
      if (request.method === 'POST' && request.path === `/v1/subscriptions/${first.providerSessionId}/cancel`) {
        fake.route = route;
        fakes.razorpay.authorizeSubscription(first.providerSessionId);
      }
      return route(request);
    };

    const second = await openPlan(token, 'business', 'yearly');

    const firstSession = (await sessions.findByReference(first.sessionId))!;
    expect(fake.route).toBe(route);
    expect(fakes.razorpay.subscription(first.providerSessionId)).toMatchObject({ status: 'cancelled', paid_count: 1 });
    expect(second.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(firstSession.status).toBe('completed');
    expect(firstSession.reviewReason).toMatch(/cancelled by that close.*refund payment pay_/);
    expect((await graphql('{ billing { planTier } }', { token })).data.billing).toEqual({ planTier: 'free' });
  });

  it('D2 on Razorpay: two subscriptions both paid keep the later-opened one, and the earlier is cancelled at once and its payment refunded, once', async () => {
    const { openPlan, request, holding } = setup();
    const token = await signToken({ sub: aUserId(), country: 'IN' });
    // Opened together (two tabs): the first waits inside Razorpay's create while the second opens, so neither finds the other to close, and both are paid.
    const held = holding.holdNextCreate();
    const opening = openPlan(token, 'pro', 'monthly');
    await held.entered;
    const second = await openPlan(token, 'business', 'yearly');
    held.release();
    const first = await opening;
    const firstPayment = fakes.razorpay.authorizeSubscription(first.providerSessionId);
    fakes.razorpay.authorizeSubscription(second.providerSessionId);

    await request(`/api/billing/verify-session?session_id=${second.sessionId}`, { token });
    await request(`/api/billing/verify-session?session_id=${first.sessionId}`, { token });
    await request(`/api/billing/verify-session?session_id=${first.sessionId}`, { token });

    const refunded = fakes.razorpay.payment(firstPayment.razorpay_payment_id)!;
    expect((await request('/api/billing', { token })).json()).toMatchObject({ plan_tier: 'business' });
    expect(fakes.razorpay.subscription(first.providerSessionId)).toMatchObject({ status: 'cancelled' });
    expect(fakes.razorpay.subscription(second.providerSessionId)).toMatchObject({ status: 'active' });
    expect(refunded).toMatchObject({ status: 'refunded' });
    expect(refunded.amount_refunded).toBe(refunded.amount);
    expect(fakes.razorpay.requestsTo('POST', `/v1/payments/${firstPayment.razorpay_payment_id}/refund`)).toHaveLength(1);
  });
});
