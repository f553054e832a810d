import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

/**
 * A local server speaking Stripe's wire format for the handful of endpoints the Stripe gateways
 * use (Checkout and subscriptions; Connect accounts and transfers for payouts; the payment intents,
 * charges and disputes a paid checkout leaves behind), so the official SDK can be driven over real
 * HTTP. Responses are built from Stripe's own example objects (tests/fixtures/stripe) with the
 * fields that matter overridden. It keeps every object it serves, so a test can change them as
 * Stripe would over time (refunds, disputes, renewals) and then see the current state both in
 * retrieves and in the event bodies `eventFor` builds. Everything it keeps is bounded; it is one
 * test's provider, started and stopped by that test.
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
  /** `payment_intent_data.metadata` as sent, which Stripe copies onto the PaymentIntent it makes. */
  readonly paymentIntentMetadata: Record<string, unknown>;
}

export type StripeFakeSubscriptionStatus = 'active' | 'past_due' | 'unpaid' | 'canceled' | 'incomplete' | 'incomplete_expired' | 'trialing' | 'paused';

export type StripeFakeDisputeStatus =
  | 'warning_needs_response'
  | 'warning_under_review'
  | 'warning_closed'
  | 'needs_response'
  | 'under_review'
  | 'won'
  | 'lost'
  | 'prevented';

export interface StripeFakeEventOptions {
  /** The event's id; a fresh `evt_…` unless given (give one to model a redelivery). */
  readonly id?: string;
  /** When Stripe created the event; now unless given. */
  readonly createdAt?: Date;
}

interface StoredReply {
  readonly method: string;
  readonly path: string;
  readonly rawBody: string;
  readonly status: number;
  readonly json: unknown;
}

/** A Customer Portal session, and whether its flow was completed (a flow's page confirms once). */
interface StoredPortalSession {
  readonly session: StripeObject;
  confirmed: boolean;
}

type NextBehaviour = { readonly kind: 'fail'; readonly error: StripeFakeError } | { readonly kind: 'delay'; readonly ms: number };

const MAX_OBJECTS = 1_000;
const MAX_RECORDED_REQUESTS = 1_000;
const MAX_BODY_BYTES = 256 * 1024;
const MAX_FORM_DEPTH = 6;
const DAY_SECONDS = 86_400;
/** Stripe's own bounds on a list's `limit`, and what it uses when none is given. */
const MAX_LIST_LIMIT = 100;
const DEFAULT_LIST_LIMIT = 10;
/** Bounds on what one charge or transfer accumulates, so a runaway test loop fails loudly. */
const MAX_REFUNDS_PER_CHARGE = 100;
const MAX_REVERSALS_PER_TRANSFER = 100;
/** The fake's own choice of how long a merchant has to answer a dispute (Stripe varies it by network). */
const DISPUTE_RESPONSE_WINDOW_SECONDS = 7 * DAY_SECONDS;
/** How long Stripe waits before retrying a failed invoice under its default Smart Retries, roughly. */
const INVOICE_RETRY_DELAY_SECONDS = 3 * DAY_SECONDS;
const SUBSCRIPTION_STATUSES: ReadonlySet<string> = new Set<StripeFakeSubscriptionStatus>([
  'active', 'past_due', 'unpaid', 'canceled', 'incomplete', 'incomplete_expired', 'trialing', 'paused',
]);
/** Stripe never moves a subscription out of these. */
const FINAL_SUBSCRIPTION_STATUSES: ReadonlySet<string> = new Set(['canceled', 'incomplete_expired']);
const DISPUTE_STATUSES: ReadonlySet<string> = new Set<StripeFakeDisputeStatus>([
  'warning_needs_response', 'warning_under_review', 'warning_closed', 'needs_response', 'under_review', 'won', 'lost', 'prevented',
]);

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
  charge: fixture('charge'),
  dispute: fixture('dispute'),
  invoice: fixture('invoice'),
  event: fixture('event'),
  paymentIntent: paymentIntentExample(),
  refund: refundExample(),
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
  private readonly paymentIntents = new Map<string, StripeObject>();
  private readonly charges = new Map<string, StripeObject>();
  private readonly refunds = new Map<string, StripeObject>();
  private readonly disputes = new Map<string, StripeObject>();
  private readonly portalConfigurations = new Map<string, StripeObject>();
  private readonly portalSessions = new Map<string, StoredPortalSession>();
  private readonly schedules = new Map<string, StripeObject>();
  private readonly invoices = new Map<string, StripeObject>();
  /** Set by declineNextInvoicePayment: the next invoice an update or a portal confirmation charges is declined. */
  private declineNextInvoice = false;
  /** The payments Stripe lists on an invoice (an includable property, shown only when expanded), by invoice id. */
  private readonly invoicePayments = new Map<string, StripeObject[]>();
  private readonly replies = new Map<string, StoredReply>();
  private readonly next: NextBehaviour[] = [];
  /** Errors for the next requests to one method and path, whatever comes in between. */
  private readonly failingRoutes: { method: string; path: string; error: StripeFakeError; times: number }[] = [];
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

  /** Answers the next `times` requests to `method` `path` with this Stripe error; requests elsewhere are served as usual. */
  failNextTo(method: string, path: string, error: StripeFakeError, times = 1): void {
    this.failingRoutes.push({ method, path, error, times });
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

  /**
   * The user paid: the session completes, with a customer (if it had none) and, in subscription
   * mode, an active subscription whose first invoice a succeeded PaymentIntent and its Charge paid
   * (the session's `invoice`; its `payment_intent` stays null, as at Stripe); in payment mode, a
   * succeeded PaymentIntent and its Charge.
   * `evenIfExpired` completes a session that already expired, as when Stripe confirms a payment
   * that was under way when the session closed on our side.
   */
  completeCheckout(
    id: string,
    options: { evenIfExpired?: boolean } = {},
  ): { customerId: string; subscriptionId: string; currentPeriodEnd: number; paymentIntentId: string | null } {
    const stored = this.sessions.get(id);
    const status = stored?.session['status'];
    if (!stored || !(status === 'open' || (status === 'expired' && options.evenIfExpired === true))) {
      throw new Error(`StripeFake: no open checkout session ${id}${status === 'expired' ? ' (it expired; pass { evenIfExpired: true })' : ''}`);
    }
    const { session } = stored;
    const now = nowSeconds();

    const existingCustomer = session['customer'];
    const customerId = typeof existingCustomer === 'string' ? existingCustomer : this.storeCustomer(now);
    if (stored.priceId === null) {
      const amountCents = session['amount_total'];
      const currency = session['currency'];
      if (typeof amountCents !== 'number' || typeof currency !== 'string') throw new Error(`StripeFake: checkout session ${id} lost its amount_total or currency`);
      const paymentIntentId = this.storePayment({ amountCents, currency, customerId, metadata: stored.paymentIntentMetadata, now });
      Object.assign(session, { status: 'complete', payment_status: 'paid', customer: customerId, payment_intent: paymentIntentId, url: null });
      return { customerId, subscriptionId: '', currentPeriodEnd: 0, paymentIntentId };
    }

    const { subscriptionId, currentPeriodEnd } = this.storeSubscription({ customerId, priceId: stored.priceId, status: 'active', metadata: stored.subscriptionMetadata, now });
    // Stripe bills the first period at once: that paid invoice is the session's `invoice` and the
    // subscription's `latest_invoice`, paid by a PaymentIntent (its one InvoicePayment).
    const invoiceId = this.storePaidInvoice(subscriptionId);
    const amountCents = Number(session['amount_total']);
    const paymentIntentId = this.storePayment({ amountCents, currency: String(session['currency']), customerId, metadata: {}, now });
    this.storeInvoicePayment(invoiceId, paymentIntentId, amountCents, now);
    Object.assign(session, { status: 'complete', payment_status: 'paid', customer: customerId, subscription: subscriptionId, invoice: invoiceId, url: null });
    return { customerId, subscriptionId, currentPeriodEnd, paymentIntentId };
  }

  /** A subscription made outside our checkout (in Stripe's dashboard, say); a new customer unless one is named. */
  createSubscription(options: { customer?: string; priceId: string; status?: StripeFakeSubscriptionStatus; metadata?: Record<string, string> }): string {
    if (!this.prices.has(options.priceId)) throw new Error(`StripeFake: no price ${options.priceId}`);
    const status = options.status ?? 'active';
    assertOneOf(SUBSCRIPTION_STATUSES, status, 'subscription status');
    const now = nowSeconds();
    if (options.customer !== undefined && !this.customers.has(options.customer)) throw new Error(`StripeFake: no customer ${options.customer}`);
    const customerId = options.customer ?? this.storeCustomer(now);
    const { subscriptionId } = this.storeSubscription({ customerId, priceId: options.priceId, status, metadata: options.metadata ?? {}, now });
    if (status === 'active') this.storePaidInvoice(subscriptionId);
    return subscriptionId;
  }

  /**
   * Stripe moved the subscription to `status` (a failed renewal makes it past_due, then unpaid or
   * canceled). Ending it also stamps ended_at, as Stripe does; a subscription that has ended stays ended.
   */
  setSubscriptionStatus(id: string, status: StripeFakeSubscriptionStatus): void {
    assertOneOf(SUBSCRIPTION_STATUSES, status, 'subscription status');
    const subscription = this.liveSubscription(id);
    subscription['status'] = status;
    if (FINAL_SUBSCRIPTION_STATUSES.has(status)) {
      const now = nowSeconds();
      subscription['ended_at'] = now;
      if (status === 'canceled') subscription['canceled_at'] ??= now;
    }
  }

  /**
   * The next period was paid: the item's period moves on by its price's interval and the
   * subscription is active again. A subscription set to cancel at period end is not renewed by
   * Stripe, so that is refused here (use cancelSubscriptionNow).
   */
  renewSubscription(id: string): { currentPeriodStart: number; currentPeriodEnd: number } {
    const subscription = this.liveSubscription(id);
    if (subscription['cancel_at_period_end'] === true) throw new Error(`StripeFake: subscription ${id} cancels at period end; Stripe would not renew it`);
    const item = firstItem(subscription);
    const currentPeriodStart = Number(item['current_period_end']);
    // A schedule managing it moves the item to the price of the phase the new period falls in, or releases it after its last phase.
    this.advanceSchedule(subscription, item, currentPeriodStart);
    const currentPeriodEnd = currentPeriodStart + periodSecondsOf(item['price'] as StripeObject);
    Object.assign(item, { current_period_start: currentPeriodStart, current_period_end: currentPeriodEnd });
    subscription['status'] = 'active';
    this.storePaidInvoice(id);
    return { currentPeriodStart, currentPeriodEnd };
  }

  /** The subscription was canceled at once (by Stripe after failed payments, or in the dashboard). */
  cancelSubscriptionNow(id: string): void {
    const subscription = this.liveSubscription(id);
    const now = nowSeconds();
    Object.assign(subscription, {
      status: 'canceled',
      ended_at: now,
      canceled_at: subscription['canceled_at'] ?? now,
      cancellation_details: { comment: null, feedback: null, reason: 'cancellation_requested' },
    });
  }

  /** The subscription's item moved to another price (a plan change made in the portal or dashboard). */
  changeSubscriptionPrice(id: string, priceId: string): void {
    if (!this.prices.has(priceId)) throw new Error(`StripeFake: no price ${priceId}`);
    firstItem(this.liveSubscription(id))['price'] = this.priceObject(priceId);
  }

  /** A Customer Portal session as created (its `flow` and `url`), or null. */
  portalSession(id: string): StripeObject | null {
    return this.portalSessions.get(id)?.session ?? null;
  }

  portalConfiguration(id: string): StripeObject | null {
    return this.portalConfigurations.get(id) ?? null;
  }

  /** A subscription schedule as Stripe holds it now, or null. */
  schedule(id: string): StripeObject | null {
    return this.schedules.get(id) ?? null;
  }

  /** An invoice as Stripe holds it now (the paid ones a checkout, a renewal or a plan change issued), or null. */
  invoice(id: string): StripeObject | null {
    return this.invoices.get(id) ?? null;
  }

  /** The schedule was released in Stripe's dashboard: the change it held will not happen; the subscription goes on as it is. */
  releaseScheduleNow(id: string): void {
    const schedule = this.schedules.get(id);
    if (!schedule || !['active', 'not_started'].includes(String(schedule['status']))) throw new Error(`StripeFake: no live subscription schedule ${id}`);
    this.release(schedule);
  }

  /** The next invoice a plan change charges is declined by the card's bank. */
  declineNextInvoicePayment(): void {
    this.declineNextInvoice = true;
  }

  /**
   * The customer pressed Confirm on the portal page a `subscription_update_confirm` flow deep-links
   * to (by the session's id or its URL). Stripe makes the update as the session's configuration
   * says: scheduled for the period's end when one of its `schedule_at_period_end` conditions holds
   * (the price's amount goes down, or its interval gets shorter), else now with its
   * `proration_behavior` (always_invoice: the prorated difference invoiced and paid at once).
   * Returns where the browser goes next: the flow's `after_completion` redirect, else the session's
   * return URL. A declined payment throws, leaving the subscription as it was.
   */
  confirmPortalFlow(idOrUrl: string): string {
    const stored = this.portalSessions.get(idOrUrl) ?? [...this.portalSessions.values()].find((candidate) => candidate.session['url'] === idOrUrl);
    const flow = stored?.session['flow'] as { type: string; subscription_update_confirm: { subscription: string; items: { id: string; price: string }[] } | null; after_completion: { type: string; redirect: { return_url: string } | null } } | null | undefined;
    if (!stored || !flow?.subscription_update_confirm) throw new Error(`StripeFake: no portal session ${idOrUrl} with a subscription_update_confirm flow`);
    if (stored.confirmed) throw new Error(`StripeFake: the flow of portal session ${idOrUrl} was completed already`);
    const { subscription: subscriptionId, items } = flow.subscription_update_confirm;
    const subscription = this.liveSubscription(subscriptionId);
    const item = firstItem(subscription);
    const update = (this.portalConfigurations.get(String(stored.session['configuration']))?.['features'] as { subscription_update: StripeObject } | undefined)?.subscription_update ?? {};
    const oldPrice = item['price'] as StripeObject;
    const newPrice = this.priceObject(items[0]!.price);
    const conditions = ((update['schedule_at_period_end'] as { conditions?: { type: string }[] } | undefined)?.conditions ?? []).map((condition) => condition.type);
    const atPeriodEnd =
      (conditions.includes('decreasing_item_amount') && Number(newPrice['unit_amount']) < Number(oldPrice['unit_amount'])) ||
      (conditions.includes('shortening_interval') && periodSecondsOf(newPrice) < periodSecondsOf(oldPrice));
    if (atPeriodEnd) {
      const schedule = this.storeSchedule(subscription);
      this.setPhases(schedule, [
        { items: [{ price: oldPrice['id'] }], start_date: String(item['current_period_start']), end_date: String(item['current_period_end']) },
        { items: [{ price: newPrice['id'] }], duration: { interval: (newPrice['recurring'] as { interval: string }).interval } },
      ]);
    } else {
      const declined = this.changeItemPrice(subscription, item, String(newPrice['id']), String(update['proration_behavior'] ?? 'none'));
      if (declined) throw new Error(`StripeFake: ${declined.message}`);
    }
    stored.confirmed = true;
    return flow.after_completion.type === 'redirect' && flow.after_completion.redirect ? flow.after_completion.redirect.return_url : String(stored.session['return_url']);
  }

  /** A PaymentIntent as Stripe holds it now, or null. */
  paymentIntent(id: string): StripeObject | null {
    return this.paymentIntents.get(id) ?? null;
  }

  /** A Charge as Stripe holds it now (refunds and all), or null. */
  charge(id: string): StripeObject | null {
    return this.charges.get(id) ?? null;
  }

  dispute(id: string): StripeObject | null {
    return this.disputes.get(id) ?? null;
  }

  transfer(id: string): StripeObject | null {
    return this.createdTransfers.get(id) ?? null;
  }

  /**
   * Refunds `amountCents` of the payment's latest charge (given by its PaymentIntent or charge id);
   * returns the refund id. Stripe refuses to refund more than was charged, and so does this.
   */
  refund(paymentIntentId: string, amountCents: number): string {
    assertPositiveCents(amountCents);
    const charge = this.chargeOf(paymentIntentId);
    const chargedCents = Number(charge['amount']);
    const refundedCents = Number(charge['amount_refunded']);
    if (refundedCents + amountCents > chargedCents) {
      throw new Error(`StripeFake: refund of ${amountCents} exceeds what is left of charge ${String(charge['id'])} (${chargedCents - refundedCents} of ${chargedCents})`);
    }
    const refunds = charge['refunds'] as { data: StripeObject[] };
    if (refunds.data.length >= MAX_REFUNDS_PER_CHARGE) throw new Error(`StripeFake: charge ${String(charge['id'])} already has ${MAX_REFUNDS_PER_CHARGE} refunds`);
    const id = newId('re');
    const refund: StripeObject = {
      ...clone(FIXTURES.refund),
      id,
      amount: amountCents,
      balance_transaction: newId('txn'),
      charge: charge['id'],
      created: nowSeconds(),
      currency: charge['currency'],
      payment_intent: charge['payment_intent'],
      status: 'succeeded',
    };
    this.remember(this.refunds, id, refund);
    // Stripe lists newest first.
    refunds.data.unshift(refund);
    charge['amount_refunded'] = refundedCents + amountCents;
    charge['refunded'] = refundedCents + amountCents === chargedCents;
    return id;
  }

  /** The cardholder disputed `amountCents` of the payment (PaymentIntent or charge id); returns the dispute id. */
  openDispute(paymentIntentId: string, amountCents: number, status: StripeFakeDisputeStatus = 'needs_response'): string {
    assertPositiveCents(amountCents);
    assertOneOf(DISPUTE_STATUSES, status, 'dispute status');
    const charge = this.chargeOf(paymentIntentId);
    if (amountCents > Number(charge['amount'])) throw new Error(`StripeFake: dispute of ${amountCents} exceeds charge ${String(charge['id'])} of ${String(charge['amount'])}`);
    const id = newId('dp');
    const now = nowSeconds();
    const inquiry = status.startsWith('warning_');
    const fixtureDispute = FIXTURES.dispute as { evidence_details: object; payment_method_details: { card: object } };
    this.remember(this.disputes, id, {
      ...clone(FIXTURES.dispute),
      id,
      amount: amountCents,
      charge: charge['id'],
      payment_intent: charge['payment_intent'],
      currency: charge['currency'],
      status,
      created: now,
      reason: 'fraudulent',
      // An inquiry takes no money yet, so the charge can still be refunded; a chargeback already did.
      is_charge_refundable: inquiry,
      balance_transactions: [],
      evidence_details: { ...clone(fixtureDispute.evidence_details), due_by: now + DISPUTE_RESPONSE_WINDOW_SECONDS, has_evidence: false, past_due: false, submission_count: 0 },
      payment_method_details: { type: 'card', card: { ...clone(fixtureDispute.payment_method_details.card), case_type: inquiry ? 'inquiry' : 'chargeback' } },
      metadata: {},
    });
    charge['disputed'] = true;
    return id;
  }

  /** The dispute moved on: under_review once evidence is in, then won, lost or warning_closed. */
  setDisputeStatus(disputeId: string, status: StripeFakeDisputeStatus): void {
    assertOneOf(DISPUTE_STATUSES, status, 'dispute status');
    const dispute = this.disputes.get(disputeId);
    if (!dispute) throw new Error(`StripeFake: no dispute ${disputeId}`);
    dispute['status'] = status;
    if (status === 'under_review' || status === 'warning_under_review') {
      dispute['evidence_details'] = { ...(dispute['evidence_details'] as object), has_evidence: true, submission_count: 1 };
    }
  }

  /** Reverses `amountCents` of a transfer (all that is left by default); returns the reversal id. */
  reverseTransfer(transferId: string, amountCents?: number): string {
    const transfer = this.createdTransfers.get(transferId);
    if (!transfer) throw new Error(`StripeFake: no transfer ${transferId}`);
    const transferredCents = Number(transfer['amount']);
    const reversedCents = Number(transfer['amount_reversed']);
    const reversingCents = amountCents ?? transferredCents - reversedCents;
    assertPositiveCents(reversingCents);
    if (reversedCents + reversingCents > transferredCents) {
      throw new Error(`StripeFake: reversal of ${reversingCents} exceeds what is left of transfer ${transferId} (${transferredCents - reversedCents} of ${transferredCents})`);
    }
    const reversals = transfer['reversals'] as { data: StripeObject[] };
    if (reversals.data.length >= MAX_REVERSALS_PER_TRANSFER) throw new Error(`StripeFake: transfer ${transferId} already has ${MAX_REVERSALS_PER_TRANSFER} reversals`);
    const id = newId('trr');
    reversals.data.unshift({
      id,
      object: 'transfer_reversal',
      amount: reversingCents,
      balance_transaction: newId('txn'),
      created: nowSeconds(),
      currency: transfer['currency'],
      destination_payment_refund: newId('pyr'),
      metadata: {},
      source_refund: null,
      transfer: transferId,
    });
    transfer['amount_reversed'] = reversedCents + reversingCents;
    transfer['reversed'] = reversedCents + reversingCents === transferredCents;
    return id;
  }

  /**
   * The JSON text of the event Stripe would POST for `type`, carrying a snapshot of the object as
   * it is now (later changes do not reach an event already built, as with Stripe). `objectId`
   * names the object: the session, subscription (for invoice.* too), charge or its payment
   * intent, dispute, refund, payment intent, account or transfer.
   */
  eventFor(type: string, objectId: string, options: StripeFakeEventOptions = {}): string {
    const object = this.eventObject(type, objectId);
    return JSON.stringify({
      ...clone(FIXTURES.event),
      id: options.id ?? newId('evt'),
      object: 'event',
      type,
      created: Math.floor((options.createdAt ?? new Date()).getTime() / 1000),
      livemode: false,
      api_version: Stripe.API_VERSION,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object },
    });
  }

  /** The session's 24 hours ran out unpaid. */
  expireCheckout(id: string): void {
    const stored = this.sessions.get(id);
    if (!stored || stored.session['status'] !== 'open') throw new Error(`StripeFake: no open checkout session ${id}`);
    Object.assign(stored.session, { status: 'expired', url: null });
  }

  /** The InvoicePayment by which `paymentIntentId` paid the invoice: what `invoice.payments` lists. */
  private storeInvoicePayment(invoiceId: string, paymentIntentId: string, amountCents: number, now: number): void {
    const invoice = this.invoices.get(invoiceId)!;
    this.invoicePayments.set(invoiceId, [
      {
        id: newId('inpay'),
        object: 'invoice_payment',
        amount_paid: amountCents,
        amount_requested: amountCents,
        created: now,
        currency: invoice['currency'],
        invoice: invoiceId,
        is_default: true,
        livemode: false,
        payment: { type: 'payment_intent', payment_intent: paymentIntentId },
        status: 'paid',
        status_transitions: { canceled_at: null, paid_at: now },
      },
    ]);
  }

  private storeCustomer(now: number): string {
    const customerId = newId('cus');
    this.remember(this.customers, customerId, { ...clone(FIXTURES.customer), id: customerId, created: now, metadata: {}, email: null });
    return customerId;
  }

  /** A card payment that succeeded at once: its PaymentIntent and the one Charge it made. Returns the PaymentIntent id. */
  private storePayment(fields: { amountCents: number; currency: string; customerId: string; metadata: Record<string, unknown>; now: number }): string {
    const { amountCents, currency, customerId, now } = fields;
    const paymentIntentId = newId('pi');
    const chargeId = newId('ch');
    const paymentMethodId = newId('pm');
    this.remember(this.charges, chargeId, {
      ...clone(FIXTURES.charge),
      id: chargeId,
      amount: amountCents,
      amount_captured: amountCents,
      amount_refunded: 0,
      balance_transaction: newId('txn'),
      captured: true,
      created: now,
      currency,
      customer: customerId,
      description: null,
      disputed: false,
      metadata: clone(fields.metadata),
      outcome: { ...(FIXTURES.charge['outcome'] as object), network_status: 'approved_by_network', risk_level: 'normal', seller_message: 'Payment complete.', type: 'authorized' },
      paid: true,
      payment_intent: paymentIntentId,
      payment_method: paymentMethodId,
      refunded: false,
      receipt_url: `https://pay.stripe.com/receipts/payment/${randomBytes(24).toString('base64url')}`,
      refunds: { object: 'list', data: [], has_more: false, url: `/v1/charges/${chargeId}/refunds` },
      // A PaymentIntent's charge has no legacy source and, without Connect, no destination.
      source: null,
      status: 'succeeded',
      transfer_data: null,
    });
    this.remember(this.paymentIntents, paymentIntentId, {
      ...clone(FIXTURES.paymentIntent),
      id: paymentIntentId,
      amount: amountCents,
      amount_received: amountCents,
      client_secret: `${paymentIntentId}_secret_${randomBytes(12).toString('base64url')}`,
      created: now,
      currency,
      customer: customerId,
      latest_charge: chargeId,
      metadata: clone(fields.metadata),
      payment_method: paymentMethodId,
      status: 'succeeded',
    });
    return paymentIntentId;
  }

  private storeSubscription(fields: {
    customerId: string;
    priceId: string;
    status: StripeFakeSubscriptionStatus;
    metadata: Record<string, unknown>;
    now: number;
  }): { subscriptionId: string; currentPeriodEnd: number } {
    const { customerId, now } = fields;
    const subscriptionId = newId('sub');
    const price = this.priceObject(fields.priceId);
    const currentPeriodEnd = now + periodSecondsOf(price);
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
    const ended = FINAL_SUBSCRIPTION_STATUSES.has(fields.status);
    this.remember(this.subscriptions, subscriptionId, {
      ...clone(FIXTURES.subscription),
      id: subscriptionId,
      customer: customerId,
      status: fields.status,
      created: now,
      start_date: now,
      billing_cycle_anchor: now,
      cancel_at: null,
      cancel_at_period_end: false,
      canceled_at: fields.status === 'canceled' ? now : null,
      ended_at: ended ? now : null,
      latest_invoice: null,
      metadata: clone(fields.metadata),
      items: { object: 'list', data: [item], has_more: false, total_count: 1, url: `/v1/subscription_items?subscription=${subscriptionId}` },
    });
    return { subscriptionId, currentPeriodEnd };
  }

  /** A subscription a helper may still change: Stripe never revives one that ended. */
  private liveSubscription(id: string): StripeObject {
    const subscription = this.subscriptions.get(id);
    if (!subscription) throw new Error(`StripeFake: no subscription ${id}`);
    if (FINAL_SUBSCRIPTION_STATUSES.has(String(subscription['status']))) {
      throw new Error(`StripeFake: subscription ${id} is ${String(subscription['status'])}; Stripe does not change an ended subscription`);
    }
    return subscription;
  }

  /** The charge named by its own id, or the latest charge of the PaymentIntent named. */
  private chargeOf(chargeOrPaymentIntentId: string): StripeObject {
    const direct = this.charges.get(chargeOrPaymentIntentId);
    if (direct) return direct;
    const latest = this.paymentIntents.get(chargeOrPaymentIntentId)?.['latest_charge'];
    const charge = typeof latest === 'string' ? this.charges.get(latest) : undefined;
    if (!charge) throw new Error(`StripeFake: no charge or payment intent ${chargeOrPaymentIntentId}`);
    return charge;
  }

  /** A deep copy of the object an event of `type` carries, as it is now. */
  private eventObject(type: string, objectId: string): StripeObject {
    const found = (store: ReadonlyMap<string, StripeObject>, kind: string): StripeObject => {
      const object = store.get(objectId);
      if (!object) throw new Error(`StripeFake: no ${kind} ${objectId} for a ${type} event`);
      return clone(object);
    };
    if (type.startsWith('checkout.session.')) {
      const stored = this.sessions.get(objectId);
      if (!stored) throw new Error(`StripeFake: no checkout session ${objectId} for a ${type} event`);
      return clone(stored.session);
    }
    if (type.startsWith('customer.subscription.')) return found(this.subscriptions, 'subscription');
    if (type.startsWith('subscription_schedule.')) return found(this.schedules, 'subscription schedule');
    if (type.startsWith('invoice.')) {
      // An unpaid invoice a plan change made (a declined proration), as it was issued; otherwise the
      // invoice of the current period (the paid one stored, for a paid event).
      const subscription = found(this.subscriptions, 'subscription');
      const made = typeof subscription['latest_invoice'] === 'string' ? this.invoices.get(subscription['latest_invoice']) : undefined;
      return made && made['status'] !== 'paid' ? clone(made) : this.invoiceFor(type, subscription);
    }
    if (type.startsWith('charge.dispute.')) return found(this.disputes, 'dispute');
    if (type.startsWith('charge.refund.') || type.startsWith('refund.')) return found(this.refunds, 'refund');
    if (type.startsWith('charge.')) return clone(this.chargeOf(objectId));
    if (type.startsWith('payment_intent.')) return found(this.paymentIntents, 'payment intent');
    if (type === 'account.updated') return found(this.accounts, 'account');
    if (type.startsWith('transfer.')) return found(this.createdTransfers, 'transfer');
    throw new Error(`StripeFake: cannot build a ${type} event`);
  }

  /**
   * The invoice Stripe issues for the subscription's current period: paid for invoice.paid and
   * invoice.payment_succeeded, open (awaiting a retry) for invoice.payment_failed. Stripe's own
   * `period_start`/`period_end` on a renewal invoice cover the period before; the period being
   * paid for is on the line.
   */
  private invoiceFor(type: string, subscription: StripeObject): StripeObject {
    const paidEvent = type === 'invoice.paid' || type === 'invoice.payment_succeeded';
    const stored = typeof subscription['latest_invoice'] === 'string' ? this.invoices.get(subscription['latest_invoice']) : undefined;
    if (paidEvent && stored?.['status'] === 'paid') return clone(stored);
    const item = firstItem(subscription);
    const price = item['price'] as StripeObject;
    const amountCents = Number(price['unit_amount'] ?? 0) * Number(item['quantity'] ?? 1);
    const period = { start: Number(item['current_period_start']), end: Number(item['current_period_end']) };
    const first = period.start === subscription['start_date'];
    const paid = type === 'invoice.paid' || type === 'invoice.payment_succeeded';
    const failed = type === 'invoice.payment_failed';
    const status = paid ? 'paid' : type === 'invoice.created' ? 'draft' : type === 'invoice.voided' ? 'void' : type === 'invoice.marked_uncollectible' ? 'uncollectible' : 'open';
    const id = typeof subscription['latest_invoice'] === 'string' ? subscription['latest_invoice'] : newId('in');
    const now = nowSeconds();
    const base = clone(FIXTURES.invoice) as StripeObject & { lines: { data: StripeObject[] } };
    const line: StripeObject = {
      ...base.lines.data[0]!,
      id: newId('il'),
      invoice: id,
      amount: amountCents,
      currency: subscription['currency'] ?? price['currency'],
      description: `1 × ${String(price['nickname'] ?? price['id'])}`,
      metadata: clone(subscription['metadata'] ?? {}),
      period,
      quantity: item['quantity'] ?? 1,
      subscription: subscription['id'],
      subtotal: amountCents,
      parent: {
        type: 'subscription_item_details',
        invoice_item_details: null,
        subscription_item_details: {
          invoice_item: null,
          proration: false,
          proration_details: { credited_items: null },
          subscription: subscription['id'],
          subscription_item: item['id'],
        },
      },
      pricing: { type: 'price_details', price_details: { price: price['id'], product: price['product'] }, unit_amount_decimal: String(price['unit_amount'] ?? 0) },
    };
    return {
      ...base,
      id,
      customer: subscription['customer'],
      subscription: subscription['id'],
      status,
      billing_reason: first ? 'subscription_create' : 'subscription_cycle',
      created: now,
      effective_at: status === 'draft' ? null : now,
      due_date: null,
      currency: line['currency'],
      amount_due: amountCents,
      amount_paid: paid ? amountCents : 0,
      amount_remaining: paid ? 0 : amountCents,
      amount_overpaid: 0,
      attempted: paid || failed,
      attempt_count: paid || failed ? 1 : 0,
      auto_advance: !paid,
      next_payment_attempt: failed ? now + INVOICE_RETRY_DELAY_SECONDS : null,
      period_start: first ? period.start : period.start - (period.end - period.start),
      period_end: period.start,
      subtotal: amountCents,
      subtotal_excluding_tax: amountCents,
      total: amountCents,
      total_excluding_tax: amountCents,
      from_invoice: null,
      last_finalization_error: null,
      shipping_cost: null,
      status_transitions: { finalized_at: status === 'draft' ? null : now, marked_uncollectible_at: status === 'uncollectible' ? now : null, paid_at: paid ? now : null, voided_at: status === 'void' ? now : null },
      lines: { ...base.lines, data: [line], total_count: 1, url: `/v1/invoices/${id}/lines` },
      parent: { type: 'subscription_details', quote_details: null, subscription_details: { metadata: clone(subscription['metadata'] ?? {}), subscription: subscription['id'] } },
    };
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

    const failing = this.failingRoutes.find((route) => route.method === method && route.path === request.path);
    if (failing) {
      if (--failing.times === 0) this.failingRoutes.splice(this.failingRoutes.indexOf(failing), 1);
      return send(res, failing.error.status, stripeError(failing.error));
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
    try {
      return this.dispatch(request);
    } catch (error) {
      if (error instanceof StripeFakeExpandError) return invalid(`This property cannot be expanded (${error.path}).`, 'expand');
      throw error;
    }
  }

  private dispatch(request: RecordedStripeRequest): { status: number; json: unknown; replayed?: boolean } {
    const { method, path } = request;
    const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
    const [version, resource, idOrSub, third] = segments;
    if (version === 'v1') {
      if (resource === 'checkout' && idOrSub === 'sessions') {
        if (method === 'POST' && segments.length === 3) return this.createCheckoutSession(request.body);
        if (method === 'GET' && segments.length === 4) return this.retrieveCheckoutSession(third!, request.query);
        if (method === 'POST' && segments.length === 5 && segments[4] === 'expire') return this.expireCheckoutSession(third!);
      }
      if (resource === 'billing_portal' && idOrSub === 'sessions' && method === 'POST' && segments.length === 3) {
        return this.createPortalSession(request.body);
      }
      if (resource === 'billing_portal' && idOrSub === 'configurations' && segments.length === 3) {
        if (method === 'POST') return this.createPortalConfiguration(request.body);
        if (method === 'GET') return this.listPortalConfigurations(request.query);
      }
      if (resource === 'subscriptions' && segments.length === 3) {
        if (method === 'GET') return this.retrieveSubscription(idOrSub!, request.query);
        if (method === 'POST') return this.updateSubscription(idOrSub!, request.body);
        if (method === 'DELETE') return this.cancelSubscription(idOrSub!);
      }
      if (resource === 'subscription_schedules') {
        if (method === 'POST' && segments.length === 2) return this.createSchedule(request.body);
        if (method === 'GET' && segments.length === 3) return retrieved(this.schedules, 'subscription_schedule', idOrSub!, 'schedule');
        if (method === 'POST' && segments.length === 3) return this.updateSchedule(idOrSub!, request.body);
        if (method === 'POST' && segments.length === 4 && third === 'release') return this.releaseSchedule(idOrSub!);
      }
      if (resource === 'prices' && method === 'GET' && segments.length === 3) {
        return this.prices.has(idOrSub!) ? ok(this.priceObject(idOrSub!)) : noSuch('price', idOrSub!, 'price', 404);
      }
      if (resource === 'refunds' && method === 'POST' && segments.length === 2) return this.createRefund(request.body);
      if (resource === 'accounts' && method === 'POST' && segments.length === 2) return this.createAccount(request.body);
      if (resource === 'accounts' && method === 'GET' && segments.length === 3) return this.retrieveAccount(idOrSub!);
      if (resource === 'account_links' && method === 'POST' && segments.length === 2) return this.createAccountLink(request.body);
      if (resource === 'transfers' && method === 'POST' && segments.length === 2) return this.createTransfer(request.body);
      if (resource === 'disputes' && method === 'GET' && segments.length === 2) return this.listDisputes(request.query);
      if (method === 'GET' && segments.length === 3) {
        const id = idOrSub!;
        if (resource === 'payment_intents') return this.retrievePaymentIntent(id, request.query);
        if (resource === 'invoices') return this.retrieveInvoice(id, request.query);
        if (resource === 'charges') return retrieved(this.charges, 'charge', id, 'id');
        if (resource === 'refunds') return retrieved(this.refunds, 'refund', id, 'id');
        if (resource === 'disputes') return retrieved(this.disputes, 'dispute', id, 'dispute');
        if (resource === 'transfers') return retrieved(this.createdTransfers, 'transfer', id, 'id');
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
    const paymentIntentData = body['payment_intent_data'] as Record<string, unknown> | undefined;
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
      paymentIntentMetadata: (paymentIntentData?.['metadata'] as Record<string, unknown> | undefined) ?? {},
    });
    return ok(session);
  }

  private retrieveCheckoutSession(id: string, query: Record<string, unknown>): { status: number; json: unknown } {
    const stored = this.sessions.get(id);
    if (!stored) return noSuch('checkout.session', id, 'session', 404);
    return ok(this.expanded(clone(stored.session), expandsOf(query)));
  }

  /** `POST /v1/checkout/sessions/:id/expire`: only an open session expires; Stripe's own words otherwise. */
  private expireCheckoutSession(id: string): { status: number; json: unknown } {
    const stored = this.sessions.get(id);
    if (!stored) return noSuch('checkout.session', id, 'session', 404);
    const status = String(stored.session['status']);
    if (status !== 'open') {
      return fail({
        status: 400,
        type: 'invalid_request_error',
        message: `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of \`${status}\`.`,
      });
    }
    Object.assign(stored.session, { status: 'expired', url: null });
    return ok(clone(stored.session));
  }

  /**
   * `DELETE /v1/subscriptions/:id`: ends it now. A subscription that has ended already is answered
   * as Stripe does, "No such subscription", though a retrieve still finds it.
   */
  private cancelSubscription(id: string): { status: number; json: unknown } {
    const subscription = this.subscriptions.get(id);
    if (!subscription || FINAL_SUBSCRIPTION_STATUSES.has(String(subscription['status']))) return noSuch('subscription', id, 'id', 404);
    this.cancelSubscriptionNow(id);
    return ok(clone(subscription));
  }

  /**
   * `POST /v1/refunds` of a `payment_intent` (its latest charge) or a `charge`: `amount` defaults to
   * what is left. Stripe refuses more than is left, and a charge refunded in full.
   */
  private createRefund(body: Record<string, unknown>): { status: number; json: unknown } {
    const target = body['payment_intent'] ?? body['charge'];
    if (typeof target !== 'string') return missing('payment_intent');
    const param = body['payment_intent'] !== undefined ? 'payment_intent' : 'charge';
    const known = param === 'payment_intent' ? this.paymentIntents.has(target) : this.charges.has(target);
    if (!known) return noSuch(param, target, param);
    const charge = this.chargeOf(target);
    const left = Number(charge['amount']) - Number(charge['amount_refunded']);
    if (left === 0) return fail({ status: 400, type: 'invalid_request_error', code: 'charge_already_refunded', message: `Charge ${String(charge['id'])} has already been refunded.` });
    const amount = body['amount'] === undefined ? left : Number(body['amount']);
    if (!Number.isInteger(amount) || amount <= 0) return invalid('Invalid positive integer', 'amount');
    if (amount > left) {
      return fail({
        status: 400,
        type: 'invalid_request_error',
        code: 'amount_too_large',
        param: 'amount',
        message: `Refund amount ($${(amount / 100).toFixed(2)}) is greater than unrefunded amount on charge ($${(left / 100).toFixed(2)})`,
      });
    }
    const reason = body['reason'];
    if (reason !== undefined && !['duplicate', 'fraudulent', 'requested_by_customer'].includes(String(reason))) {
      return invalid('Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer', 'reason');
    }
    const refundId = this.refund(target, amount);
    const refund = this.refunds.get(refundId)!;
    Object.assign(refund, { reason: reason ?? null, metadata: body['metadata'] ?? {} });
    return ok(clone(refund));
  }

  private retrievePaymentIntent(id: string, query: Record<string, unknown>): { status: number; json: unknown } {
    const paymentIntent = this.paymentIntents.get(id);
    if (!paymentIntent) return noSuch('payment_intent', id, 'intent', 404);
    return ok(this.expanded(clone(paymentIntent), expandsOf(query)));
  }

  /** `GET /v1/disputes`, newest first, filtered by `payment_intent` and `charge` as Stripe allows. */
  private listDisputes(query: Record<string, unknown>): { status: number; json: unknown } {
    const limitText = query['limit'];
    const limit = limitText === undefined ? DEFAULT_LIST_LIMIT : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
      return invalid(`This value must be greater than or equal to 1 and less than or equal to ${MAX_LIST_LIMIT}.`, 'limit');
    }
    const paymentIntent = query['payment_intent'];
    const charge = query['charge'];
    const matching = [...this.disputes.values()]
      .reverse()
      .filter((dispute) => (paymentIntent === undefined || dispute['payment_intent'] === paymentIntent) && (charge === undefined || dispute['charge'] === charge));
    return ok({ object: 'list', data: clone(matching.slice(0, limit)), has_more: matching.length > limit, url: '/v1/disputes' });
  }

  private createPortalSession(body: Record<string, unknown>): { status: number; json: unknown } {
    const customer = body['customer'];
    if (typeof customer !== 'string') return missing('customer');
    if (!this.customers.has(customer)) return noSuch('customer', customer, 'customer');
    const returnUrl = body['return_url'];
    if (returnUrl !== undefined && (typeof returnUrl !== 'string' || !URL.canParse(returnUrl))) return invalid('Not a valid URL', 'return_url');
    const configurationId = body['configuration'];
    if (configurationId !== undefined && (typeof configurationId !== 'string' || !this.portalConfigurations.has(configurationId))) {
      return noSuch('billing_portal.configuration', String(configurationId), 'configuration');
    }
    const configuration = typeof configurationId === 'string' ? this.portalConfigurations.get(configurationId)! : null;
    let flow: StripeObject | null = null;
    if (body['flow_data'] !== undefined) {
      const built = this.portalFlow(body['flow_data'] as Record<string, unknown>, customer, configuration);
      if ('error' in built) return built.error;
      flow = built.flow;
    }
    const id = newId('bps');
    const session: StripeObject = {
      ...clone(FIXTURES.portalSession),
      id,
      configuration: configuration?.['id'] ?? 'bpc_default',
      customer,
      return_url: returnUrl ?? null,
      flow,
      livemode: false,
      created: nowSeconds(),
      url: `https://billing.stripe.com/p/session/test_${randomBytes(12).toString('hex')}`,
    };
    this.remember(this.portalSessions, id, { session, confirmed: false });
    return ok(session);
  }

  private retrieveSubscription(id: string, query: Record<string, unknown> = {}): { status: number; json: unknown } {
    const subscription = this.subscriptions.get(id);
    return subscription ? ok(this.expanded(clone(subscription), expandsOf(query))) : noSuch('subscription', id, 'id', 404);
  }

  private retrieveInvoice(id: string, query: Record<string, unknown>): { status: number; json: unknown } {
    const invoice = this.invoices.get(id);
    return invoice ? ok(this.expanded(clone(invoice), expandsOf(query))) : noSuch('invoice', id, 'invoice', 404);
  }

  /**
   * Replaces the ids named by `expand[]` with the objects, as Stripe does: `a.b` expands `a`, then
   * `b` inside it (at most four levels). A path through a field that is not an id of an object this
   * fake keeps is left as it is; one it does not know how to expand is Stripe's 400.
   */
  private expanded(object: StripeObject, paths: readonly unknown[]): StripeObject {
    for (const path of paths) {
      if (typeof path !== 'string') continue;
      let node: StripeObject | null = object;
      for (const field of path.split('.').slice(0, 4)) {
        if (!node) break;
        if (field === 'payments' && node['object'] === 'invoice') {
          const id = String(node['id']);
          node['payments'] = { object: 'list', data: clone(this.invoicePayments.get(id) ?? []), has_more: false, url: `/v1/invoices/${id}/payments` };
        }
        const value: unknown = node[field];
        if (typeof value === 'string') {
          const store = this.expandable(field);
          if (!store) throw new StripeFakeExpandError(path);
          node[field] = clone(store.get(value) ?? null);
        }
        const next: unknown = node[field];
        node = typeof next === 'object' && next !== null ? (next as StripeObject) : null;
      }
    }
    return object;
  }

  /** Where the objects a field names are kept, for the fields this fake expands. */
  private expandable(field: string): ReadonlyMap<string, StripeObject> | null {
    switch (field) {
      case 'subscription':
        return this.subscriptions;
      case 'customer':
        return this.customers;
      case 'invoice':
      case 'latest_invoice':
        return this.invoices;
      case 'schedule':
        return this.schedules;
      case 'payment_intent':
        return this.paymentIntents;
      case 'latest_charge':
      case 'charge':
        return this.charges;
      default:
        return null;
    }
  }

  /**
   * A paid invoice for the subscription's current period, with its hosted page: what Stripe issues
   * when a checkout starts the subscription or a period renews. It becomes the `latest_invoice`.
   */
  private storePaidInvoice(subscriptionId: string): string {
    const subscription = this.subscriptions.get(subscriptionId)!;
    const id = newId('in');
    subscription['latest_invoice'] = id;
    const invoice = this.invoiceFor('invoice.paid', subscription);
    this.remember(this.invoices, id, {
      ...invoice,
      number: `${String(subscription['customer']).slice(4, 12).toUpperCase()}-${String(this.invoices.size + 1).padStart(4, '0')}`,
      hosted_invoice_url: `https://invoice.stripe.com/i/acct_fake/test_${randomBytes(24).toString('base64url')}?s=ap`,
      invoice_pdf: `https://pay.stripe.com/invoice/acct_fake/test_${randomBytes(24).toString('base64url')}/pdf?s=ap`,
    });
    return id;
  }

  /**
   * A `subscription_update_confirm` flow (the only flow the fake hosts), checked as Stripe checks
   * it: the customer's own live subscription, its item, a price the configuration lets it move to
   * (Stripe's default configuration allows no updates), and an after_completion it understands.
   */
  private portalFlow(data: Record<string, unknown>, customer: string, configuration: StripeObject | null): { flow: StripeObject } | { error: { status: number; json: unknown } } {
    const type = data['type'];
    if (typeof type !== 'string') return { error: missing('flow_data[type]') };
    if (type !== 'subscription_update_confirm') return { error: invalid(`This fake hosts the subscription_update_confirm flow only, not ${type}`, 'flow_data[type]') };
    const confirm = data['subscription_update_confirm'] as { subscription?: unknown; items?: { id?: unknown; price?: unknown; quantity?: unknown }[] } | undefined;
    if (!confirm) return { error: missing('flow_data[subscription_update_confirm]') };
    const subscription = typeof confirm.subscription === 'string' ? this.subscriptions.get(confirm.subscription) : undefined;
    if (!subscription || subscription['customer'] !== customer) {
      return { error: noSuch('subscription', String(confirm.subscription), 'flow_data[subscription_update_confirm][subscription]') };
    }
    if (!['active', 'trialing'].includes(String(subscription['status']))) {
      return { error: invalid(`The subscription ${String(subscription['id'])} is ${String(subscription['status'])} and cannot be updated in the portal.`, 'flow_data[subscription_update_confirm][subscription]') };
    }
    if (subscription['schedule']) {
      return { error: invalid(`The subscription ${String(subscription['id'])} is managed by a subscription schedule and cannot be updated in the portal.`, 'flow_data[subscription_update_confirm][subscription]') };
    }
    const items = confirm.items;
    if (!Array.isArray(items) || items.length !== 1) return { error: invalid('You must specify exactly one item to update.', 'flow_data[subscription_update_confirm][items]') };
    const [change] = items;
    if (change!.id !== firstItem(subscription)['id']) return { error: invalid(`Invalid subscription_item id: ${String(change!.id)}`, 'flow_data[subscription_update_confirm][items][0][id]') };
    const price = change!.price;
    if (typeof price !== 'string' || !this.prices.has(price)) return { error: noSuch('price', String(price), 'flow_data[subscription_update_confirm][items][0][price]') };
    const update = (configuration?.['features'] as { subscription_update?: { enabled?: boolean; products?: { prices: string[] }[] } } | undefined)?.subscription_update;
    if (!update?.enabled || !(update.products ?? []).some((product) => product.prices.includes(price))) {
      return { error: invalid(`The price ${price} is not one the portal configuration's subscription_update feature allows.`, 'flow_data[subscription_update_confirm][items][0][price]') };
    }
    const after = (data['after_completion'] ?? { type: 'portal_homepage' }) as { type?: unknown; redirect?: { return_url?: unknown } };
    if (!['redirect', 'hosted_confirmation', 'portal_homepage'].includes(String(after.type))) return { error: invalid('Invalid after_completion[type]', 'flow_data[after_completion][type]') };
    const redirectUrl = after.redirect?.return_url;
    if (after.type === 'redirect' && (typeof redirectUrl !== 'string' || !URL.canParse(redirectUrl))) return { error: missing('flow_data[after_completion][redirect][return_url]') };
    return {
      flow: {
        type,
        after_completion: { type: after.type, redirect: after.type === 'redirect' ? { return_url: redirectUrl } : null, hosted_confirmation: null },
        subscription_cancel: null,
        subscription_update: null,
        subscription_update_confirm: { subscription: subscription['id'], items: [{ id: change!.id, price, quantity: Number(change!.quantity ?? 1) }], discounts: null },
      },
    };
  }

  private createPortalConfiguration(body: Record<string, unknown>): { status: number; json: unknown } {
    const features = body['features'] as Record<string, Record<string, unknown>> | undefined;
    if (!features) return missing('features');
    const update = features['subscription_update'];
    const products = (update?.['products'] ?? []) as { product?: unknown; prices?: unknown }[];
    if (update?.['enabled'] === 'true' && (!Array.isArray(products) || products.length === 0)) {
      return invalid('You must specify at least one product when subscription updates are enabled.', 'features[subscription_update][products]');
    }
    for (const [index, product] of (Array.isArray(products) ? products : []).entries()) {
      const prices = Array.isArray(product.prices) ? (product.prices as string[]) : [];
      const unknownPrice = prices.find((price) => !this.prices.has(price));
      if (unknownPrice) return noSuch('price', unknownPrice, `features[subscription_update][products][${index}][prices]`);
      if (prices.some((price) => this.priceObject(price)['product'] !== product.product)) {
        return invalid(`Every price listed for product ${String(product.product)} must belong to it.`, `features[subscription_update][products][${index}][prices]`);
      }
    }
    const proration = update?.['proration_behavior'] ?? 'none';
    if (!['none', 'create_prorations', 'always_invoice'].includes(String(proration))) return invalid('Invalid proration_behavior', 'features[subscription_update][proration_behavior]');
    const conditions = ((update?.['schedule_at_period_end'] as { conditions?: { type?: unknown }[] } | undefined)?.conditions ?? []).map((condition) => condition.type);
    if (conditions.some((type) => type !== 'decreasing_item_amount' && type !== 'shortening_interval')) {
      return invalid('Invalid schedule_at_period_end[conditions][type]: must be one of decreasing_item_amount or shortening_interval', 'features[subscription_update][schedule_at_period_end][conditions]');
    }
    const id = newId('bpc');
    const now = nowSeconds();
    const configuration: StripeObject = {
      id,
      object: 'billing_portal.configuration',
      active: true,
      application: null,
      business_profile: { headline: null, privacy_policy_url: null, terms_of_service_url: null },
      created: now,
      default_return_url: body['default_return_url'] ?? null,
      features: {
        customer_update: { allowed_updates: [], enabled: false },
        invoice_history: { enabled: false },
        payment_method_update: { enabled: false },
        subscription_cancel: { enabled: false, mode: 'at_period_end', proration_behavior: 'none', cancellation_reason: { enabled: false, options: [] } },
        subscription_update: {
          billing_cycle_anchor: null,
          default_allowed_updates: update?.['default_allowed_updates'] ?? [],
          enabled: update?.['enabled'] === 'true',
          products: (Array.isArray(products) ? products : []).map((product) => ({ adjustable_quantity: { enabled: false, maximum: null, minimum: 1 }, prices: product.prices, product: product.product })),
          proration_behavior: proration,
          schedule_at_period_end: { conditions: conditions.map((type) => ({ type })) },
          trial_update_behavior: 'end_trial',
        },
      },
      is_default: false,
      livemode: false,
      login_page: { enabled: false, url: null },
      metadata: body['metadata'] ?? {},
      name: body['name'] ?? null,
      updated: now,
    };
    this.remember(this.portalConfigurations, id, configuration);
    return ok(configuration);
  }

  /** `GET /v1/billing_portal/configurations`, newest first, filtered by `active` and `is_default` as Stripe allows. */
  private listPortalConfigurations(query: Record<string, unknown>): { status: number; json: unknown } {
    const limit = query['limit'] === undefined ? DEFAULT_LIST_LIMIT : Number(query['limit']);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
      return invalid(`This value must be greater than or equal to 1 and less than or equal to ${MAX_LIST_LIMIT}.`, 'limit');
    }
    const matching = [...this.portalConfigurations.values()]
      .reverse()
      .filter((configuration) => (query['active'] === undefined || String(configuration['active']) === query['active']) && (query['is_default'] === undefined || String(configuration['is_default']) === query['is_default']));
    return ok({ object: 'list', data: clone(matching.slice(0, limit)), has_more: matching.length > limit, url: '/v1/billing_portal/configurations' });
  }

  /** `POST /v1/subscription_schedules` from a subscription: one phase, its current period on its current price. */
  private createSchedule(body: Record<string, unknown>): { status: number; json: unknown } {
    const from = body['from_subscription'];
    if (typeof from !== 'string') return invalid('This fake creates schedules from_subscription only.', 'from_subscription');
    const subscription = this.subscriptions.get(from);
    if (!subscription) return noSuch('subscription', from, 'from_subscription');
    if (FINAL_SUBSCRIPTION_STATUSES.has(String(subscription['status']))) return invalid(`The subscription ${from} has ended.`, 'from_subscription');
    if (subscription['schedule']) {
      return invalid(`You cannot migrate a subscription that is already attached to a schedule: \`${String(subscription['schedule'])}\`.`, 'from_subscription');
    }
    return ok(this.storeSchedule(subscription));
  }

  /** `POST /v1/subscription_schedules/:id`: its phases replaced (the current one's start kept), its end behaviour set. */
  private updateSchedule(id: string, body: Record<string, unknown>): { status: number; json: unknown } {
    const schedule = this.schedules.get(id);
    if (!schedule) return noSuch('subscription_schedule', id, 'schedule', 404);
    if (!['active', 'not_started'].includes(String(schedule['status']))) return invalid(`You cannot update a subscription schedule that is ${String(schedule['status'])}.`, 'schedule');
    const endBehavior = body['end_behavior'];
    if (endBehavior !== undefined && endBehavior !== 'release' && endBehavior !== 'cancel') return invalid('Invalid end_behavior: must be one of release or cancel', 'end_behavior');
    const proration = body['proration_behavior'];
    if (proration !== undefined && !['create_prorations', 'none', 'always_invoice'].includes(String(proration))) return invalid('Invalid proration_behavior', 'proration_behavior');
    if (body['phases'] !== undefined) {
      const error = this.setPhases(schedule, body['phases'] as Record<string, unknown>[]);
      if (error) return error;
    }
    if (endBehavior !== undefined) schedule['end_behavior'] = endBehavior;
    return ok(clone(schedule));
  }

  /** `POST /v1/subscription_schedules/:id/release`: the subscription goes on without it, as it is. */
  private releaseSchedule(id: string): { status: number; json: unknown } {
    const schedule = this.schedules.get(id);
    if (!schedule) return noSuch('subscription_schedule', id, 'schedule', 404);
    if (!['active', 'not_started'].includes(String(schedule['status']))) return invalid(`You cannot release a subscription schedule that is currently ${String(schedule['status'])}.`, 'schedule');
    this.release(schedule);
    return ok(clone(schedule));
  }

  /** A schedule taking over the subscription: one phase, the current period on the current price, released at its end. */
  private storeSchedule(subscription: StripeObject): StripeObject {
    const item = firstItem(subscription);
    const id = newId('sub_sched');
    const now = nowSeconds();
    const phase = schedulePhase({ price: String((item['price'] as StripeObject)['id']), start: Number(item['current_period_start']), end: Number(item['current_period_end']) });
    const schedule: StripeObject = {
      id,
      object: 'subscription_schedule',
      application: null,
      billing_mode: { type: 'classic' },
      canceled_at: null,
      completed_at: null,
      created: now,
      current_phase: { start_date: phase['start_date'], end_date: phase['end_date'] },
      customer: subscription['customer'],
      customer_account: null,
      default_settings: { application_fee_percent: null, automatic_tax: { enabled: false, liability: null }, billing_cycle_anchor: 'automatic', billing_thresholds: null, collection_method: 'charge_automatically', default_payment_method: null, description: null, invoice_settings: { account_tax_ids: null, days_until_due: null, issuer: { type: 'self' } }, on_behalf_of: null, transfer_data: null },
      end_behavior: 'release',
      livemode: false,
      metadata: {},
      phases: [phase],
      released_at: null,
      released_subscription: null,
      status: 'active',
      subscription: subscription['id'],
      test_clock: null,
    };
    this.remember(this.schedules, id, schedule);
    subscription['schedule'] = id;
    return schedule;
  }

  /**
   * Replaces a schedule's phases as Stripe reads them: each starts where the last ended (the first
   * where the current phase started, which cannot move), and ends at its end_date or one
   * `duration` later. Answers an error, changing nothing, for a phase Stripe would refuse.
   */
  private setPhases(schedule: StripeObject, phases: Record<string, unknown>[]): { status: number; json: unknown } | null {
    if (!Array.isArray(phases) || phases.length === 0) return invalid('You must provide at least one phase.', 'phases');
    const currentStart = Number((schedule['current_phase'] as { start_date: number } | null)?.start_date ?? (schedule['phases'] as StripeObject[])[0]?.['start_date']);
    const built: StripeObject[] = [];
    let start = currentStart;
    for (const [index, phase] of phases.entries()) {
      const price = (phase['items'] as { price?: unknown }[] | undefined)?.[0]?.price;
      if (typeof price !== 'string' || !this.prices.has(price)) return noSuch('price', String(price), `phases[${index}][items][0][price]`);
      if (index === 0 && phase['start_date'] !== undefined && Number(phase['start_date']) !== currentStart) {
        return invalid('You can not modify the start date of the current phase.', 'phases[0][start_date]');
      }
      const duration = phase['duration'] as { interval?: unknown; interval_count?: unknown } | undefined;
      const end =
        phase['end_date'] !== undefined
          ? Number(phase['end_date'])
          : duration
            ? start + (duration.interval === 'year' ? 365 : duration.interval === 'month' ? 30 : 1) * DAY_SECONDS * Number(duration.interval_count ?? 1)
            : NaN;
      if (!Number.isInteger(end) || end <= start) return invalid('Each phase needs an end_date or a duration after its start.', `phases[${index}]`);
      built.push(schedulePhase({ price, start, end }));
      start = end;
    }
    schedule['phases'] = built;
    const first = built[0]!;
    schedule['current_phase'] = { start_date: first['start_date'], end_date: first['end_date'] };
    return null;
  }

  /** At a renewal: the item takes the price of the phase the new period starts in; past the last phase the schedule ends by its end behaviour. */
  private advanceSchedule(subscription: StripeObject, item: StripeObject, periodStart: number): void {
    const schedule = typeof subscription['schedule'] === 'string' ? this.schedules.get(subscription['schedule']) : undefined;
    if (!schedule || schedule['status'] !== 'active') return;
    const phase = (schedule['phases'] as StripeObject[]).find((candidate) => Number(candidate['start_date']) <= periodStart && periodStart < Number(candidate['end_date']));
    if (!phase) {
      this.release(schedule);
      return;
    }
    item['price'] = this.priceObject(String((phase['items'] as { price: string }[])[0]!.price));
    schedule['current_phase'] = { start_date: phase['start_date'], end_date: phase['end_date'] };
  }

  private release(schedule: StripeObject): void {
    const now = nowSeconds();
    Object.assign(schedule, { status: 'released', released_at: now, released_subscription: schedule['subscription'], current_phase: null });
    const subscription = this.subscriptions.get(String(schedule['subscription']));
    if (subscription && subscription['schedule'] === schedule['id']) subscription['schedule'] = null;
  }

  /**
   * The item moves to another price now. With `always_invoice` Stripe invoices the proration at
   * once and charges it: the unused time of the old price is credited and the remaining time of the
   * new one charged, each line rounded on its own; when the interval changes the billing cycle
   * restarts now, so the new price's whole first period is charged instead. Answers the decline,
   * changing nothing, when that charge is refused.
   */
  private changeItemPrice(subscription: StripeObject, item: StripeObject, priceId: string, prorationBehavior: string, paymentBehavior = 'error_if_incomplete'): StripeFakeError | null {
    const price = this.priceObject(priceId);
    const oldPrice = item['price'] as StripeObject;
    const now = nowSeconds();
    const start = Number(item['current_period_start']);
    const end = Number(item['current_period_end']);
    const restarts = periodSecondsOf(price) !== periodSecondsOf(oldPrice);
    const remaining = Math.max(0, end - now);
    const quantity = Number(item['quantity'] ?? 1);
    const share = (amount: number) => Math.round((amount * quantity * remaining) / Math.max(1, end - start));
    const lines = [
      { amount: -share(Number(oldPrice['unit_amount'] ?? 0)), description: `Unused time on ${String(oldPrice['nickname'] ?? oldPrice['id'])}`, price: oldPrice, period: { start: now, end } },
      restarts
        ? { amount: Number(price['unit_amount'] ?? 0) * quantity, description: `${quantity} × ${String(price['nickname'] ?? price['id'])}`, price, period: { start: now, end: now + periodSecondsOf(price) } }
        : { amount: share(Number(price['unit_amount'] ?? 0)), description: `Remaining time on ${String(price['nickname'] ?? price['id'])}`, price, period: { start: now, end } },
    ];
    if (prorationBehavior === 'always_invoice') {
      const totalCents = lines.reduce((sum, line) => sum + line.amount, 0);
      const declined = totalCents > 0 && this.declineNextInvoice;
      this.declineNextInvoice &&= !declined;
      // error_if_incomplete: a payment that fails refuses the whole update; otherwise the update stands with its invoice left open.
      if (declined && paymentBehavior === 'error_if_incomplete') return { status: 402, type: 'card_error', code: 'card_declined', message: 'Your card was declined.' };
      subscription['latest_invoice'] = this.storeInvoice(subscription, lines, now, !declined);
      if (declined) subscription['status'] = 'past_due';
    }
    item['price'] = price;
    if (restarts) {
      Object.assign(item, { current_period_start: now, current_period_end: now + periodSecondsOf(price) });
      subscription['billing_cycle_anchor'] = now;
    }
    return null;
  }

  /** A paid invoice of proration lines (billing_reason subscription_update); a positive total is charged to the customer's card. */
  private storeInvoice(subscription: StripeObject, lines: { amount: number; description: string; price: StripeObject; period: { start: number; end: number } }[], now: number, paid = true): string {
    const id = newId('in');
    const totalCents = lines.reduce((sum, line) => sum + line.amount, 0);
    const dueCents = Math.max(0, totalCents);
    const paidCents = paid ? dueCents : 0;
    const currency = String(subscription['currency'] ?? 'usd');
    const customerId = String(subscription['customer']);
    const paymentIntentId = paidCents > 0 ? this.storePayment({ amountCents: paidCents, currency, customerId, metadata: {}, now }) : null;
    const base = clone(FIXTURES.invoice) as StripeObject & { lines: { data: StripeObject[] } };
    const item = firstItem(subscription);
    const data = lines.map((line) => ({
      ...clone(base.lines.data[0]!),
      id: newId('il'),
      invoice: id,
      amount: line.amount,
      currency,
      description: line.description,
      metadata: {},
      period: line.period,
      quantity: 1,
      subscription: subscription['id'],
      subtotal: line.amount,
      parent: {
        type: 'subscription_item_details',
        invoice_item_details: null,
        subscription_item_details: { invoice_item: newId('ii'), proration: true, proration_details: { credited_items: null }, subscription: subscription['id'], subscription_item: item['id'] },
      },
      pricing: { type: 'price_details', price_details: { price: line.price['id'], product: line.price['product'] }, unit_amount_decimal: String(line.price['unit_amount'] ?? 0) },
    }));
    this.remember(this.invoices, id, {
      ...base,
      id,
      customer: customerId,
      subscription: subscription['id'],
      status: paid ? 'paid' : 'open',
      billing_reason: 'subscription_update',
      collection_method: 'charge_automatically',
      created: now,
      effective_at: now,
      due_date: null,
      currency,
      amount_due: dueCents,
      amount_paid: paidCents,
      amount_remaining: dueCents - paidCents,
      amount_overpaid: 0,
      // A negative total is the customer's credit, kept on their balance for the next invoice.
      ending_balance: Math.min(0, totalCents),
      starting_balance: 0,
      attempted: true,
      attempt_count: dueCents > 0 ? 1 : 0,
      auto_advance: false,
      next_payment_attempt: null,
      period_start: now,
      period_end: now,
      subtotal: totalCents,
      subtotal_excluding_tax: totalCents,
      total: totalCents,
      total_excluding_tax: totalCents,
      from_invoice: null,
      last_finalization_error: null,
      shipping_cost: null,
      status_transitions: { finalized_at: now, marked_uncollectible_at: null, paid_at: paid ? now : null, voided_at: null },
      lines: { ...base.lines, data, total_count: data.length, url: `/v1/invoices/${id}/lines` },
      parent: { type: 'subscription_details', quote_details: null, subscription_details: { metadata: clone(subscription['metadata'] ?? {}), subscription: subscription['id'] } },
      payments: {
        object: 'list',
        data: paymentIntentId ? [{ id: newId('inpay'), object: 'invoice_payment', amount_paid: paidCents, currency, invoice: id, is_default: true, livemode: false, payment: { type: 'payment_intent', payment_intent: paymentIntentId }, status: 'paid' }] : [],
        has_more: false,
        url: `/v1/invoice_payments?invoice=${id}`,
      },
    });
    return id;
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
    const paymentBehavior = body['payment_behavior'] ?? 'allow_incomplete';
    if (!['allow_incomplete', 'default_incomplete', 'error_if_incomplete', 'pending_if_incomplete'].includes(String(paymentBehavior))) {
      return invalid('Invalid payment_behavior', 'payment_behavior');
    }
    if (changes.length > 0 && FINAL_SUBSCRIPTION_STATUSES.has(String(subscription['status']))) {
      return invalid('A canceled subscription can only update its cancellation_details and metadata.', 'items');
    }

    if (proration === 'always_invoice') {
      for (const { item, price } of changes) {
        const declined = this.changeItemPrice(subscription, item, String(price['id']), 'always_invoice', String(paymentBehavior));
        if (declined) return fail(declined);
      }
    } else {
      for (const { item, price } of changes) item['price'] = price;
    }
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

/** An `expand[]` path through a field Stripe does not expand. */
class StripeFakeExpandError extends Error {
  readonly path: string;

  constructor(path: string) {
    super(`cannot expand ${path}`);
    this.path = path;
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

/** What `expand[]` asked for (the SDK sends `expand[0]=…`, which parses to an array). */
function expandsOf(query: Record<string, unknown>): unknown[] {
  const expand = query['expand'];
  return Array.isArray(expand) ? expand : typeof expand === 'string' ? [expand] : [];
}

function retrieved(store: ReadonlyMap<string, StripeObject>, kind: string, id: string, param: string): { status: number; json: unknown } {
  const object = store.get(id);
  return object ? ok(clone(object)) : noSuch(kind, id, param, 404);
}

function firstItem(subscription: StripeObject): StripeObject {
  const item = (subscription['items'] as { data: StripeObject[] } | undefined)?.data[0];
  if (!item) throw new Error(`StripeFake: subscription ${String(subscription['id'])} has no item`);
  return item;
}

/** One billing period of a recurring price: a month is 30 days and a year 365 here, as completeCheckout has always used. */
function periodSecondsOf(price: StripeObject): number {
  const recurring = (price['recurring'] ?? {}) as { interval?: unknown; interval_count?: unknown };
  const intervalDays = recurring.interval === 'year' ? 365 : 30;
  const count = Number(recurring.interval_count ?? 1);
  return intervalDays * (Number.isInteger(count) && count > 0 ? count : 1) * DAY_SECONDS;
}

/** One phase of a subscription schedule, in Stripe's shape: one item on `price` from `start` to `end`. */
function schedulePhase(fields: { price: string; start: number; end: number }): StripeObject {
  return {
    add_invoice_items: [],
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: null,
    billing_thresholds: null,
    collection_method: null,
    currency: 'usd',
    default_payment_method: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    end_date: fields.end,
    invoice_settings: null,
    items: [{ billing_thresholds: null, discounts: [], metadata: {}, price: fields.price, quantity: 1, tax_rates: [] }],
    metadata: {},
    on_behalf_of: null,
    proration_behavior: 'create_prorations',
    start_date: fields.start,
    transfer_data: null,
    trial_end: null,
  };
}

function assertOneOf(allowed: ReadonlySet<string>, value: string, what: string): void {
  if (!allowed.has(value)) throw new Error(`StripeFake: ${value} is not a ${what} Stripe uses (${[...allowed].join(', ')})`);
}

function assertPositiveCents(amountCents: number): void {
  if (!Number.isSafeInteger(amountCents) || amountCents <= 0) throw new Error(`StripeFake: ${amountCents} is not a positive whole number of cents`);
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

/**
 * Stripe's example PaymentIntent (its OpenAPI fixtures), written out here because
 * tests/fixtures/stripe has no payment_intent.json; the fields that matter are overridden per object.
 */
function paymentIntentExample(): StripeObject {
  return {
    id: 'pi_1MoS6fLgUG5tbmjca6AdBPsl',
    object: 'payment_intent',
    amount: 1099,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic',
    client_secret: 'pi_1MoS6fLgUG5tbmjca6AdBPsl_secret_example',
    confirmation_method: 'automatic',
    created: 1234567890,
    currency: 'usd',
    customer: null,
    description: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    metadata: {},
    next_action: null,
    on_behalf_of: null,
    payment_method: null,
    payment_method_configuration_details: null,
    payment_method_options: {},
    payment_method_types: ['card'],
    processing: null,
    receipt_email: null,
    review: null,
    setup_future_usage: null,
    shipping: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: 'requires_payment_method',
    transfer_data: null,
    transfer_group: null,
  };
}

/** Stripe's example Refund (its OpenAPI fixtures); tests/fixtures/stripe has no refund.json. */
function refundExample(): StripeObject {
  return {
    id: 're_1MoqxHLgUG5tbmjcYO7PFWn6',
    object: 'refund',
    amount: 100,
    balance_transaction: null,
    charge: 'ch_1MoS30LgUG5tbmjcjfsQqpHI',
    created: 1234567890,
    currency: 'usd',
    destination_details: { card: { reference: null, reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' }, type: 'card' },
    metadata: {},
    payment_intent: null,
    reason: null,
    receipt_number: null,
    source_transfer_reversal: null,
    status: 'succeeded',
    transfer_reversal: null,
  };
}
