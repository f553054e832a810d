/**
 * Provider webhooks through the inbox: how fast a delivery is acknowledged, and how long a
 * state-changing event then waits until a worker has applied it.
 *
 * Acknowledgement, each delivery signed as the provider signs it and with its own event id, twice:
 *   - closed loop (the same 32 callers as every bench, kept-alive loopback connections, each
 *     sending again as soon as it is answered): how many deliveries/s the service takes. Its
 *     latency follows from the callers: the mean is 32 / throughput, 16 ms at 2,000/s;
 *   - open loop at 2,000 deliveries/s offered (each due at its time, whatever the answers, as a
 *     provider sends): the latency at the target rate, counted from when each delivery was due.
 * beside floors measured in the same run:
 *   - a bare node:http handler (bench/webhook-floor.ts, its own process) doing the same signature
 *     check and answering 200, without a framework or a database;
 *   - the one statement the service sends for an ignored delivery (the inbox insert), from
 *     pgbench one delivery at a time; the service sends it for up to 64 deliveries at once.
 * Service phases:
 *   - Stripe events the service does not act on, the five of a renewal's that it records as
 *     ignored at once (invoice.created, invoice.finalized, payment_intent.created,
 *     payment_intent.succeeded, charge.succeeded), in turn;
 *   - Razorpay payment.authorized (recorded as ignored at once), each about another payment so
 *     that each body, and so each delivery, is new (Razorpay deliveries are told apart by body);
 *   - the Stripe renewal + deposit mix: the eight events of a renewal of one of SUBSCRIPTIONS paid
 *     subscriptions, then the four of a wallet deposit. Four in twelve go to the workers. When a
 *     cycle starts the subscription renews at the Stripe fake; the deposits were paid at the fake
 *     before the phase. Bodies are the fake's own snapshots, built before the phase with a fresh
 *     event id put in per delivery (building one costs the fake ~0.2 ms, which the callers cannot
 *     spend at these rates); the workers read the current state from the fake anyway. A renewal's
 *     payment events carry a deposit's payment: the fake keeps no payment for a renewal, and the
 *     service ignores those types by name.
 * The workers run meanwhile (they run in every service process, on its one event loop), and the
 * mix leaves a backlog: the bench waits for the inbox to drain before it goes on, and says how long
 * that took. Each phase also prints where the machine's CPU went (service, bench process with the
 * fakes, floor, PostgreSQL, the rest: other work on a shared machine shows there).
 *
 * Apply lag (open loop: a steady 300 deliveries/s for BENCH_SECONDS, each cycle made live at the
 * fake when it starts: the subscription renews, the deposit is paid, and the fake builds the
 * events' snapshots then): from `webhook_events.received_at` to `settled_at` of each event a
 * worker handled, and from the client (when the delivery was due to when it was settled). Twice:
 * the full mix (100 of the 300 go to workers), and its four state-changing events alone (all 300 do).
 *
 * The setup goes through the service against the provider fakes (tests/support/provider-fakes.ts),
 * which run in this process (the bench drives them: renewals, payments, snapshots), so they share
 * its event loop and CPU with the callers: subscriptions started with POST /api/billing/checkout,
 * completed at the fake and verified with GET /api/billing/verify-session; deposits started with
 * GraphQL startDeposit and paid at the fake, never verified, so only the workers can credit them.
 * At the end: every deposit paid and delivered credited exactly once, the ledger balanced, every
 * plan as the fake holds its subscription, what became of every event, and the service's log
 * lines at warn and error.
 *
 *   BENCH_ONLY=webhooks npm run bench      (the webhooks alone; or node bench/webhooks.bench.ts)
 *   BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof-wh" BENCH_ONLY=webhooks npm run bench
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startProviderFakes, STRIPE_PRICE_IDS, type ProviderFakes } from '../tests/support/provider-fakes.ts';
import { signToken } from '../tests/support/test-app.ts';
import {
  closedLoop,
  CONCURRENCY,
  JWT_SECRET,
  measureCpu,
  openLoop,
  percentile,
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
  type BenchContext,
  type Result,
  type Row,
} from './support.ts';

export const STRIPE_WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('hex')}`;
const RAZORPAY_WEBHOOK_SECRET = randomBytes(24).toString('hex');

/** Paid Stripe subscriptions the renewals go round, one user each. */
const SUBSCRIPTIONS = 200;
/**
 * Deposits paid before each acknowledgement mix (one per 12 deliveries: 800 last a 10 s phase at
 * up to 960 deliveries/s), and at most for each apply-lag phase: the Stripe fake keeps its last
 * 1,000 objects of each kind, and a deposit's session and payment must still be there when a
 * worker reads them. Past these, a cycle delivers an earlier deposit's events again (counted):
 * its completion finds the deposit credited and is ignored.
 */
const ACK_DEPOSITS = 800;
const MAX_LAG_DEPOSITS = 800;
const DEPOSIT_CENTS = 2_000;
/** Requests of the setup in flight at once. */
const SETUP_CONCURRENCY = 8;
/** The offered load of the apply-lag phases, deliveries per second. */
const LAG_RATE = 300;
/** How long the bench waits for the workers to settle everything pending before it says so and goes on. */
const DRAIN_TIMEOUT_MS = 120_000;
const DRAIN_POLL_MS = 100;
/** The acknowledgement targets: this many deliveries/s (closed loop), and this p99 at this rate offered (open loop). */
const ACK_RATE = 2_000;
const ACK_P99_MS = 20;
/** An open-loop phase kept up when it answered this share of its offered rate within the phase. */
const KEPT_UP = 0.98;
const WARMUP_SECONDS = 2;
const LAG_TARGET = { p99Ms: 1_000, text: 'p99 ≤ 1 s' };
const URLS = { successUrl: 'https://app.aerostack.dev/settings/billing?success=true', cancelUrl: 'https://app.aerostack.dev/settings/billing' };
const SERVICE_PATHS = { stripe: '/api/billing/webhook', razorpay: '/api/billing/webhook/razorpay' };
const FLOOR_PATHS = { stripe: '/stripe', razorpay: '/razorpay' };

/** What Stripe sends for one renewal, in order, and for one deposit. */
const RENEWAL_TYPES = [
  'invoice.created',
  'invoice.finalized',
  'payment_intent.created',
  'payment_intent.succeeded',
  'charge.succeeded',
  'invoice.paid',
  'invoice.payment_succeeded',
  'customer.subscription.updated',
] as const;
const DEPOSIT_TYPES = ['checkout.session.completed', 'payment_intent.created', 'payment_intent.succeeded', 'charge.succeeded'] as const;
/** The types among them the service acts on (a worker reads their subject); it records the rest as ignored at once. */
const ACTED_ON: ReadonlySet<string> = new Set(['invoice.paid', 'invoice.payment_succeeded', 'customer.subscription.updated', 'checkout.session.completed']);
const IGNORED_STRIPE_TYPES = RENEWAL_TYPES.filter((type) => !ACTED_ON.has(type));
const PAYMENT_TYPES: ReadonlySet<string> = new Set(['payment_intent.created', 'payment_intent.succeeded', 'charge.succeeded']);

interface Step {
  readonly of: 'renewal' | 'deposit';
  readonly type: string;
}
const FULL_MIX: readonly Step[] = [...RENEWAL_TYPES.map((type): Step => ({ of: 'renewal', type })), ...DEPOSIT_TYPES.map((type): Step => ({ of: 'deposit', type }))];
const ACTED_ON_MIX: readonly Step[] = FULL_MIX.filter((step) => ACTED_ON.has(step.type));

/** The provider fakes, started before the service (it is pointed at them) and stopped after it. */
let fakes: ProviderFakes | undefined;
function stripe() {
  if (!fakes) throw new Error('the provider fakes are not running');
  return fakes.stripe;
}

interface Subscriber {
  readonly userId: string;
  readonly token: string;
  readonly subscriptionId: string;
}

interface Deposit {
  readonly userId: string;
  readonly providerSessionId: string;
  /** Set once paid at the fake. */
  paymentIntentId: string | null;
}

/** A JSON event body with its event id left open: building the rest once, the callers only join. */
type Body = (eventId: string) => string;
const EVENT_ID_PLACEHOLDER = 'evt_bench_placeholder';

function stripeBody(type: string, objectId: string): Body {
  const [head, tail, ...more] = stripe().eventFor(type, objectId, { id: EVENT_ID_PLACEHOLDER }).split(`"${EVENT_ID_PLACEHOLDER}"`);
  if (tail === undefined || more.length > 0) throw new Error(`the ${type} event does not carry its id once`);
  return (eventId) => `${head}"${eventId}"${tail}`;
}

interface Delivery {
  readonly path: 'stripe' | 'razorpay';
  readonly body: string;
  readonly eventId: string;
}

/** Deliveries of one phase, by number: a fresh event id each, built when sent. */
type Deliveries = (n: number) => Delivery;

function stripeHeaders(body: string): Record<string, string> {
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac('sha256', STRIPE_WEBHOOK_SECRET).update(`${t}.${body}`, 'utf8').digest('hex');
  return { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${v1}` };
}

function razorpayHeaders(body: string, eventId: string): Record<string, string> {
  const signature = createHmac('sha256', RAZORPAY_WEBHOOK_SECRET).update(body, 'utf8').digest('hex');
  return { 'content-type': 'application/json', 'x-razorpay-signature': signature, 'x-razorpay-event-id': eventId };
}

/** The first unexpected answer of the run, shown under the table. */
let firstError: string | undefined;

/** Sends one delivery to one of `urls` (by caller) and reads the answer: 200 `{"received":true}` counts. */
function sender(name: string, urls: readonly string[], paths: { stripe: string; razorpay: string }) {
  const endpoints = urls.map((url) => ({ stripe: new URL(paths.stripe, url), razorpay: new URL(paths.razorpay, url) }));
  return async (agent: Agent, caller: number, delivery: Delivery): Promise<Answer> => {
    const headers = delivery.path === 'stripe' ? stripeHeaders(delivery.body) : razorpayHeaders(delivery.body, delivery.eventId);
    const { status, text } = await post(agent, endpoints[caller % endpoints.length]![delivery.path], headers, delivery.body);
    if (status !== 200) {
      firstError ??= `${name}: HTTP ${status} ${text.slice(0, 300)}`;
      return { ok: false, label: `HTTP ${status}` };
    }
    return { ok: true, label: text === '{"received":true}' ? 'received' : text.slice(0, 40) };
  };
}

function deliver(name: string, urls: readonly string[], paths: { stripe: string; razorpay: string }, deliveries: Deliveries): Promise<Result> {
  let sequence = 0;
  const send = sender(name, urls, paths);
  return closedLoop(name, (agent, caller) => send(agent, caller, deliveries(sequence++)));
}

function deliverAt(name: string, urls: readonly string[], paths: { stripe: string; razorpay: string }, perSecond: number, deliveries: Deliveries): Promise<Result> {
  const send = sender(name, urls, paths);
  return openLoop(name, perSecond, (agent, n) => send(agent, n, deliveries(n)));
}

/** Runs `count` setup calls, SETUP_CONCURRENCY at a time, in order of their index. */
async function inTurn<T>(count: number, call: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(SETUP_CONCURRENCY, count) }, async () => {
      for (let index = next++; index < count; index = next++) results[index] = await call(index);
    }),
  );
  return results;
}

async function json<T>(response: Response, what: string): Promise<T> {
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${what}: HTTP ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

function providerSessionIdIn(url: string): string {
  const id = /cs_test_\w+/.exec(url)?.[0];
  if (!id) throw new Error(`no Stripe checkout session in ${url}`);
  return id;
}

/** A user on a paid plan: checkout through the service, paid at the fake, verified through the service. */
async function subscribe(url: string, index: number): Promise<Subscriber> {
  const userId = `bench-sub-${index}`;
  const token = await signToken({ sub: userId, country: 'US', secret: JWT_SECRET });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const started = await json<{ url: string }>(
    await fetch(`${url}/api/billing/checkout`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ tier: 'pro', billing_interval: 'monthly', success_url: URLS.successUrl, cancel_url: URLS.cancelUrl }),
    }),
    'POST /api/billing/checkout',
  );
  const providerSessionId = providerSessionIdIn(started.url);
  const { subscriptionId } = stripe().completeCheckout(providerSessionId);
  const verified = await json<{ tier: string }>(await fetch(`${url}/api/billing/verify-session?session_id=${providerSessionId}`, { headers }), 'GET /api/billing/verify-session');
  if (verified.tier !== 'pro') throw new Error(`${userId} verified as ${verified.tier}`);
  return { userId, token, subscriptionId };
}

/** Open deposit checkouts through GraphQL startDeposit, by the subscribers in turn (so at their Stripe customers). */
function openDeposits(urls: readonly string[], subscribers: readonly Subscriber[], count: number, offset: number): Promise<Deposit[]> {
  const query = 'mutation ($amountCents: Int!, $successUrl: String!, $cancelUrl: String!) { startDeposit(amountCents: $amountCents, successUrl: $successUrl, cancelUrl: $cancelUrl) { url sessionId } }';
  return inTurn(count, async (index) => {
    const subscriber = subscribers[(offset + index) % subscribers.length]!;
    const answer = await json<{ data?: { startDeposit: { url: string } }; errors?: unknown }>(
      await fetch(`${urls[index % urls.length]}/graphql`, {
        method: 'POST',
        headers: { authorization: `Bearer ${subscriber.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables: { amountCents: DEPOSIT_CENTS, ...URLS } }),
      }),
      'startDeposit',
    );
    if (!answer.data) throw new Error(`startDeposit: ${JSON.stringify(answer.errors).slice(0, 300)}`);
    return { userId: subscriber.userId, providerSessionId: providerSessionIdIn(answer.data.startDeposit.url), paymentIntentId: null };
  });
}

/** What the phases did to deposits: which were paid and had their completion delivered, and how many completions went again. */
interface DepositTally {
  paid: number;
  readonly delivered: Set<Deposit>;
  redelivered: number;
  renewals: number;
}

/** Pays the deposit's checkout at the fake, as the user would on Stripe's page. */
function pay(deposit: Deposit, tally: DepositTally): void {
  deposit.paymentIntentId = stripe().completeCheckout(deposit.providerSessionId).paymentIntentId;
  tally.paid++;
}

/** The deposit of `cycle`: the next one while there are, else an earlier one again (counted). */
function depositOf(deposits: readonly Deposit[], cycle: number, tally: DepositTally): Deposit {
  if (cycle >= deposits.length) tally.redelivered++;
  const deposit = deposits[cycle % deposits.length]!;
  tally.delivered.add(deposit);
  return deposit;
}

const FIRST_DEPOSIT_STEP = FULL_MIX.findIndex((step) => step.of === 'deposit');

/** The acknowledgement mix, from bodies built before the phase; the fake's subscription renews as each cycle starts. */
function prebuiltMix(tag: string, subscribers: readonly Subscriber[], deposits: readonly Deposit[], payments: ReadonlyMap<string, Body>, tally: DepositTally): Deliveries {
  const renewalBodies = subscribers.map((subscriber) => new Map(RENEWAL_TYPES.map((type) => [type as string, payments.get(type) ?? stripeBody(type, subscriber.subscriptionId)])));
  const depositBodies = deposits.map(
    (deposit) => new Map(DEPOSIT_TYPES.map((type) => [type as string, stripeBody(type, type.startsWith('checkout.') ? deposit.providerSessionId : deposit.paymentIntentId!)])),
  );
  return (n) => {
    const cycle = Math.floor(n / FULL_MIX.length);
    const index = n % FULL_MIX.length;
    const step = FULL_MIX[index]!;
    if (index === 0) {
      stripe().renewSubscription(subscribers[cycle % subscribers.length]!.subscriptionId);
      tally.renewals++;
    }
    if (index === FIRST_DEPOSIT_STEP) depositOf(deposits, cycle, tally);
    const bodies = step.of === 'renewal' ? renewalBodies[cycle % subscribers.length]! : depositBodies[cycle % deposits.length]!;
    const eventId = `evt_${tag}_${n}`;
    return { path: 'stripe', body: bodies.get(step.type)!(eventId), eventId };
  };
}

/**
 * A mix made live at the fake as each cycle starts: the subscription renews, the deposit is paid,
 * and the fake builds the snapshot of every event of the cycle then. `steps` picks which of the
 * mix's events are sent.
 */
function liveMix(tag: string, steps: readonly Step[], subscribers: readonly Subscriber[], deposits: readonly Deposit[], payments: ReadonlyMap<string, Body>, tally: DepositTally): Deliveries {
  const cycles = new Map<number, string[]>();
  return (n) => {
    const cycle = Math.floor(n / steps.length);
    const index = n % steps.length;
    let bodies = cycles.get(cycle);
    if (!bodies) {
      const subscriber = subscribers[cycle % subscribers.length]!;
      stripe().renewSubscription(subscriber.subscriptionId);
      tally.renewals++;
      const deposit = depositOf(deposits, cycle, tally);
      if (!deposit.paymentIntentId) pay(deposit, tally);
      bodies = steps.map((step, at) => {
        const eventId = `evt_${tag}_${cycle * steps.length + at}`;
        if (step.of === 'renewal') return PAYMENT_TYPES.has(step.type) ? payments.get(step.type)!(eventId) : stripe().eventFor(step.type, subscriber.subscriptionId, { id: eventId });
        return stripe().eventFor(step.type, step.type.startsWith('checkout.') ? deposit.providerSessionId : deposit.paymentIntentId!, { id: eventId });
      });
      cycles.set(cycle, bodies);
    }
    if (index === steps.length - 1) cycles.delete(cycle);
    return { path: 'stripe', body: bodies[index]!, eventId: `evt_${tag}_${n}` };
  };
}

/** Stripe events recorded as ignored at once, the five types in turn, from real snapshots. */
function ignoredStripe(tag: string, bodies: readonly Body[]): Deliveries {
  return (n) => {
    const eventId = `evt_${tag}_${n}`;
    return { path: 'stripe', body: bodies[n % bodies.length]!(eventId), eventId };
  };
}

/** Razorpay payment.authorized, each about another payment: one snapshot from the fake, with the payment's id put in. */
function ignoredRazorpay(tag: string): Deliveries {
  const razorpay = fakes!.razorpay;
  const paymentId = razorpay.createPayment({ amount: 49_900, description: 'bench' });
  const parts = razorpay.eventFor('payment.authorized', { payment: paymentId }).split(paymentId);
  return (n) => {
    const eventId = `evt_${tag}_${n}`;
    return { path: 'razorpay', body: parts.join(`pay_${tag}${n.toString(36).padStart(10, '0')}`), eventId };
  };
}

/** The statement the service sends for an ignored delivery (it sends one for up to 64 of them), as pgbench issues it, one delivery per statement. */
function ignoredDeliverySql(body: string): string {
  const payload = body.replaceAll("'", "''");
  const eventId = `'pgbench-' || :client_id || '-' || :n`;
  return [
    '\\set n random(1, 1000000000000)',
    `insert into webhook_events (provider, event_id, dedup_key, body_digest, type, subject_kind, subject_id, subject_hint, occurred_at, received_at, payload, status, note, due_at, settled_at)
       values ('stripe', ${eventId}, ${eventId}, '${'0'.repeat(64)}', 'charge.succeeded', null, null, null, now(), now(), '${payload}'::json, 'ignored',
               'charge.succeeded is not an event this service acts on', null, now())
       on conflict (provider, dedup_key) do nothing returning provider, dedup_key;`.replace(/\n\s*/g, ' '),
    '',
  ].join('\n');
}

async function pendingCount(db: pg.Client): Promise<number> {
  const { rows } = await db.query<{ n: string }>(`select count(*) as n from webhook_events where status = 'pending'`);
  return Number(rows[0]!.n);
}

/** Waits until no event is pending (or DRAIN_TIMEOUT_MS passed): how long that took and what was left. */
async function drain(db: pg.Client): Promise<{ ms: number; left: number }> {
  const started = performance.now();
  for (;;) {
    const left = await pendingCount(db);
    const ms = performance.now() - started;
    if (left === 0 || ms > DRAIN_TIMEOUT_MS) return { ms, left };
    await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
  }
}

/** The events of one phase (by their id's prefix) that went to the workers, by status. */
async function workerStatusesOf(db: pg.Client, tag: string): Promise<Record<string, number>> {
  const { rows } = await db.query<{ status: string; n: string }>(
    `select status, count(*) as n from webhook_events where starts_with(event_id, $1) and subject_kind is not null group by status order by status`,
    [`evt_${tag}_`],
  );
  return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
}

const describeCounts = (counts: Readonly<Record<string, number>>) =>
  Object.entries(counts)
    .map(([label, count]) => `${label} ${count}`)
    .join(', ') || 'none';

interface ApplyLag {
  /** received_at → settled_at, sorted. */
  readonly server: number[];
  /** When the delivery was due to be sent → settled_at, sorted. */
  readonly client: number[];
  readonly byStatus: Record<string, number>;
  /** received_at → settled_at by the kind of subject, sorted. */
  readonly byKind: ReadonlyMap<string, number[]>;
  /** Events a worker took more than once (a failed attempt, or a lease lost). */
  readonly retried: number;
  /** Applies: a subject's events settled together count once (by subject and settle time). */
  readonly applies: number;
  /** received_at → settled_at of the events delivered in the phase's first and last second, sorted. */
  readonly firstSecond: number[];
  readonly lastSecond: number[];
}

/** Received → settled of every event of a phase a worker handled, and due-to-be-sent → settled from the client. */
async function applyLag(db: pg.Client, tag: string, dueAt: ReadonlyMap<number, number>): Promise<ApplyLag> {
  const { rows } = await db.query<{ event_id: string; status: string; subject_kind: string; subject_id: string; attempts: number; lag_ms: number | null; settled_ms: number | null }>(
    `select event_id, status, subject_kind, subject_id, attempts, extract(epoch from settled_at - received_at)::float8 * 1000 as lag_ms, extract(epoch from settled_at)::float8 * 1000 as settled_ms
     from webhook_events where provider = 'stripe' and starts_with(event_id, $1) and subject_kind is not null`,
    [`evt_${tag}_`],
  );
  const byStatus: Record<string, number> = {};
  const byKind = new Map<string, number[]>();
  const server: number[] = [];
  const client: number[] = [];
  const firstSecond: number[] = [];
  const lastSecond: number[] = [];
  const applies = new Set<string>();
  const dues = [...dueAt.values()];
  const [start, end] = [Math.min(...dues), Math.max(...dues)];
  let retried = 0;
  for (const row of rows) {
    byStatus[row.status] = (byStatus[row.status] ?? 0) + 1;
    if (row.attempts > 1) retried++;
    if (row.lag_ms === null || row.settled_ms === null || row.status === 'dead') continue;
    applies.add(`${row.subject_kind}:${row.subject_id}:${row.settled_ms}`);
    server.push(row.lag_ms);
    byKind.set(row.subject_kind, [...(byKind.get(row.subject_kind) ?? []), row.lag_ms]);
    const due = dueAt.get(Number(row.event_id.slice(`evt_${tag}_`.length)));
    if (due === undefined) continue;
    client.push(row.settled_ms - due);
    if (due < start + 1000) firstSecond.push(row.lag_ms);
    if (due > end - 1000) lastSecond.push(row.lag_ms);
  }
  for (const sorted of [server, client, firstSecond, lastSecond, ...byKind.values()]) sorted.sort((a, b) => a - b);
  return { server, client, byStatus, byKind, retried, applies: applies.size, firstSecond, lastSecond };
}

/** At the end: deposits credited once each, the ledger balanced, plans as the fake holds them, and what became of every event. */
async function verify(db: pg.Client, subscribers: readonly Subscriber[], tally: DepositTally): Promise<string[]> {
  const lines: string[] = [];
  const check = (ok: boolean, text: string) => lines.push(`${ok ? 'ok' : '**FAILED**'}: ${text}`);
  const expected = tally.delivered.size;
  const { rows: [deposits] } = await db.query<{ completed: string; open: string; transfers: string; sessions: string; twice: string }>(
    `select (select count(*) from checkout_sessions where purpose = 'deposit' and status = 'completed') as completed,
            (select count(*) from checkout_sessions where purpose = 'deposit' and status = 'open') as open,
            (select count(*) from ledger_transfers where kind = 'deposit') as transfers,
            (select count(distinct reference) from ledger_transfers where kind = 'deposit') as sessions,
            (select count(*) from (select reference from ledger_transfers where kind = 'deposit' group by reference having count(*) > 1) t) as twice`,
  );
  check(
    Number(deposits!.completed) === expected && Number(deposits!.transfers) === expected && Number(deposits!.sessions) === expected && Number(deposits!.twice) === 0,
    `deposits paid at the fake and delivered: ${expected}; sessions completed: ${deposits!.completed}; deposit transfers: ${deposits!.transfers} for ${deposits!.sessions} sessions, ${deposits!.twice} credited twice ` +
      `(${deposits!.open} deposit checkouts left open: ${tally.paid - expected} paid at the fake before a phase that ended before their events, the rest never paid; ` +
      `${tally.redelivered} completions delivered again for a deposit already delivered)`,
  );
  const { rows: [ledger] } = await db.query<{ total: string; unbalanced: string; wallets: string; disagreeing: string; miscredited: string }>(
    `select (select coalesce(sum(amount_minor), 0) from ledger_entries) as total,
            (select count(*) from (select transfer_id from ledger_entries group by transfer_id having sum(amount_minor) <> 0) t) as unbalanced,
            (select count(*) from wallets where starts_with(user_id, 'bench-sub-')) as wallets,
            (select count(*) from wallets w where starts_with(w.user_id, 'bench-sub-')
               and w.balance_cents <> coalesce((select sum(e.amount_minor) from ledger_entries e where e.account = 'wallet:' || w.user_id), 0)) as disagreeing,
            (select count(*) from wallets w where starts_with(w.user_id, 'bench-sub-')
               and w.balance_cents <> ${DEPOSIT_CENTS} * (select count(*) from checkout_sessions s where s.user_id = w.user_id and s.purpose = 'deposit' and s.status = 'completed')) as miscredited`,
  );
  check(
    Number(ledger!.total) === 0 && Number(ledger!.unbalanced) === 0 && Number(ledger!.disagreeing) === 0 && Number(ledger!.miscredited) === 0,
    `ledger: entries sum to ${ledger!.total}, ${ledger!.unbalanced} transfers unbalanced; of ${ledger!.wallets} subscribers' wallets ${ledger!.disagreeing} differ from their entries and ${ledger!.miscredited} from ${DEPOSIT_CENTS} × their completed deposits`,
  );
  const { rows: plans } = await db.query<{ user_id: string; plan_tier: string; status: string; period_end: number }>(
    `select user_id, plan_tier, status, extract(epoch from current_period_end)::float8 as period_end from account_plans where starts_with(user_id, 'bench-sub-')`,
  );
  const byUser = new Map(plans.map((plan) => [plan.user_id, plan]));
  const agreeing = subscribers.filter((subscriber) => {
    const held = stripe().subscription(subscriber.subscriptionId) as { status: string; items: { data: { current_period_end: number }[] } } | null;
    const plan = byUser.get(subscriber.userId);
    return held && plan && plan.plan_tier === 'pro' && plan.status === held.status && Math.round(plan.period_end) === held.items.data[0]!.current_period_end;
  }).length;
  check(agreeing === subscribers.length, `plans as the fake holds their subscription (pro, status, period end after ${tally.renewals} renewals): ${agreeing} of ${subscribers.length}`);
  const { rows: statuses } = await db.query<{ status: string; n: string }>(`select status, count(*) as n from webhook_events group by status order by status`);
  const counts = Object.fromEntries(statuses.map((row) => [row.status, Number(row.n)]));
  check(!counts['pending'] && !counts['failed'] && !counts['dead'], `every webhook event of the run: ${describeCounts(counts)}`);
  const { rows: troubled } = await db.query<{ type: string; status: string; note: string | null; last_error: string | null; n: string }>(
    `select type, status, note, last_error, count(*) as n from webhook_events where status in ('failed', 'dead') or (status = 'pending') or last_error is not null
     group by type, status, note, last_error order by count(*) desc limit 5`,
  );
  for (const row of troubled) lines.push(`  ${row.n} × ${row.type} ${row.status}: ${(row.note ?? row.last_error ?? '').slice(0, 300)}`);
  return lines;
}

/** Opens `count` deposit checkouts through the service and pays them at the fake: a batch for a mix built before its phase. */
async function paidDeposits(urls: readonly string[], subscribers: readonly Subscriber[], count: number, tally: DepositTally): Promise<Deposit[]> {
  const deposits = await openDeposits(urls, subscribers, count, 0);
  for (const deposit of deposits) pay(deposit, tally);
  return deposits;
}

export const webhooksBench: Bench = {
  env: { STRIPE_WEBHOOK_SECRET, RAZORPAY_WEBHOOK_SECRET },
  async startCompanion() {
    fakes = await startProviderFakes();
    const started = fakes;
    return {
      env: started.env,
      stop: async () => {
        await started.stop();
        fakes = undefined;
      },
    };
  },
  async prepare({ databaseUrl, urls, services }: BenchContext) {
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const floor = await startProcess('bench/webhook-floor.ts', { STRIPE_WEBHOOK_SECRET, RAZORPAY_WEBHOOK_SECRET }, { readyPath: '/' });
    const scripts = await mkdtemp(join(tmpdir(), 'billing-bench-webhooks-'));
    const teardown = async () => {
      await floor.stop();
      await db.end();
      await rm(scripts, { recursive: true, force: true });
    };
    try {
      const setupStarted = performance.now();
      const subscribers = await inTurn(SUBSCRIPTIONS, (index) => subscribe(urls[index % urls.length]!, index));
      const tally: DepositTally = { paid: 0, delivered: new Set(), redelivered: 0, renewals: 0 };
      const firstDeposits = await paidDeposits(urls, subscribers, ACK_DEPOSITS, tally);
      const samplePayment = firstDeposits[0]!.paymentIntentId!;
      const payments = new Map([...PAYMENT_TYPES].map((type) => [type, stripeBody(type, samplePayment)]));
      const ignoredBodies = IGNORED_STRIPE_TYPES.map((type) => payments.get(type) ?? stripeBody(type, subscribers[0]!.subscriptionId));
      await writeFile(join(scripts, 'ignored-delivery.sql'), ignoredDeliverySql(payments.get('charge.succeeded')!('evt_pgbench')));
      const setupSeconds = (performance.now() - setupStarted) / 1000;

      return {
        teardown,
        run: async () => {
          console.log(
            `\nwebhooks: ${CONCURRENCY} concurrent callers (closed loop) or ${ACK_RATE}/s and ${LAG_RATE}/s offered (open loop), ${PROCESSES} service process(es), ` +
              `${SECONDS} s per phase, each delivery signed with its own event id; provider fakes in the bench process; ` +
              `set up through the service in ${setupSeconds.toFixed(1)} s: ${SUBSCRIPTIONS} paid subscriptions, ${ACK_DEPOSITS} deposits paid at the fake`,
          );
          const { phase } = phases();
          const timed = async (work: () => Promise<Result>) => {
            const split = measureCpu({ service: services.map((service) => service.pid), bench: [process.pid], floor: [floor.pid] });
            const result = await phase(work());
            console.log(`    ${split()}`);
            return result;
          };
          const floorUrls = [floor.url];
          const settle = async (tag: string) => {
            const backlog = await pendingCount(db);
            const drained = await drain(db);
            console.log(
              `    backlog at the end: ${backlog} events pending; drained in ${(drained.ms / 1000).toFixed(1)} s` +
                `${drained.left ? ` (**${drained.left} still pending** after ${DRAIN_TIMEOUT_MS / 1000} s)` : ''}; ` +
                `the phase's events that went to the workers: ${describeCounts(await workerStatusesOf(db, tag))}`,
            );
          };

          // The callers' and the service's code paths warm up first (JIT): the first phase would otherwise pay for it.
          for (const [tag, target, paths, deliveries] of [
            ['warmfloor', floorUrls, FLOOR_PATHS, ignoredStripe('warmfloor', ignoredBodies)],
            ['warmrzpfloor', floorUrls, FLOOR_PATHS, ignoredRazorpay('warmrzpfloor')],
            ['warm', urls, SERVICE_PATHS, ignoredStripe('warm', ignoredBodies)],
            ['warmrzp', urls, SERVICE_PATHS, ignoredRazorpay('warmrzp')],
          ] as const) {
            let sequence = 0;
            const send = sender(tag, target, paths);
            await closedLoop(tag, (agent, caller) => send(agent, caller, deliveries(sequence++)), WARMUP_SECONDS);
          }

          const stripeIgnoredName = `service: Stripe ${IGNORED_STRIPE_TYPES.join(' / ')} (recorded as ignored)`;
          const razorpayIgnoredName = 'service: Razorpay payment.authorized (recorded as ignored)';
          const mixName = 'service: Stripe renewal + deposit mix (4 of 12 to the workers)';
          const stripeFloor = await timed(() => deliver('bare node:http, Stripe signature check', floorUrls, FLOOR_PATHS, ignoredStripe('floor', ignoredBodies)));
          const stripeIgnored = await timed(() => deliver(stripeIgnoredName, urls, SERVICE_PATHS, ignoredStripe('ignored', ignoredBodies)));
          const sqlFloor = await timed(() => pgbench('bare SQL: the inbox insert of one ignored delivery', databaseUrl, ['-f', join(scripts, 'ignored-delivery.sql')]));
          const razorpayFloor = await timed(() => deliver('bare node:http, Razorpay signature check', floorUrls, FLOOR_PATHS, ignoredRazorpay('rzpfloor')));
          const razorpayIgnored = await timed(() => deliver(razorpayIgnoredName, urls, SERVICE_PATHS, ignoredRazorpay('rzp')));
          const mixDeliveries = prebuiltMix('mix', subscribers, firstDeposits, payments, tally);
          const mix = await timed(() => deliver(mixName, urls, SERVICE_PATHS, mixDeliveries));
          await settle('mix');

          const at = `at ${ACK_RATE}/s offered`;
          const stripeFloorAt = await timed(() => deliverAt(`bare node:http, Stripe signature check, ${at}`, floorUrls, FLOOR_PATHS, ACK_RATE, ignoredStripe('floorat', ignoredBodies)));
          const stripeIgnoredAt = await timed(() => deliverAt(`${stripeIgnoredName}, ${at}`, urls, SERVICE_PATHS, ACK_RATE, ignoredStripe('ignoredat', ignoredBodies)));
          const razorpayFloorAt = await timed(() => deliverAt(`bare node:http, Razorpay signature check, ${at}`, floorUrls, FLOOR_PATHS, ACK_RATE, ignoredRazorpay('rzpfloorat')));
          const razorpayIgnoredAt = await timed(() => deliverAt(`${razorpayIgnoredName}, ${at}`, urls, SERVICE_PATHS, ACK_RATE, ignoredRazorpay('rzpat')));
          // A new batch of deposits: the first one's are settled, and the fake keeps only its last 1,000 sessions.
          const mixAtDeliveries = prebuiltMix('mixat', subscribers, await paidDeposits(urls, subscribers, ACK_DEPOSITS, tally), payments, tally);
          const mixAt = await timed(() => deliverAt(`${mixName}, ${at}`, urls, SERVICE_PATHS, ACK_RATE, mixAtDeliveries));
          await settle('mixat');

          const lagPhase = async (tag: string, steps: readonly Step[], label: string) => {
            const cycles = Math.ceil((LAG_RATE * SECONDS) / steps.length);
            const deposits = await openDeposits(urls, subscribers, Math.min(cycles, MAX_LAG_DEPOSITS), tally.delivered.size);
            const deliveries = liveMix(tag, steps, subscribers, deposits, payments, tally);
            const send = sender(label, urls, SERVICE_PATHS);
            const dueAt = new Map<number, number>();
            const ack = await timed(() =>
              openLoop(`service: ${label}, acknowledged`, LAG_RATE, (agent, n, due) => {
                dueAt.set(n, due);
                return send(agent, n, deliveries(n));
              }),
            );
            const drained = await drain(db);
            const lag = await applyLag(db, tag, dueAt);
            const lagResult = (name: string, sorted: number[]): Result => ({
              name,
              perSecond: (sorted.length / (LAG_RATE * SECONDS)) * ack.perSecond,
              p50Ms: percentile(sorted, 50),
              p99Ms: percentile(sorted, 99),
              errors: (lag.byStatus['failed'] ?? 0) + (lag.byStatus['dead'] ?? 0) + (lag.byStatus['pending'] ?? 0),
            });
            const kinds = [...lag.byKind].map(([kind, sorted]) => `${kind} ${sorted.length}, p50 ${percentile(sorted, 50).toFixed(0)} ms, p99 ${percentile(sorted, 99).toFixed(0)} ms`);
            console.log(
              `    the events that went to the workers: ${describeCounts(lag.byStatus)}, in ${lag.applies} applies; ${lag.retried} taken more than once; ` +
                `lag by subject: ${kinds.join('; ')}; p50 of the first second's events ${percentile(lag.firstSecond, 50).toFixed(0)} ms, of the last second's ${percentile(lag.lastSecond, 50).toFixed(0)} ms` +
                `${drained.left ? `; **${drained.left} still pending** after ${DRAIN_TIMEOUT_MS / 1000} s` : ''}`,
            );
            return {
              ack,
              server: lagResult(`service: ${label}, apply lag (received_at → settled_at)`, lag.server),
              client: lagResult(`service: ${label}, apply lag from the client (due to be sent → settled_at)`, lag.client),
            };
          };
          const lagFull = await lagPhase('lagmix', FULL_MIX, `Stripe renewal + deposit mix at ${LAG_RATE}/s (1 in 3 to the workers)`);
          const lagActed = await lagPhase('lagacted', ACTED_ON_MIX, `the mix's state-changing events alone at ${LAG_RATE}/s (all to the workers)`);

          const capacity = (result: Result) => ({ text: `≥ ${ACK_RATE.toLocaleString('en-US')}/s`, met: result.perSecond >= ACK_RATE && !result.errors });
          const latency = (result: Result) => ({
            text: `p99 ≤ ${ACK_P99_MS} ms ${at}`,
            met: result.perSecond >= ACK_RATE * KEPT_UP && (result.p99Ms ?? Number.POSITIVE_INFINITY) <= ACK_P99_MS && !result.errors,
          });
          printTable(
            [
              { result: stripeFloor, floor: null },
              { result: sqlFloor, floor: null },
              { result: stripeIgnored, floor: stripeFloor, alsoAgainst: [sqlFloor], target: capacity(stripeIgnored) },
              { result: mix, floor: stripeFloor, target: capacity(mix) },
              { result: razorpayFloor, floor: null },
              { result: razorpayIgnored, floor: razorpayFloor, target: capacity(razorpayIgnored) },
              { result: stripeFloorAt, floor: null, note: 'floor (open loop)' },
              { result: stripeIgnoredAt, floor: null, note: 'open loop', target: latency(stripeIgnoredAt) },
              { result: mixAt, floor: null, note: 'open loop', target: latency(mixAt) },
              { result: razorpayFloorAt, floor: null, note: 'floor (open loop)' },
              { result: razorpayIgnoredAt, floor: null, note: 'open loop', target: latency(razorpayIgnoredAt) },
            ],
            'deliveries/s',
          );
          console.log(
            `\n(Closed loop: ${CONCURRENCY} callers, so the mean latency is ${CONCURRENCY} / throughput: ${(1000 * CONCURRENCY / ACK_RATE).toFixed(0)} ms at ${ACK_RATE}/s; ` +
              `the latency target is held to the open-loop rows, timed from when each delivery was due. pgbench reports the average latency; it is shown as p50 for the SQL floor.)`,
          );
          for (const result of [stripeIgnored, mix, razorpayIgnored, stripeIgnoredAt, mixAt, razorpayIgnoredAt]) {
            console.log(`(${result.name}: answers ${describeCounts(result.outcomes ?? {})})`);
          }

          const lagRows = (lag: { ack: Result; server: Result; client: Result }): Row[] => [
            { result: lag.ack, floor: null, note: 'open loop: latency from when each delivery was due' },
            { result: lag.server, floor: null, note: 'events/s the workers settled; lag per event', target: lagTarget(lag.server) },
            { result: lag.client, floor: null, note: 'the same events, from the client', target: lagTarget(lag.client) },
          ];
          printTable([...lagRows(lagFull), ...lagRows(lagActed)], 'events/s');
          console.log('\n(errors in the lag rows: events failed, dead or still pending)');

          console.log('\nAt the end:');
          for (const line of await verify(db, subscribers, tally)) console.log(line);
          for (const service of services) {
            const { warnings, errors, first } = service.log;
            console.log(`service process ${service.pid} logged ${warnings} warnings and ${errors} errors${first.length ? '; first:' : ''}`);
            for (const line of first) console.log(`  ${line}`);
          }
          if (firstError) console.log(`(first unexpected answer: ${firstError})`);
        },
      };
    } catch (error) {
      await teardown();
      throw error;
    }
  },
};

function lagTarget(result: Result) {
  return { text: LAG_TARGET.text, met: (result.p99Ms ?? Number.POSITIVE_INFINITY) <= LAG_TARGET.p99Ms && !result.errors };
}

if (import.meta.main) await runBenches([webhooksBench]);
