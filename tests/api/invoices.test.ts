import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../adapters/persistence/database.ts';
import { queryOn } from '../../adapters/persistence/bound-query.ts';
import { CHECKOUT_SESSION_REPOSITORY } from '../../application/billing/checkout-session.repository.ts';
import { EndUnrenewedPeriods } from '../../application/billing/end-unrenewed-periods.use-case.ts';
import { INVOICE_REPOSITORY } from '../../application/billing/invoice.repository.ts';
import { REQUEST_SCOPE } from '../../application/shared/request-scope.port.ts';
import { WALLET_LEDGER } from '../../application/wallet/wallet-ledger.port.ts';
import { transfersOf } from '../support/stored-state.ts';
import { resolve, SANDBOX_PROVIDER } from '../../api/container.ts';
import { LedgerAccount } from '../../domain/ledger/ledger-account.ts';
import { Money } from '../../domain/shared/money.value-object.ts';
import { aUserId, FixedClock } from '../support/builders.ts';
import { BACKENDS, openTestDatabase } from '../support/databases.ts';
import { expectLedgerBalanced } from '../support/ledger-checks.ts';
import { RAZORPAY_WEBHOOK_SECRET, razorpaySignature, STRIPE_WEBHOOK_SECRET, stripeSignature } from '../support/provider-events.ts';
import { startProviderFakes, type ProviderFakes } from '../support/provider-fakes.ts';
import { makeTestApp, signToken } from '../support/test-app.ts';

const URLS = { success_url: 'https://app.aerostack.dev/settings/billing?success=true', cancel_url: 'https://app.aerostack.dev/settings/billing' };
const DAY_MS = 24 * 60 * 60 * 1000;
const INVOICE_FIELDS = 'id kind status amountMinor currency fx { rate source quotedAt baseAmountUsdCents } tier billingInterval periodStart periodEnd receiptUrl createdAt';
const INVOICES = `query ($first: Int, $after: String) { invoices(first: $first, after: $after) { edges { cursor node { ${INVOICE_FIELDS} } } pageInfo { hasNextPage endCursor } } }`;

type Json = Record<string, any>;
type TestApp = ReturnType<typeof makeTestApp>;

/** Every invoice the caller sees, newest first, read a page of `first` at a time; and how many pages that took. */
async function allInvoices(app: TestApp, token: string, first = 100): Promise<{ invoices: Json[]; pages: number }> {
  const invoices: Json[] = [];
  let after: string | null = null;
  for (let pages = 1; pages <= 50; pages++) {
    const { data, errors } = await app.graphql(INVOICES, { token, variables: { first, after } });
    expect(errors).toBeUndefined();
    invoices.push(...data.invoices.edges.map((edge: Json) => edge.node));
    if (!data.invoices.pageInfo.hasNextPage) return { invoices, pages };
    after = data.invoices.pageInfo.endCursor;
  }
  throw new Error('more than 50 pages of invoices');
}

/**
 * The ledger's invariants: in SQL straight from the tables (every transfer balances, every wallet
 * equals its entries); in memory, each wallet's transfers balance and its balance is their sum.
 */
async function expectLedgerChecked(app: TestApp, database: Database | undefined, userIds: readonly string[]): Promise<void> {
  if (database) return expectLedgerBalanced((sql) => queryOn(database.orm.em.getConnection().getClient(), sql, []));
  const ledger = resolve(app.container, WALLET_LEDGER);
  for (const userId of userIds) {
    const account = LedgerAccount.wallet(userId);
    const transfers = await transfersOf(app, account, 1_000);
    for (const transfer of transfers) expect(transfer.entries.reduce((sum, entry) => sum + entry.amountMinor, 0)).toBe(0);
    expect((await ledger.wallet(userId)).balance).toEqual(Money.of(transfers.reduce((sum, transfer) => sum + transfer.entryFor(account), 0), 'USD'));
  }
}

describe.each(['memory', ...BACKENDS] as const)('invoices through the sandbox, stored %s', (backend) => {
  let database: Database | undefined;
  beforeAll(async () => {
    if (backend !== 'memory') database = await openTestDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  function setup() {
    const testApp = makeTestApp({ database });
    const sandbox = resolve(testApp.container, SANDBOX_PROVIDER);
    async function aUser(country = 'US') {
      const userId = aUserId();
      return { userId, token: await signToken({ sub: userId, country, expiresIn: '2h' }) };
    }
    /** Opens a checkout, pays it on the sandbox's page, verifies it and lets the events be applied; answers our session id. */
    async function paid(token: string, path: '/api/billing/checkout' | '/api/balance/deposit', body: Json): Promise<string> {
      const started = await testApp.request(path, { token, body: { ...body, ...URLS } });
      expect(started.status, started.text).toBe(200);
      const pay = await testApp.app.request(`${new URL(started.json().url).pathname}/pay`, { method: 'POST' });
      const sessionId = new URL(pay.headers.get('location')!).searchParams.get('session_id')!;
      const verified = await testApp.request(`${path === '/api/balance/deposit' ? '/api/balance/verify' : '/api/billing/verify-session'}?session_id=${sessionId}`, { token });
      expect(verified.status, verified.text).toBe(200);
      await testApp.applyEvents();
      return sessionId;
    }
    const action = async (path: string, body: Json = {}) => {
      const response = await testApp.request(`/sandbox${path}`, { method: 'POST', body });
      expect(response.status, response.text).toBe(200);
      return response.json() as Json;
    };
    const state = async () => (await testApp.request('/sandbox/state')).json() as Json;
    const paymentsOf = async (userId: string) => ((await state()).payments as Json[]).filter((payment) => payment.userId === userId);
    return { ...testApp, sandbox, aUser, paid, action, state, paymentsOf };
  }

  it("lists a plan checkout, a deposit and a renewal once each, newest first, each with the sandbox's receipt page of its payment", async () => {
    const app = setup();
    const { userId, token } = await app.aUser();
    const planSession = await app.paid(token, '/api/billing/checkout', { tier: 'pro', billing_interval: 'monthly' });
    await app.paid(token, '/api/balance/deposit', { amount_cents: 2_500 });
    const subscription = (await app.state()).subscriptions.find((candidate: Json) => candidate.userId === userId);
    const firstPeriod = { start: subscription.currentPeriodStart, end: subscription.currentPeriodEnd };
    const { subscription: renewed } = await app.action(`/subscriptions/${subscription.id}/renew`);
    await app.action(`/subscriptions/${subscription.id}/renew`);
    // Verified again, and every event an admin replays read and applied again: nothing more is recorded.
    await app.request(`/api/billing/verify-session?session_id=${planSession}`, { token });
    const admin = await signToken({ sub: 'ops', role: 'admin' });
    const applied = (await app.graphql('{ webhookEvents(status: "applied", first: 100) { edges { node { id } } } }', { token: admin })).data.webhookEvents.edges;
    for (const { node } of applied) await app.graphql(`mutation { replayWebhookEvent(id: "${node.id}") { id } }`, { token: admin });
    await app.applyEvents();
    const payments = await app.paymentsOf(userId);

    const { invoices } = await allInvoices(app, token);

    // The sandbox lists its payments newest first, as the invoices are.
    const byPurpose = (purpose: string) => payments.filter((payment) => payment.purpose === purpose);
    expect(applied.length).toBeGreaterThan(2);
    expect(invoices.map((invoice) => invoice.kind)).toEqual(['renewal', 'renewal', 'deposit', 'plan']);
    expect(invoices.map((invoice) => invoice.receiptUrl)).toEqual(
      [...byPurpose('renewal'), ...byPurpose('deposit'), ...byPurpose('plan')].map((payment) => `http://localhost:4000/sandbox/receipts/${payment.id}`),
    );
    expect(invoices[3]).toMatchObject({ kind: 'plan', status: 'paid', amountMinor: 4_900, currency: 'USD', fx: null, tier: 'pro', billingInterval: 'monthly', periodStart: firstPeriod.start, periodEnd: firstPeriod.end });
    expect(invoices[2]).toMatchObject({ kind: 'deposit', status: 'paid', amountMinor: 2_500, currency: 'USD', fx: null, tier: null, billingInterval: null, periodStart: null, periodEnd: null });
    expect(invoices[1]).toMatchObject({ kind: 'renewal', status: 'paid', amountMinor: 4_900, tier: 'pro', billingInterval: 'monthly', periodStart: renewed.currentPeriodStart, periodEnd: renewed.currentPeriodEnd });
    const receipt = await app.request(new URL(invoices[3]!.receiptUrl).pathname);
    expect(receipt.status).toBe(200);
    expect(receipt.text).toContain('$49.00');
    await expectLedgerChecked(app, database, [userId]);
  });

  it('shows an Indian deposit in INR with the FX snapshot it was converted at', async () => {
    const app = setup();
    const { userId, token } = await app.aUser('IN');
    await app.paid(token, '/api/balance/deposit', { amount_cents: 2_000 });
    const [payment] = await app.paymentsOf(userId);

    const { invoices } = await allInvoices(app, token);

    expect(invoices).toEqual([
      expect.objectContaining({
        kind: 'deposit',
        status: 'paid',
        amountMinor: 170_000,
        currency: 'INR',
        fx: { rate: '85', source: 'config:INR_PER_USD', quotedAt: expect.any(String), baseAmountUsdCents: 2_000 },
        receiptUrl: `http://localhost:4000/sandbox/receipts/${payment!.id}`,
      }),
    ]);
    expect(Date.parse(invoices[0]!.fx.quotedAt)).toBeLessThanOrEqual(Date.parse(invoices[0]!.createdAt));
    await expectLedgerChecked(app, database, [userId]);
  });

  it('shows a deposit refunded in full as refunded, one refunded in part as partially refunded, and one under dispute as disputed until it is won', async () => {
    const app = setup();
    const { userId, token } = await app.aUser();
    for (const cents of [1_000, 2_000, 3_000]) await app.paid(token, '/api/balance/deposit', { amount_cents: cents });
    const byAmount = new Map((await app.paymentsOf(userId)).map((payment) => [payment.amount.amountMinor as number, payment.id as string]));
    const statuses = async () => new Map((await allInvoices(app, token)).invoices.map((invoice) => [invoice.amountMinor as number, invoice.status as string]));

    await app.action(`/payments/${byAmount.get(1_000)}/refund`);
    await app.action(`/payments/${byAmount.get(2_000)}/refund`, { amount_minor: 500 });
    const { dispute } = await app.action(`/payments/${byAmount.get(3_000)}/dispute`);
    const disputed = await statuses();
    await app.action(`/disputes/${dispute.id}/win`);

    expect([...disputed]).toEqual([
      [3_000, 'disputed'],
      [2_000, 'partially_refunded'],
      [1_000, 'refunded'],
    ]);
    expect((await statuses()).get(3_000)).toBe('paid');
    expect((await app.graphql('{ wallet { balanceCents flagged } }', { token })).data.wallet).toEqual({ balanceCents: 4_500, flagged: false });
    await expectLedgerChecked(app, database, [userId]);
  });

  it("pages through more than one page newest first, every invoice once, and never shows another user's", async () => {
    const app = setup();
    const owner = await app.aUser();
    const stranger = await app.aUser();
    for (const cents of [500, 600, 700, 800, 900]) await app.paid(owner.token, '/api/balance/deposit', { amount_cents: cents });
    await app.paid(stranger.token, '/api/balance/deposit', { amount_cents: 1_100 });

    const paged = await allInvoices(app, owner.token, 2);
    const whole = await allInvoices(app, owner.token);
    const theirs = await allInvoices(app, stranger.token);

    expect(paged.pages).toBe(3);
    expect(paged.invoices).toEqual(whole.invoices);
    expect(whole.invoices.map((invoice) => invoice.amountMinor)).toEqual([900, 800, 700, 600, 500]);
    expect(new Set(whole.invoices.map((invoice) => invoice.id)).size).toBe(5);
    expect(theirs.invoices.map((invoice) => invoice.amountMinor)).toEqual([1_100]);
    // A cursor of the owner's list in the stranger's hands is only a position: it pages the stranger's own list.
    const ownersCursor = (await app.graphql(INVOICES, { token: owner.token, variables: { first: 4 } })).data.invoices.pageInfo.endCursor;
    const borrowed = await app.graphql(INVOICES, { token: stranger.token, variables: { first: 10, after: ownersCursor } });
    expect(borrowed.errors).toBeUndefined();
    expect(borrowed.data.invoices.edges).toEqual([]);
    await expectLedgerChecked(app, database, [owner.userId, stranger.userId]);
  });

  it.each([
    ['first 0', { first: 0 }, 'first'],
    ['first 101', { first: 101 }, 'first'],
    ['first -5', { first: -5 }, 'first'],
    ['a made-up cursor', { after: 'not-a-cursor' }, 'after'],
    ['a cursor of another shape', { after: Buffer.from('[42]').toString('base64url') }, 'after'],
  ])('refuses %s with BAD_USER_INPUT naming the field, and answers nothing else', async (_name, variables, field) => {
    const app = setup();
    const { token } = await app.aUser();
    await app.paid(token, '/api/balance/deposit', { amount_cents: 500 });

    const answer = await app.graphql(INVOICES, { token, variables });

    expect(answer.data).toBeNull();
    expect(answer.errors).toHaveLength(1);
    expect(answer.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });

  it('answers UNAUTHENTICATED without a token', async () => {
    const answer = await setup().graphql(INVOICES);

    expect(answer.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe.each(['memory', ...BACKENDS] as const)('invoices from Stripe and Razorpay through their SDKs, stored %s', (backend) => {
  let database: Database | undefined;
  let fakes: ProviderFakes;
  beforeAll(async () => {
    fakes = await startProviderFakes();
    if (backend !== 'memory') database = await openTestDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
    await fakes?.stop();
  });

  /** One service process on the test's database (a second call on a database is a second process). */
  function setup(clock = new FixedClock(new Date())) {
    const testApp = makeTestApp({ database, clock, gateways: fakes.gateways, payoutGateways: fakes.payoutGateways, env: { STRIPE_WEBHOOK_SECRET, RAZORPAY_WEBHOOK_SECRET } });
    const deliverStripe = async (body: string) => {
      const signature = stripeSignature(body, { timestamp: Math.floor(clock.now().getTime() / 1000) });
      const response = await testApp.app.request('/api/billing/webhook', { method: 'POST', headers: { 'stripe-signature': signature, 'content-type': 'application/json' }, body });
      expect(response.status).toBe(200);
    };
    const deliverRazorpay = async (body: string, eventId: string) => {
      const headers = { 'x-razorpay-signature': razorpaySignature(body), 'x-razorpay-event-id': eventId, 'content-type': 'application/json' };
      expect((await testApp.app.request('/api/billing/webhook/razorpay', { method: 'POST', headers, body })).status).toBe(200);
    };
    const providerSessionOf = async (sessionId: string) => (await resolve(testApp.container, CHECKOUT_SESSION_REPOSITORY).findByReference(sessionId))!.providerSessionId!;
    async function start(token: string, what: { plan: string } | { depositCents: number }): Promise<{ sessionId: string; providerSessionId: string }> {
      const mutation =
        'plan' in what
          ? `mutation { started: startPlanCheckout(input: { tier: ${what.plan}, billingInterval: monthly, successUrl: "${URLS.success_url}", cancelUrl: "${URLS.cancel_url}" }) { sessionId } }`
          : `mutation { started: startDeposit(amountCents: ${what.depositCents}, successUrl: "${URLS.success_url}", cancelUrl: "${URLS.cancel_url}") { sessionId } }`;
      const { data, errors } = await testApp.graphql(mutation, { token });
      expect(errors).toBeUndefined();
      return { sessionId: data.started.sessionId, providerSessionId: await providerSessionOf(data.started.sessionId) };
    }
    async function aUser(country = 'US') {
      const userId = aUserId();
      return { userId, token: await signToken({ sub: userId, country, expiresIn: '30d' }) };
    }
    const verify = (token: string, sessionId: string) => testApp.request(`/api/billing/verify-session?session_id=${sessionId}`, { token });
    return { ...testApp, clock, deliverStripe, deliverRazorpay, start, aUser, verify };
  }

  it('records a Stripe plan checkout once, with its hosted invoice, when verify-session and redelivered webhooks race (in two processes on a database)', async () => {
    const first = setup();
    const second = database ? setup(first.clock) : first;
    const { userId, token } = await first.aUser();
    const { sessionId, providerSessionId } = await first.start(token, { plan: 'pro' });
    const { currentPeriodEnd } = fakes.stripe.completeCheckout(providerSessionId);
    const event = fakes.stripe.eventFor('checkout.session.completed', providerSessionId);

    await Promise.all([
      ...Array.from({ length: 4 }, () => first.verify(token, sessionId)),
      second.deliverStripe(event).then(() => second.applyEvents()),
      second.deliverStripe(fakes.stripe.eventFor('checkout.session.completed', providerSessionId)).then(() => second.applyEvents()),
      first.deliverStripe(event).then(() => first.applyEvents()),
    ]);
    const invoice = fakes.stripe.invoice(fakes.stripe.checkoutSession(providerSessionId)!['invoice'] as string)!;
    const { invoices } = await allInvoices(first, token);

    expect(invoices).toEqual([
      expect.objectContaining({
        kind: 'plan',
        status: 'paid',
        amountMinor: 4_900,
        currency: 'USD',
        fx: null,
        tier: 'pro',
        billingInterval: 'monthly',
        periodStart: new Date((currentPeriodEnd - 30 * 86_400) * 1000).toISOString(),
        periodEnd: new Date(currentPeriodEnd * 1000).toISOString(),
        receiptUrl: invoice['hosted_invoice_url'],
      }),
    ]);
    expect(invoices[0]!.receiptUrl).toMatch(/^https:\/\/invoice\.stripe\.com\/i\//);
    expect((await resolve(first.container, INVOICE_REPOSITORY).findByProviderPayment('stripe', invoice['id'] as string))?.userId).toBe(userId);
  });

  it('records a Stripe deposit once with the receipt of the charge that took it, and shows it refunded after charge.refunded', async () => {
    const app = setup();
    const { userId, token } = await app.aUser();
    const { sessionId, providerSessionId } = await app.start(token, { depositCents: 3_000 });
    const { paymentIntentId } = fakes.stripe.completeCheckout(providerSessionId);
    const completed = fakes.stripe.eventFor('checkout.session.completed', providerSessionId);
    await Promise.all([app.request(`/api/balance/verify?session_id=${sessionId}`, { token }), app.deliverStripe(completed), app.deliverStripe(completed)]);
    await app.applyEvents();
    const paid = (await allInvoices(app, token)).invoices;

    fakes.stripe.refund(paymentIntentId!, 3_000);
    await app.deliverStripe(fakes.stripe.eventFor('charge.refunded', paymentIntentId!));
    await app.applyEvents();
    const charge = fakes.stripe.charge(fakes.stripe.paymentIntent(paymentIntentId!)!['latest_charge'] as string)!;

    expect(paid).toEqual([expect.objectContaining({ kind: 'deposit', status: 'paid', amountMinor: 3_000, currency: 'USD', receiptUrl: charge['receipt_url'] })]);
    expect(paid[0]!.receiptUrl).toMatch(/^https:\/\/pay\.stripe\.com\/receipts\//);
    expect((await allInvoices(app, token)).invoices.map((invoice) => [invoice.id, invoice.status])).toEqual([[paid[0]!.id, 'refunded']]);
    expect((await app.graphql('{ wallet { balanceCents } }', { token })).data.wallet.balanceCents).toBe(0);
    await expectLedgerChecked(app, database, [userId]);
  });

  it('records a Stripe renewal once from invoice.paid and customer.subscription.updated, however often they are delivered and replayed', async () => {
    const app = setup();
    const { token } = await app.aUser();
    const { sessionId, providerSessionId } = await app.start(token, { plan: 'starter' });
    const { subscriptionId } = fakes.stripe.completeCheckout(providerSessionId);
    expect((await app.verify(token, sessionId)).status).toBe(200);

    const { currentPeriodStart, currentPeriodEnd } = fakes.stripe.renewSubscription(subscriptionId);
    const paidEvent = fakes.stripe.eventFor('invoice.paid', subscriptionId);
    await app.deliverStripe(paidEvent);
    await app.deliverStripe(fakes.stripe.eventFor('customer.subscription.updated', subscriptionId));
    await app.applyEvents();
    await app.deliverStripe(paidEvent);
    await app.deliverStripe(fakes.stripe.eventFor('invoice.payment_succeeded', subscriptionId));
    await app.applyEvents();
    const admin = await signToken({ sub: 'ops', role: 'admin', expiresIn: '30d' });
    const applied = (await app.graphql('{ webhookEvents(provider: "stripe", status: "applied", first: 100) { edges { node { id subject } } } }', { token: admin })).data.webhookEvents.edges
      .map((edge: Json) => edge.node)
      .filter((event: Json) => event.subject === `subscription:${subscriptionId}`);
    for (const event of applied) await app.graphql(`mutation { replayWebhookEvent(id: "${event.id}") { id } }`, { token: admin });
    await app.applyEvents();
    const renewal = fakes.stripe.invoice(fakes.stripe.subscription(subscriptionId)!['latest_invoice'] as string)!;

    const { invoices } = await allInvoices(app, token);

    expect(applied.length).toBeGreaterThan(0);
    expect(invoices.map((invoice) => invoice.kind)).toEqual(['renewal', 'plan']);
    expect(invoices[0]).toMatchObject({
      status: 'paid',
      amountMinor: 1_900,
      currency: 'USD',
      tier: 'starter',
      billingInterval: 'monthly',
      periodStart: new Date(currentPeriodStart * 1000).toISOString(),
      periodEnd: new Date(currentPeriodEnd * 1000).toISOString(),
      receiptUrl: renewal['hosted_invoice_url'],
    });
    expect(invoices[1]!.receiptUrl).not.toBe(invoices[0]!.receiptUrl);
  });

  it("records a renewal whose events were lost when the period check asks Stripe, once, though the webhook's worker in another process applies it at the same time", async () => {
    const clock = new FixedClock(new Date());
    const webhooks = setup(clock);
    const periods = database ? setup(clock) : webhooks;
    const { userId, token: firstToken } = await webhooks.aUser();
    const { sessionId, providerSessionId } = await webhooks.start(firstToken, { plan: 'pro' });
    const { subscriptionId } = fakes.stripe.completeCheckout(providerSessionId);
    expect((await webhooks.verify(firstToken, sessionId)).status).toBe(200);

    fakes.stripe.renewSubscription(subscriptionId);
    clock.advance(32 * DAY_MS);
    // A month on, the user signs in again: a token lives at most 30 days.
    const token = await signToken({ sub: userId, country: 'US' });
    const check = () => resolve(periods.container, REQUEST_SCOPE).run(() => resolve(periods.container, EndUnrenewedPeriods).execute());
    const [report] = await Promise.all([check(), webhooks.deliverStripe(fakes.stripe.eventFor('invoice.paid', subscriptionId)).then(() => webhooks.applyEvents())]);
    await check();

    const { invoices } = await allInvoices(webhooks, token);

    expect(report.failed).toBe(0);
    expect(invoices.map((invoice) => invoice.kind)).toEqual(['renewal', 'plan']);
    expect((await webhooks.graphql('{ billing { planTier status } }', { token })).data.billing).toEqual({ planTier: 'pro', status: 'active' });
  });

  it("records an Indian Payment Link deposit with the link's page as its receipt and the FX snapshot, once however many event ids it comes under", async () => {
    const app = setup();
    const { userId, token } = await app.aUser('IN');
    const { providerSessionId } = await app.start(token, { depositCents: 1_000 });
    fakes.razorpay.payLink(providerSessionId);
    const body = fakes.razorpay.eventFor('payment_link.paid', { payment_link: providerSessionId });
    await Promise.all([app.deliverRazorpay(body, `evt_a_${providerSessionId}`), app.deliverRazorpay(body, `evt_b_${providerSessionId}`)]);
    await app.applyEvents();
    const link = fakes.razorpay.link(providerSessionId)!;

    const { invoices } = await allInvoices(app, token);

    expect(invoices).toEqual([
      expect.objectContaining({
        kind: 'deposit',
        status: 'paid',
        amountMinor: 85_000,
        currency: 'INR',
        fx: { rate: '85', source: 'config:INR_PER_USD', quotedAt: expect.any(String), baseAmountUsdCents: 1_000 },
        receiptUrl: link.short_url,
      }),
    ]);
    expect((await resolve(app.container, INVOICE_REPOSITORY).findByProviderPayment('razorpay', link.payments![0]!['payment_id'] as string))?.userId).toBe(userId);
    await expectLedgerChecked(app, database, [userId]);
  });
});
