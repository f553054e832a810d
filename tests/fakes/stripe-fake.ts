import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local server speaking Stripe's wire format for the handful of endpoints the Stripe gateways
 * use (Checkout and subscriptions; Connect accounts and transfers for payouts), so the official SDK
 * can be driven over real HTTP. Responses are built from Stripe's own
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
  account: fixture('account'),
  accountLink: fixture('account_link'),
  transfer: fixture('transfer'),
};

/** How long Stripe keeps an Account Link usable. */
const ACCOUNT_LINK_TTL_SECONDS = 300;
/** What a new Express account owes before it can be paid, as Stripe lists it. */
const EXPRESS_ONBOARDING_FIELDS = ['business_type', 'external_account', 'individual.first_name', 'individual.last_name', 'tos_acceptance.date', 'tos_acceptance.ip'];
/** Stripe's answer to a transfer to an account that cannot receive one yet. */
export const DESTINATION_CANNOT_RECEIVE_TRANSFERS =
  'Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments';

export class StripeFake {
  /** Every request received, oldest first (the last MAX_RECORDED_REQUESTS of them). */
  readonly requests: RecordedStripeRequest[] = [];

  private readonly secretKey: string;
  private readonly prices: ReadonlyMap<string, StripeFakePrice>;
  private readonly sessions = new Map<string, StoredSession>();
  private readonly subscriptions = new Map<string, StripeObject>();
  private readonly customers = new Map<string, StripeObject>();
  private readonly accounts = new Map<string, StripeObject>();
  private readonly createdTransfers = new Map<string, StripeObject>();
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

  /** A connected account as Stripe holds it now, or null. */
  account(id: string): StripeObject | null {
    return this.accounts.get(id) ?? null;
  }

  /** Every transfer created (and still kept), oldest first. */
  transfers(): StripeObject[] {
    return [...this.createdTransfers.values()];
  }

  /** The creator submitted their details on Stripe's page; Stripe is still verifying them. */
  submitAccountDetails(id: string): void {
    const account = this.existingAccount(id);
    Object.assign(account, { details_submitted: true, payouts_enabled: false });
    account['capabilities'] = { ...(account['capabilities'] as object), transfers: 'pending' };
    account['requirements'] = requirements({ disabled_reason: 'requirements.pending_verification', pending_verification: ['individual.verification.document'] });
  }

  /** The creator finished onboarding and Stripe verified them: the account can receive transfers. */
  verifyAccount(id: string): void {
    const account = this.existingAccount(id);
    Object.assign(account, { details_submitted: true, payouts_enabled: true });
    account['capabilities'] = { ...(account['capabilities'] as object), transfers: 'active' };
    account['requirements'] = requirements({});
  }

  /** Stripe disables the account, giving `reason` as a requirement error (as its verification failures do). */
  restrictAccount(id: string, reason: string, disabledReason = 'rejected.other'): void {
    const account = this.existingAccount(id);
    Object.assign(account, { payouts_enabled: false, charges_enabled: false });
    account['capabilities'] = { ...(account['capabilities'] as object), transfers: 'inactive' };
    account['requirements'] = requirements({
      disabled_reason: disabledReason,
      errors: [{ code: 'verification_failed_other', reason, requirement: 'individual.verification.document' }],
    });
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
      if (resource === 'accounts' && method === 'POST' && segments.length === 2) return this.createAccount(request.body);
      if (resource === 'accounts' && method === 'GET' && segments.length === 3) return this.retrieveAccount(idOrSub!);
      if (resource === 'account_links' && method === 'POST' && segments.length === 2) return this.createAccountLink(request.body);
      if (resource === 'transfers' && method === 'POST' && segments.length === 2) return this.createTransfer(request.body);
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

  /** A new Express account: nothing submitted, so Stripe already lists what it needs and disables it. */
  private createAccount(body: Record<string, unknown>): { status: number; json: unknown } {
    const type = body['type'];
    if (type !== undefined && type !== 'express' && type !== 'standard' && type !== 'custom') {
      return invalid('Invalid type: must be one of custom, express, or standard', 'type');
    }
    const requested = Object.entries((body['capabilities'] ?? {}) as Record<string, { requested?: unknown }>)
      .filter(([, capability]) => capability?.requested === 'true')
      .map(([name]) => name);
    if (type === 'express' && requested.length === 0) {
      return invalid('You must request at least one capability when creating an Express account.', 'capabilities');
    }
    const id = newId('acct');
    const now = nowSeconds();
    const account: StripeObject = {
      ...clone(FIXTURES.account),
      id,
      type: type ?? 'standard',
      created: now,
      email: body['email'] ?? null,
      details_submitted: false,
      payouts_enabled: false,
      charges_enabled: false,
      capabilities: Object.fromEntries(requested.map((name) => [name, 'inactive'])),
      requirements: requirements({ disabled_reason: 'requirements.past_due', currently_due: EXPRESS_ONBOARDING_FIELDS, past_due: EXPRESS_ONBOARDING_FIELDS }),
      metadata: body['metadata'] ?? {},
      external_accounts: { object: 'list', data: [], has_more: false, url: `/v1/accounts/${id}/external_accounts` },
    };
    this.remember(this.accounts, id, account);
    return ok(account);
  }

  private retrieveAccount(id: string): { status: number; json: unknown } {
    const account = this.accounts.get(id);
    if (account) return ok(clone(account));
    // Stripe does not say whether the account exists, only that this key cannot see it.
    return fail({
      status: 403,
      type: 'invalid_request_error',
      code: 'account_invalid',
      message: `The provided key '${this.secretKey.slice(0, 8)}****' does not have access to account '${id}' (or that account does not exist). Application access may have been revoked.`,
    });
  }

  private createAccountLink(body: Record<string, unknown>): { status: number; json: unknown } {
    const account = body['account'];
    if (typeof account !== 'string') return missing('account');
    if (!this.accounts.has(account)) return noSuch('account', account, 'account');
    const type = body['type'];
    if (typeof type !== 'string') return missing('type');
    if (type !== 'account_onboarding' && type !== 'account_update') return invalid('Invalid type: must be one of account_onboarding or account_update', 'type');
    for (const param of ['refresh_url', 'return_url']) {
      const url = body[param];
      if (typeof url !== 'string') return missing(param);
      if (!URL.canParse(url)) return invalid('Not a valid URL', param);
    }
    const now = nowSeconds();
    return ok({
      ...clone(FIXTURES.accountLink),
      created: now,
      expires_at: now + ACCOUNT_LINK_TTL_SECONDS,
      url: `https://connect.stripe.com/setup/e/${account}/${randomBytes(9).toString('base64url')}`,
    });
  }

  private createTransfer(body: Record<string, unknown>): { status: number; json: unknown } {
    const amount = Number(body['amount']);
    if (body['amount'] === undefined) return missing('amount');
    if (!Number.isInteger(amount) || amount <= 0) return invalid('Invalid positive integer', 'amount');
    const currency = body['currency'];
    if (typeof currency !== 'string') return missing('currency');
    if (currency !== 'usd') return invalid(`Invalid currency: ${currency}. This fake's platform holds a USD balance only.`, 'currency');
    const destination = body['destination'];
    if (typeof destination !== 'string') return missing('destination');
    const account = this.accounts.get(destination);
    if (!account) return noSuch('destination', destination, 'destination');
    if ((account['capabilities'] as Record<string, unknown>)['transfers'] !== 'active') {
      return fail({ status: 400, type: 'invalid_request_error', code: 'insufficient_capabilities_for_transfer', param: 'destination', message: DESTINATION_CANNOT_RECEIVE_TRANSFERS });
    }
    const id = newId('tr');
    const transfer: StripeObject = {
      ...clone(FIXTURES.transfer),
      id,
      amount,
      amount_reversed: 0,
      currency,
      destination,
      destination_payment: newId('py'),
      balance_transaction: newId('txn'),
      created: nowSeconds(),
      description: body['description'] ?? null,
      metadata: body['metadata'] ?? {},
      reversals: { object: 'list', data: [], has_more: false, url: `/v1/transfers/${id}/reversals` },
      reversed: false,
      transfer_group: body['transfer_group'] ?? null,
    };
    this.remember(this.createdTransfers, id, transfer);
    return ok(transfer);
  }

  private existingAccount(id: string): StripeObject {
    const account = this.accounts.get(id);
    if (!account) throw new Error(`StripeFake: no account ${id}`);
    return account;
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

/** An account's `requirements` hash: nothing due unless said. */
function requirements(fields: { disabled_reason?: string; currently_due?: string[]; past_due?: string[]; pending_verification?: string[]; errors?: StripeObject[] }): StripeObject {
  return {
    alternatives: [],
    current_deadline: null,
    currently_due: fields.currently_due ?? [],
    disabled_reason: fields.disabled_reason ?? null,
    errors: fields.errors ?? [],
    eventually_due: fields.currently_due ?? [],
    past_due: fields.past_due ?? [],
    pending_verification: fields.pending_verification ?? [],
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
