import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local server speaking Stripe's wire format for the handful of endpoints the Stripe gateway
 * uses, so the official SDK can be driven over real HTTP. Responses are built from Stripe's own
 * example objects (tests/fixtures/stripe) with the fields that matter overridden. Everything it
 * keeps is bounded; it is one test's provider, started and stopped by that test.
 */

type StripeObject = Record<string, unknown>;

export interface StripeFakePrice {
  readonly id: string;
  readonly interval: 'month' | 'year';
  readonly unitAmount?: number;
}

export interface StripeFakeOptions {
  readonly secretKey: string;
  /** The prices that exist in this account; anything else is "No such price". */
  readonly prices: readonly StripeFakePrice[];
}

export interface RecordedStripeRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, unknown>;
  readonly body: Record<string, unknown>;
  readonly rawBody: string;
  readonly idempotencyKey: string | null;
  readonly authorization: string | null;
}

export interface StripeFakeError {
  readonly status: number;
  readonly type: 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error';
  readonly message: string;
  readonly code?: string;
  readonly param?: string;
}

interface StoredSession {
  readonly session: StripeObject;
  /** The recurring price of a subscription-mode session; null in payment mode. */
  readonly priceId: string | null;
  readonly subscriptionMetadata: Record<string, unknown>;
}

interface StoredReply {
  readonly method: string;
  readonly path: string;
  readonly rawBody: string;
  readonly status: number;
  readonly json: unknown;
}

type NextBehaviour = { readonly kind: 'fail'; readonly error: StripeFakeError } | { readonly kind: 'delay'; readonly ms: number };

const MAX_OBJECTS = 1_000;
const MAX_RECORDED_REQUESTS = 1_000;
const MAX_BODY_BYTES = 256 * 1024;
const MAX_FORM_DEPTH = 6;
const DAY_SECONDS = 86_400;

const fixture = (name: string): StripeObject =>
  JSON.parse(readFileSync(new URL(`../fixtures/stripe/${name}.json`, import.meta.url), 'utf8')) as StripeObject;

const FIXTURES = {
  checkoutSession: fixture('checkout.session'),
  subscription: fixture('subscription'),
  portalSession: fixture('billing_portal.session'),
  customer: fixture('customer'),
  price: fixture('price'),
};

export class StripeFake {
  /** Every request received, oldest first (the last MAX_RECORDED_REQUESTS of them). */
  readonly requests: RecordedStripeRequest[] = [];

  private readonly secretKey: string;
  private readonly prices: ReadonlyMap<string, StripeFakePrice>;
  private readonly sessions = new Map<string, StoredSession>();
  private readonly subscriptions = new Map<string, StripeObject>();
  private readonly customers = new Map<string, StripeObject>();
  private readonly replies = new Map<string, StoredReply>();
  private readonly next: NextBehaviour[] = [];
  private readonly held = new Set<ServerResponse>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private server: Server | null = null;

  constructor(options: StripeFakeOptions) {
    this.secretKey = options.secretKey;
    this.prices = new Map(options.prices.map((price) => [price.id, price]));
  }

  async start(): Promise<{ host: string; port: number; protocol: 'http' }> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return { host: '127.0.0.1', port: (server.address() as AddressInfo).port, protocol: 'http' };
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const res of this.held) res.destroy();
    this.held.clear();
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The requests to one path, e.g. requestsTo('POST', '/v1/checkout/sessions'). */
  requestsTo(method: string, path: string): RecordedStripeRequest[] {
    return this.requests.filter((request) => request.method === method && request.path === path);
  }

  /** Answers the next `times` requests with this Stripe error (the SDK retries 409 and 5xx itself). */
  failNext(error: StripeFakeError, times = 1): void {
    for (let i = 0; i < times; i++) this.next.push({ kind: 'fail', error });
  }

  /**
   * Handles the next request as usual but holds the answer back for `ms`: the object is created
   * and the idempotent reply stored, as when Stripe did the work and the answer got lost.
   */
  delayNext(ms: number): void {
    this.next.push({ kind: 'delay', ms });
  }

  /** Like delayNext, but the answer never comes (until stop()). */
  hangNext(): void {
    this.delayNext(Number.POSITIVE_INFINITY);
  }

  checkoutSession(id: string): StripeObject | null {
    return this.sessions.get(id)?.session ?? null;
  }

  subscription(id: string): StripeObject | null {
    return this.subscriptions.get(id) ?? null;
  }

  /** The user paid: the session completes, with a customer (if it had none) and an active subscription. */
  completeCheckout(id: string): { customerId: string; subscriptionId: string; currentPeriodEnd: number } {
    const stored = this.sessions.get(id);
    if (!stored || stored.session['status'] !== 'open') throw new Error(`StripeFake: no open checkout session ${id}`);
    const { session } = stored;
    const now = nowSeconds();

    const existingCustomer = session['customer'];
    const customerId = typeof existingCustomer === 'string' ? existingCustomer : newId('cus');
    if (typeof existingCustomer !== 'string') {
      this.remember(this.customers, customerId, { ...clone(FIXTURES.customer), id: customerId, created: now, metadata: {}, email: null });
    }
    if (stored.priceId === null) {
      // Payment mode: one PaymentIntent, no subscription.
      Object.assign(session, { status: 'complete', payment_status: 'paid', customer: customerId, payment_intent: newId('pi'), url: null });
      return { customerId, subscriptionId: '', currentPeriodEnd: 0 };
    }

    const subscriptionId = newId('sub');
    const price = this.priceObject(stored.priceId);
    const interval = this.prices.get(stored.priceId)?.interval ?? 'month';
    const currentPeriodEnd = now + (interval === 'year' ? 365 : 30) * DAY_SECONDS;
    const fixtureItem = (FIXTURES.subscription['items'] as { data: StripeObject[] }).data[0]!;
    const item = {
      ...clone(fixtureItem),
      id: newId('si'),
      created: now,
      subscription: subscriptionId,
      price,
      quantity: 1,
      current_period_start: now,
      current_period_end: currentPeriodEnd,
      metadata: {},
    };
    this.remember(this.subscriptions, subscriptionId, {
      ...clone(FIXTURES.subscription),
      id: subscriptionId,
      customer: customerId,
      status: 'active',
      created: now,
      start_date: now,
      billing_cycle_anchor: now,
      cancel_at: null,
      cancel_at_period_end: false,
      canceled_at: null,
      ended_at: null,
      latest_invoice: null,
      metadata: clone(stored.subscriptionMetadata),
      items: { object: 'list', data: [item], has_more: false, total_count: 1, url: `/v1/subscription_items?subscription=${subscriptionId}` },
    });

    Object.assign(session, { status: 'complete', payment_status: 'paid', customer: customerId, subscription: subscriptionId, url: null });
    return { customerId, subscriptionId, currentPeriodEnd };
  }

  /** The session's 24 hours ran out unpaid. */
  expireCheckout(id: string): void {
    const stored = this.sessions.get(id);
    if (!stored || stored.session['status'] !== 'open') throw new Error(`StripeFake: no open checkout session ${id}`);
    Object.assign(stored.session, { status: 'expired', url: null });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.on('error', () => undefined);
    let rawBody: string;
    try {
      rawBody = await readBody(req);
    } catch {
      return send(res, 413, stripeError({ status: 413, type: 'invalid_request_error', message: 'Request body too large.' }));
    }
    const url = new URL(req.url ?? '/', 'http://stripe.fake');
    const method = req.method ?? 'GET';
    const request: RecordedStripeRequest = {
      method,
      path: url.pathname,
      query: parseStripeForm(url.search.slice(1)),
      body: parseStripeForm(rawBody),
      rawBody,
      idempotencyKey: header(req, 'idempotency-key'),
      authorization: header(req, 'authorization'),
    };
    this.requests.push(request);
    if (this.requests.length > MAX_RECORDED_REQUESTS) this.requests.shift();

    if (request.authorization !== `Bearer ${this.secretKey}`) {
      return send(res, 401, stripeError({ status: 401, type: 'invalid_request_error', message: 'Invalid API Key provided: sk_****' }));
    }

    const behaviour = this.next.shift();
    if (behaviour?.kind === 'fail') return send(res, behaviour.error.status, stripeError(behaviour.error));

    const reply = this.replay(request) ?? this.route(request);
    if (method === 'POST' && request.idempotencyKey && !this.replies.has(request.idempotencyKey)) {
      this.remember(this.replies, request.idempotencyKey, { method, path: request.path, rawBody, ...reply });
    }

    if (behaviour?.kind === 'delay') {
      this.held.add(res);
      if (Number.isFinite(behaviour.ms)) {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.held.delete(res);
          send(res, reply.status, reply.json);
        }, behaviour.ms);
        this.timers.add(timer);
      }
      return;
    }
    send(res, reply.status, reply.json, reply.replayed);
  }

  /** Stripe answers a reused Idempotency-Key with the first answer, or refuses it for other parameters. */
  private replay(request: RecordedStripeRequest): { status: number; json: unknown; replayed?: boolean } | null {
    if (request.method !== 'POST' || !request.idempotencyKey) return null;
    const first = this.replies.get(request.idempotencyKey);
    if (!first) return null;
    if (first.method !== request.method || first.path !== request.path || first.rawBody !== request.rawBody) {
      return fail({
        status: 400,
        type: 'idempotency_error',
        message:
          `Keys for idempotent requests can only be used with the same parameters they were first used with. ` +
          `Try using a key other than '${request.idempotencyKey}' if you meant to execute a different request.`,
      });
    }
    return { status: first.status, json: first.json, replayed: true };
  }

  private route(request: RecordedStripeRequest): { status: number; json: unknown; replayed?: boolean } {
    const { method, path } = request;
    const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
    const [version, resource, idOrSub, third] = segments;
    if (version === 'v1') {
      if (resource === 'checkout' && idOrSub === 'sessions') {
        if (method === 'POST' && segments.length === 3) return this.createCheckoutSession(request.body);
        if (method === 'GET' && segments.length === 4) return this.retrieveCheckoutSession(third!, request.query);
      }
      if (resource === 'billing_portal' && idOrSub === 'sessions' && method === 'POST' && segments.length === 3) {
        return this.createPortalSession(request.body);
      }
      if (resource === 'subscriptions' && segments.length === 3) {
        if (method === 'GET') return this.retrieveSubscription(idOrSub!);
        if (method === 'POST') return this.updateSubscription(idOrSub!, request.body);
      }
    }
    return fail({
      status: 404,
      type: 'invalid_request_error',
      message: `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
    });
  }

  private createCheckoutSession(body: Record<string, unknown>): { status: number; json: unknown } {
    const mode = body['mode'];
    if (typeof mode !== 'string') return missing('mode');
    if (mode !== 'subscription' && mode !== 'payment') return invalid(`Invalid mode: must be one of payment, setup or subscription`, 'mode');
    const successUrl = body['success_url'];
    if (typeof successUrl !== 'string') return missing('success_url');
    if (!URL.canParse(successUrl)) return invalid('Not a valid URL', 'success_url');
    const cancelUrl = body['cancel_url'];
    if (cancelUrl !== undefined && (typeof cancelUrl !== 'string' || !URL.canParse(cancelUrl))) return invalid('Not a valid URL', 'cancel_url');
    const lineItems = body['line_items'];
    if (!Array.isArray(lineItems) || lineItems.length === 0) {
      return invalid('You must provide at least one recurring price in `subscription` mode when using prices.', 'line_items');
    }
    const lineItem = lineItems[0] as Record<string, unknown>;
    const priceData = lineItem['price_data'] as Record<string, unknown> | undefined;
    const priceId = mode === 'payment' && priceData ? null : lineItem['price'];
    let amount: number;
    if (priceId === null) {
      const unitAmount = Number(priceData!['unit_amount']);
      if (!Number.isInteger(unitAmount) || unitAmount <= 0) return invalid('Invalid integer: unit_amount', 'line_items[0][price_data][unit_amount]');
      if (priceData!['currency'] !== 'usd') return invalid('Invalid currency', 'line_items[0][price_data][currency]');
      amount = unitAmount * Number(lineItem['quantity'] ?? 1);
    } else {
      if (typeof priceId !== 'string' || !this.prices.has(priceId)) return noSuch('price', String(priceId), 'line_items[0][price]');
      amount = this.prices.get(priceId)?.unitAmount ?? 1000;
    }
    const customer = body['customer'];
    if (customer !== undefined && (typeof customer !== 'string' || !this.customers.has(customer))) {
      return noSuch('customer', String(customer), 'customer');
    }

    const id = newId('cs_test');
    const now = nowSeconds();
    const subscriptionData = body['subscription_data'] as Record<string, unknown> | undefined;
    const session: StripeObject = {
      ...clone(FIXTURES.checkoutSession),
      id,
      mode,
      status: 'open',
      payment_status: 'unpaid',
      url: `https://checkout.stripe.com/c/pay/${id}`,
      success_url: successUrl,
      cancel_url: cancelUrl ?? null,
      client_reference_id: body['client_reference_id'] ?? null,
      customer: customer ?? null,
      customer_details: null,
      subscription: null,
      payment_intent: null,
      metadata: body['metadata'] ?? {},
      currency: 'usd',
      amount_subtotal: amount,
      amount_total: amount,
      created: now,
      expires_at: now + DAY_SECONDS,
    };
    this.remember(this.sessions, id, {
      session,
      priceId,
      subscriptionMetadata: (subscriptionData?.['metadata'] as Record<string, unknown> | undefined) ?? {},
    });
    return ok(session);
  }

  private retrieveCheckoutSession(id: string, query: Record<string, unknown>): { status: number; json: unknown } {
    const stored = this.sessions.get(id);
    if (!stored) return noSuch('checkout.session', id, 'session', 404);
    const expand = Array.isArray(query['expand']) ? (query['expand'] as unknown[]) : [];
    const session = clone(stored.session);
    if (expand.includes('subscription') && typeof session['subscription'] === 'string') {
      session['subscription'] = clone(this.subscriptions.get(session['subscription']) ?? null);
    }
    if (expand.includes('customer') && typeof session['customer'] === 'string') {
      session['customer'] = clone(this.customers.get(session['customer']) ?? null);
    }
    return ok(session);
  }

  private createPortalSession(body: Record<string, unknown>): { status: number; json: unknown } {
    const customer = body['customer'];
    if (typeof customer !== 'string') return missing('customer');
    if (!this.customers.has(customer)) return noSuch('customer', customer, 'customer');
    const returnUrl = body['return_url'];
    if (returnUrl !== undefined && (typeof returnUrl !== 'string' || !URL.canParse(returnUrl))) return invalid('Not a valid URL', 'return_url');
    return ok({
      ...clone(FIXTURES.portalSession),
      id: newId('bps'),
      customer,
      return_url: returnUrl ?? null,
      flow: null,
      livemode: false,
      created: nowSeconds(),
      url: `https://billing.stripe.com/p/session/test_${randomBytes(12).toString('hex')}`,
    });
  }

  private retrieveSubscription(id: string): { status: number; json: unknown } {
    const subscription = this.subscriptions.get(id);
    return subscription ? ok(subscription) : noSuch('subscription', id, 'id', 404);
  }

  private updateSubscription(id: string, body: Record<string, unknown>): { status: number; json: unknown } {
    const subscription = this.subscriptions.get(id);
    if (!subscription) return noSuch('subscription', id, 'id', 404);
    const items = (subscription['items'] as { data: StripeObject[] }).data;

    const proration = body['proration_behavior'];
    if (proration !== undefined && !['create_prorations', 'none', 'always_invoice'].includes(String(proration))) {
      return invalid(`Invalid proration_behavior: must be one of create_prorations, none, or always_invoice`, 'proration_behavior');
    }
    const changes: Array<{ item: StripeObject; price: StripeObject }> = [];
    const requested = body['items'];
    if (requested !== undefined) {
      if (!Array.isArray(requested)) return invalid('Invalid array', 'items');
      for (const [index, change] of (requested as Record<string, unknown>[]).entries()) {
        const item = items.find((candidate) => candidate['id'] === change['id']);
        if (!item) return invalid(`Invalid subscription_item id: ${String(change['id'])}`, `items[${index}][id]`);
        const priceId = change['price'];
        if (typeof priceId !== 'string' || !this.prices.has(priceId)) return noSuch('price', String(priceId), `items[${index}][price]`);
        changes.push({ item, price: this.priceObject(priceId) });
      }
    }
    const cancelAtPeriodEnd = body['cancel_at_period_end'];
    if (cancelAtPeriodEnd !== undefined && cancelAtPeriodEnd !== 'true' && cancelAtPeriodEnd !== 'false') {
      return invalid('Invalid boolean: ' + String(cancelAtPeriodEnd), 'cancel_at_period_end');
    }

    for (const { item, price } of changes) item['price'] = price;
    if (cancelAtPeriodEnd !== undefined) {
      const cancel = cancelAtPeriodEnd === 'true';
      subscription['cancel_at_period_end'] = cancel;
      subscription['cancel_at'] = cancel ? (items[0]?.['current_period_end'] ?? null) : null;
      subscription['canceled_at'] = cancel ? nowSeconds() : null;
    }
    if (body['metadata'] && typeof body['metadata'] === 'object') {
      subscription['metadata'] = { ...(subscription['metadata'] as object), ...(body['metadata'] as object) };
    }
    return ok(subscription);
  }

  private priceObject(id: string): StripeObject {
    const price = this.prices.get(id)!;
    const amount = price.unitAmount ?? 1000;
    return {
      ...clone(FIXTURES.price),
      id,
      unit_amount: amount,
      unit_amount_decimal: String(amount),
      recurring: { ...(FIXTURES.price['recurring'] as object), interval: price.interval, interval_count: 1 },
    };
  }

  private remember<T>(store: Map<string, T>, id: string, value: T): void {
    if (store.size >= MAX_OBJECTS && !store.has(id)) store.delete(store.keys().next().value!);
    store.set(id, value);
  }
}

/**
 * Parses Stripe's form encoding (`line_items[0][price]=x&metadata[user_id]=y&expand[0]=z`) into
 * nested objects, turning objects keyed 0, 1, 2... into arrays. Values stay strings, as sent.
 */
export function parseStripeForm(text: string): Record<string, unknown> {
  const root: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const path = splitKey(rawKey);
    if (!path || path.length > MAX_FORM_DEPTH) continue;
    let node = root;
    for (const [index, part] of path.entries()) {
      const key = part === '' ? String(Object.keys(node).length) : part;
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') break;
      if (index === path.length - 1) {
        node[key] = value;
      } else {
        const child = node[key];
        node = typeof child === 'object' && child !== null ? (child as Record<string, unknown>) : (node[key] = Object.create(null) as Record<string, unknown>);
      }
    }
  }
  return toPlain(root) as Record<string, unknown>;
}

function splitKey(key: string): string[] | null {
  const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
  if (!match) return null;
  return [match[1]!, ...[...match[2]!.matchAll(/\[([^[\]]*)\]/g)].map((part) => part[1]!)];
}

function toPlain(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 0 && entries.every(([key]) => /^\d+$/.test(key))) {
    return entries.sort(([a], [b]) => Number(a) - Number(b)).map(([, child]) => toPlain(child));
  }
  return Object.fromEntries(entries.map(([key, child]) => [key, toPlain(child)]));
}

function stripeError(error: StripeFakeError): unknown {
  return {
    error: {
      type: error.type,
      message: error.message,
      ...(error.code ? { code: error.code, doc_url: `https://stripe.com/docs/error-codes/${error.code.replaceAll('_', '-')}` } : {}),
      ...(error.param ? { param: error.param } : {}),
      request_log_url: 'https://dashboard.stripe.com/test/logs/req_fake',
    },
  };
}

function fail(error: StripeFakeError): { status: number; json: unknown } {
  return { status: error.status, json: stripeError(error) };
}

function ok(json: unknown): { status: number; json: unknown } {
  return { status: 200, json };
}

function missing(param: string): { status: number; json: unknown } {
  return fail({ status: 400, type: 'invalid_request_error', code: 'parameter_missing', param, message: `Missing required param: ${param}.` });
}

function invalid(message: string, param: string): { status: number; json: unknown } {
  return fail({ status: 400, type: 'invalid_request_error', code: 'parameter_invalid', param, message });
}

function noSuch(kind: string, id: string, param: string, status = 400): { status: number; json: unknown } {
  return fail({ status, type: 'invalid_request_error', code: 'resource_missing', param, message: `No such ${kind}: '${id}'` });
}

function send(res: ServerResponse, status: number, json: unknown, replayed = false): void {
  if (res.destroyed || res.writableEnded) return;
  const body = JSON.stringify(json);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'request-id': `req_${randomBytes(7).toString('hex')}`,
    ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
  });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return typeof value === 'string' ? value : null;
}

function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function clone<T>(value: T): T {
  return structuredClone(value);
}
