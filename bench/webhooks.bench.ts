/**
 * Webhook deliveries per second, with p50/p99 latency, beside floors measured in the same run:
 *   - a bare node:http handler (bench/webhook-floor.ts, in its own process) doing the same signature
 *     check and answering 200, without a framework or a database;
 *   - the SQL the service sends for one ignored delivery (the subscription look-up, the insert of
 *     the event), issued by pgbench: the database's share.
 * The same 32 callers, on kept-alive loopback connections, sign every delivery as the provider
 * would (Stripe: `t=…,v1=` HMAC-SHA256 of `${t}.${body}`; Razorpay: hex HMAC of the body), each
 * with its own event id; the service runs with STRIPE_WEBHOOK_SECRET and RAZORPAY_WEBHOOK_SECRET.
 *
 *   BENCH_ONLY=webhooks npm run bench      (the webhooks alone; or node bench/webhooks.bench.ts)
 *   BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof-wh" BENCH_ONLY=webhooks npm run bench
 *
 * Service phases:
 *   - Stripe `customer.subscription.updated` for a subscription the service does not know (Stripe's
 *     example subscription, ~5 KB): verified, recorded in webhook_events, answered `ignored`;
 *   - Stripe, a mix: the events Stripe sends for one subscription renewal (invoice.created,
 *     invoice.finalized, payment_intent.created, payment_intent.succeeded, charge.succeeded,
 *     invoice.paid, invoice.payment_succeeded, customer.subscription.updated) on one of 10,000 paid
 *     subscriptions, then for one wallet deposit (checkout.session.completed for an open deposit
 *     checkout, payment_intent.created, payment_intent.succeeded, charge.succeeded), in turn: 4 in 12
 *     deliveries change state (three plan updates under a row lock, one wallet credit through the
 *     ledger), 8 are recorded and ignored. A renewal's events arrive together, as Stripe sends them,
 *     so an occasional `stale` answer is expected;
 *   - Razorpay `subscription.charged` for an unknown subscription (~600 bytes), with
 *     X-Razorpay-Signature and X-Razorpay-Event-Id: the counterpart of the first.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Agent } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  admin,
  closedLoop,
  CONCURRENCY,
  pgbench,
  phases,
  post,
  printTable,
  PROCESSES,
  runBenches,
  SECONDS,
  startProcess,
  type Answer,
  type Bench,
  type Result,
  type Row,
} from './support.ts';

export const STRIPE_WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('hex')}`;
const RAZORPAY_WEBHOOK_SECRET = randomBytes(24).toString('hex');
/** Paid Stripe subscriptions the mix renews, one account each. */
const SUBSCRIPTIONS = 10_000;
/** Open deposit checkouts the mix completes: more than one per 12 deliveries at 3,600 deliveries/s. */
const DEPOSITS = SECONDS * 300;
const TARGET = { perSecond: 1_000, p99Ms: 50, text: '≥ 1,000/s, p99 ≤ 50 ms' };

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../tests/fixtures/stripe/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;

/**
 * A JSON body made once, with `"__NAME__"` placeholders filled per delivery: the callers share the
 * machine with the service, so building a body must cost next to nothing.
 */
function template(value: unknown): (fields: Readonly<Record<string, string | number>>) => string {
  const parts = JSON.stringify(value).split(/"__([A-Z_]+)__"/);
  return (fields) => {
    let out = parts[0]!;
    for (let i = 1; i < parts.length; i += 2) {
      const field = fields[parts[i]!];
      if (field === undefined) throw new Error(`no value for ${parts[i]}`);
      out += JSON.stringify(field) + parts[i + 1]!;
    }
    return out;
  };
}

/** Stripe's example event envelope around `object`, as tests/support/provider-events.ts builds it. */
function stripeEvent(type: string, object: Record<string, unknown>) {
  return template({ ...fixture('event'), id: '__ID__', type, created: '__CREATED__', data: { object } });
}

const subscription = (() => {
  const base = fixture('subscription') as { items: { data: Record<string, unknown>[] } };
  const item = base.items.data[0]!;
  return {
    ...base,
    id: '__SUB__',
    status: 'active',
    customer: '__CUS__',
    metadata: {},
    items: { ...base.items, data: [{ ...item, price: { ...(item['price'] as object), id: 'price_bench_unlisted' }, current_period_end: '__PERIOD_END__' }] },
  };
})();
const invoice = (() => {
  const base = fixture('invoice') as { lines: { data: Record<string, unknown>[] } };
  return {
    ...base,
    id: '__INVOICE__',
    subscription: '__SUB__',
    customer: '__CUS__',
    lines: { ...base.lines, data: [{ ...base.lines.data[0], period: { start: 0, end: '__PERIOD_END__' } }] },
  };
})();
const paymentIntent = { id: '__PI__', object: 'payment_intent', amount: 2000, currency: 'usd', customer: '__CUS__', status: 'succeeded', livemode: false };
const charge = { ...fixture('charge'), id: '__CH__', payment_intent: '__PI__', customer: '__CUS__' };
const depositCheckout = {
  ...fixture('checkout.session'),
  id: '__CS__',
  status: 'complete',
  payment_status: 'paid',
  mode: 'payment',
  customer: '__CUS__',
  subscription: null,
  payment_intent: '__PI__',
  metadata: { checkout_session_id: '__SESSION__', purpose: 'deposit' },
};

const STRIPE = {
  subscriptionUpdated: stripeEvent('customer.subscription.updated', subscription),
  invoiceCreated: stripeEvent('invoice.created', invoice),
  invoiceFinalized: stripeEvent('invoice.finalized', invoice),
  invoicePaid: stripeEvent('invoice.paid', invoice),
  invoicePaymentSucceeded: stripeEvent('invoice.payment_succeeded', invoice),
  paymentIntentCreated: stripeEvent('payment_intent.created', { ...paymentIntent, status: 'requires_payment_method' }),
  paymentIntentSucceeded: stripeEvent('payment_intent.succeeded', paymentIntent),
  chargeSucceeded: stripeEvent('charge.succeeded', charge),
  checkoutCompleted: stripeEvent('checkout.session.completed', depositCheckout),
};

/** One renewal, then one deposit: what Stripe sends for each, in order. */
const MIX: readonly { event: (fields: Readonly<Record<string, string | number>>) => string; of: 'renewal' | 'deposit' }[] = [
  { event: STRIPE.invoiceCreated, of: 'renewal' },
  { event: STRIPE.invoiceFinalized, of: 'renewal' },
  { event: STRIPE.paymentIntentCreated, of: 'renewal' },
  { event: STRIPE.paymentIntentSucceeded, of: 'renewal' },
  { event: STRIPE.chargeSucceeded, of: 'renewal' },
  { event: STRIPE.invoicePaid, of: 'renewal' },
  { event: STRIPE.invoicePaymentSucceeded, of: 'renewal' },
  { event: STRIPE.subscriptionUpdated, of: 'renewal' },
  { event: STRIPE.checkoutCompleted, of: 'deposit' },
  { event: STRIPE.paymentIntentCreated, of: 'deposit' },
  { event: STRIPE.paymentIntentSucceeded, of: 'deposit' },
  { event: STRIPE.chargeSucceeded, of: 'deposit' },
];

const razorpaySubscriptionCharged = template({
  entity: 'event',
  account_id: 'acc_bench',
  event: 'subscription.charged',
  contains: ['subscription', 'payment'],
  payload: {
    subscription: {
      entity: { id: '__SUB__', entity: 'subscription', plan_id: 'plan_bench', customer_id: '__CUS__', status: 'active', current_start: '__CREATED__', current_end: '__PERIOD_END__', notes: {} },
    },
    payment: { entity: { id: '__PAY__', entity: 'payment', amount: 49_900, currency: 'INR', status: 'captured', method: 'upi' } },
  },
  created_at: '__CREATED__',
});

interface Delivery {
  readonly path: 'stripe' | 'razorpay';
  readonly body: string;
  readonly eventId: string;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

function stripeHeaders(body: string): Record<string, string> {
  const t = nowSeconds();
  const v1 = createHmac('sha256', STRIPE_WEBHOOK_SECRET).update(`${t}.${body}`, 'utf8').digest('hex');
  return { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${v1}` };
}

function razorpayHeaders(body: string, eventId: string): Record<string, string> {
  const signature = createHmac('sha256', RAZORPAY_WEBHOOK_SECRET).update(body, 'utf8').digest('hex');
  return { 'content-type': 'application/json', 'x-razorpay-signature': signature, 'x-razorpay-event-id': eventId };
}

/** Deliveries of one phase: a fresh event id each, built and signed when sent. */
type Deliveries = (sequence: number) => Delivery;

export function unknownStripeSubscription(tag: string): Deliveries {
  return (n) => {
    const created = nowSeconds();
    const body = STRIPE.subscriptionUpdated({ ID: `evt_${tag}_${n}`, CREATED: created, SUB: `sub_unknown_${tag}_${n}`, CUS: `cus_unknown_${tag}_${n}`, PERIOD_END: created + 30 * 86_400 });
    return { path: 'stripe', body, eventId: `evt_${tag}_${n}` };
  };
}

function unknownRazorpaySubscription(tag: string): Deliveries {
  return (n) => {
    const created = nowSeconds();
    const body = razorpaySubscriptionCharged({ SUB: `sub_unknown_${tag}_${n}`, CUS: `cust_${tag}_${n}`, PAY: `pay_${tag}_${n}`, CREATED: created, PERIOD_END: created + 30 * 86_400 });
    return { path: 'razorpay', body, eventId: `evt_${tag}_${n}` };
  };
}

/** The renewal-and-deposit mix; counts the deposits it had to reuse once the seeded ones ran out. */
function stripeMix(tag: string, reused: { count: number }): Deliveries {
  return (n) => {
    const cycle = Math.floor(n / MIX.length);
    const step = MIX[n % MIX.length]!;
    const created = nowSeconds();
    // A prime stride spreads consecutive renewals over the subscriptions.
    const account = (cycle * 7_919) % SUBSCRIPTIONS;
    const deposit = cycle % DEPOSITS;
    if (step.event === STRIPE.checkoutCompleted && cycle >= DEPOSITS) reused.count++;
    const fields: Record<string, string> =
      step.of === 'renewal'
        ? { SUB: `sub_bench_${account}`, CUS: `cus_bench_${account}`, INVOICE: `in_${tag}_${cycle}`, PI: `pi_${tag}_r${cycle}`, CH: `ch_${tag}_r${cycle}` }
        : { CUS: `cus_bench_${deposit % SUBSCRIPTIONS}`, CS: `cs_test_bench_${deposit}`, SESSION: `bench-deposit-${deposit}`, PI: `pi_${tag}_d${cycle}`, CH: `ch_${tag}_d${cycle}` };
    const body = step.event({ ...fields, ID: `evt_${tag}_${n}`, CREATED: created, PERIOD_END: created + 30 * 86_400 });
    return { path: 'stripe', body, eventId: `evt_${tag}_${n}` };
  };
}

/**
 * What the service sends PostgreSQL for one ignored Stripe delivery (log_statement=all shows it):
 * the look-up that finds no account has the subscription, then the insert of the event with its
 * payload, each on its own and autocommitted, issued by pgbench: the database's share of one
 * delivery, without Node. The service batches both across deliveries that arrive together (and
 * looks for a holder again in the insert's transaction); pgbench sends one delivery's alone.
 */
function ignoredDeliverySql(): string {
  const created = nowSeconds();
  const payload = unknownStripeSubscription('sql')(0).body.replaceAll("'", "''");
  const eventId = `'pgbench-' || :client_id || '-' || :n`;
  return [
    '\\set n random(1, 1000000000000)',
    `select exists (select 1 from account_plans where payment_gateway = 'stripe' and provider_subscription_id = 'sub_unknown_pgbench_' || :n)
       or exists (select 1 from account_plans where user_id = null) as found;`.replace(/\n\s*/g, ' '),
    `insert into webhook_events (provider, event_id, type, outcome, occurred_at, received_at, payload) values ('stripe', ${eventId}, 'customer.subscription.updated', 'ignored', to_timestamp(${created}), now(), '${payload}'::json) on conflict (provider, event_id) do nothing returning provider, event_id;`,
    '',
  ].join('\n');
}

/** The first unexpected answer of the run, shown under the table. */
let firstError: string | undefined;

export function deliver(name: string, urls: readonly string[], paths: { stripe: string; razorpay: string }, deliveries: Deliveries): Promise<Result> {
  let sequence = 0;
  const endpoints = urls.map((url) => ({ stripe: new URL(paths.stripe, url), razorpay: new URL(paths.razorpay, url) }));
  return closedLoop(name, async (agent: Agent, worker): Promise<Answer> => {
    const delivery = deliveries(sequence++);
    const headers = delivery.path === 'stripe' ? stripeHeaders(delivery.body) : razorpayHeaders(delivery.body, delivery.eventId);
    const { status, text } = await post(agent, endpoints[worker % endpoints.length]![delivery.path], headers, delivery.body);
    if (status !== 200) {
      firstError ??= `${name}: HTTP ${status} ${text.slice(0, 300)}`;
      return { ok: false, label: `HTTP ${status}` };
    }
    const outcome = (JSON.parse(text) as { outcome?: string }).outcome;
    return { ok: true, ...(outcome ? { label: outcome } : {}) };
  });
}

export const webhooksBench: Bench = {
  env: { STRIPE_WEBHOOK_SECRET, RAZORPAY_WEBHOOK_SECRET },
  async prepare({ databaseUrl, urls }) {
    await admin(
      `insert into account_plans (user_id, country, payment_gateway, plan_tier, billing_interval, status, current_period_end,
                                  provider_customer_id, provider_subscription_id, created_at, updated_at)
         select 'bench-user-' || i, 'US', 'stripe', 'pro', 'monthly', 'active', now() + interval '30 days',
                'cus_bench_' || i, 'sub_bench_' || i, now(), now()
         from generate_series(0, ${SUBSCRIPTIONS - 1}) i;
       insert into checkout_sessions (id, user_id, purpose, gateway, amount_minor, currency, success_url, cancel_url, created_at,
                                      provider_session_id, status)
         select 'bench-deposit-' || i, 'bench-user-' || (i % ${SUBSCRIPTIONS}), 'deposit', 'stripe', 2000, 'USD',
                'https://app.example.com/wallet?paid=1', 'https://app.example.com/wallet', now(), 'cs_test_bench_' || i, 'open'
         from generate_series(0, ${DEPOSITS - 1}) i;`,
      databaseUrl,
    );
    const scripts = await mkdtemp(join(tmpdir(), 'billing-bench-webhooks-'));
    await writeFile(join(scripts, 'ignored-delivery.sql'), ignoredDeliverySql());
    const floor = await startProcess('bench/webhook-floor.ts', { STRIPE_WEBHOOK_SECRET, RAZORPAY_WEBHOOK_SECRET }, { readyPath: '/' });
    const floorUrls = [floor.url];
    const serviceUrls = urls;
    const floorPaths = { stripe: '/stripe', razorpay: '/razorpay' };
    const servicePaths = { stripe: '/api/billing/webhook', razorpay: '/api/billing/webhook/razorpay' };

    return {
      teardown: async () => {
        await floor.stop();
        await rm(scripts, { recursive: true, force: true });
      },
      run: async () => {
        console.log(
          `\nwebhooks: ${CONCURRENCY} concurrent callers, ${PROCESSES} service process(es), ${SECONDS} s per phase, each delivery signed with its own event id`,
        );
        const { phase } = phases();
        const reused = { count: 0 };
        const stripeFloor = await phase(deliver('bare node:http, Stripe signature check', floorUrls, floorPaths, unknownStripeSubscription('floor')));
        const stripeIgnored = await phase(
          deliver('service: Stripe customer.subscription.updated, unknown subscription (ignored)', serviceUrls, servicePaths, unknownStripeSubscription('ignored')),
        );
        const stripeMixed = await phase(
          deliver(`service: Stripe renewal + deposit mix (4 of 12 change state)`, serviceUrls, servicePaths, stripeMix('mix', reused)),
        );
        const sqlFloor = await phase(pgbench('bare SQL: the 2 statements of one ignored delivery', databaseUrl, ['-f', join(scripts, 'ignored-delivery.sql')]));
        const razorpayFloor = await phase(deliver('bare node:http, Razorpay signature check', floorUrls, floorPaths, unknownRazorpaySubscription('rzpfloor')));
        const razorpayIgnored = await phase(
          deliver('service: Razorpay subscription.charged, unknown subscription (ignored)', serviceUrls, servicePaths, unknownRazorpaySubscription('rzp')),
        );

        const target = (result: Result) => ({
          text: TARGET.text,
          met: result.perSecond >= TARGET.perSecond && (result.p99Ms ?? Number.POSITIVE_INFINITY) <= TARGET.p99Ms,
        });
        const rows: Row[] = [
          { result: stripeFloor, floor: null },
          { result: sqlFloor, floor: null },
          { result: stripeIgnored, floor: stripeFloor, alsoAgainst: [sqlFloor], target: target(stripeIgnored) },
          { result: stripeMixed, floor: stripeFloor, target: target(stripeMixed) },
          { result: razorpayFloor, floor: null },
          { result: razorpayIgnored, floor: razorpayFloor, target: target(razorpayIgnored) },
        ];
        printTable(rows, 'deliveries/s');
        console.log('\n(pgbench reports the average latency; it is shown as p50 for the SQL floor.)');
        for (const result of [stripeIgnored, stripeMixed, razorpayIgnored]) {
          const outcomes = Object.entries(result.outcomes ?? {}).map(([label, count]) => `${label} ${count}`);
          console.log(`(${result.name}: answers ${outcomes.join(', ')})`);
        }
        if (reused.count) console.log(`(the mix ran out of open deposit checkouts: ${reused.count} completions found theirs completed and were ignored)`);
        if (firstError) console.log(`(first unexpected answer: ${firstError})`);
      },
    };
  },
};

if (import.meta.main) await runBenches([webhooksBench]);
