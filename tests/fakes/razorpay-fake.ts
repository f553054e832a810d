import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local server speaking Razorpay's wire format for Payment Links (create and fetch), Plans and
 * Subscriptions (create, fetch, cancel, update, their invoices), a stand-in for Standard
 * Checkout's script that authorises a subscription and posts the signed result to the callback,
 * the payments, refunds, disputes and renewals a test makes happen, and Route (linked accounts,
 * stakeholders, the `route` product configuration, direct transfers), so the official SDK can be
 * driven over real HTTP. Entities are shaped like Razorpay's documented ones; errors like its
 * `{"error":{"code","description",...}}` answers. It keeps every entity it serves, so a test can
 * change them as Razorpay would over time and see the current state both in fetches and in the
 * webhook bodies `eventFor` builds. Bounded, and owned by the one test that starts and stops it.
 */

export type RazorpayLinkStatus = 'created' | 'partially_paid' | 'paid' | 'cancelled' | 'expired';

export interface RazorpayFakeLink {
  id: string;
  short_url: string;
  status: RazorpayLinkStatus;
  amount: number;
  amount_paid: number;
  currency: string;
  accept_partial: boolean;
  first_min_partial_amount: number;
  reference_id: string;
  description: string;
  customer: Record<string, unknown>;
  notes: Record<string, unknown> | null;
  notify: { email: boolean; sms: boolean };
  reminder_enable: boolean;
  reminders: unknown[];
  callback_url: string;
  callback_method: string;
  payments: Array<Record<string, unknown>> | null;
  upi_link: boolean;
  user_id: string;
  expire_by: number;
  expired_at: number;
  cancelled_at: number;
  created_at: number;
  updated_at: number;
}

export interface RecordedRazorpayRequest {
  readonly method: string;
  readonly path: string;
  /** The query string's parameters (the SDK sends a collection's `count` and `skip` there). */
  readonly query: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly authorization: string | null;
  /** The Basic credentials, decoded, when there were any. */
  readonly basicAuth: { readonly username: string; readonly password: string } | null;
  /** The `X-Transfer-Idempotency` header, when there was one. */
  readonly idempotencyKey: string | null;
  /** The `X-Refund-Idempotency` header, when there was one. */
  readonly refundIdempotencyKey?: string | null;
}

/** A Route linked account as `/v2/accounts` answers it. */
export interface RazorpayFakeLinkedAccount {
  id: string;
  type: 'route';
  status: 'created' | 'suspended';
  email: string;
  phone: string;
  reference_id: string | null;
  business_type: string;
  legal_business_name: string;
  customer_facing_business_name: string;
  contact_name: string | null;
  profile: Record<string, unknown>;
  notes: Record<string, unknown> | unknown[];
  created_at: number;
}

export interface RazorpayFakeStakeholder {
  entity: 'stakeholder';
  id: string;
  name: string;
  email: string | null;
  notes: Record<string, unknown> | unknown[];
}

export type RazorpayFakeActivationStatus = 'requested' | 'needs_clarification' | 'under_review' | 'activated' | 'suspended';

export interface RazorpayFakeRequirement {
  field_reference: string;
  resolution_url: string;
  reason_code: string;
  description?: string;
  status: 'required';
}

/** A linked account's `route` product configuration. */
export interface RazorpayFakeProduct {
  requested_configuration: unknown[];
  active_configuration: { settlements: { account_number: string | null; ifsc_code: string | null; beneficiary_name: string | null } };
  requirements: RazorpayFakeRequirement[];
  tnc: { id: string; accepted: boolean; accepted_at: number | null };
  id: string;
  product_name: 'route';
  activation_status: RazorpayFakeActivationStatus;
  account_id: string;
  requested_at: number;
}

export type RazorpayFakeTransferStatus = 'pending' | 'processed' | 'failed';

export type RazorpayFakePaymentStatus = 'created' | 'authorized' | 'captured' | 'refunded' | 'failed';

/** A payment entity as `GET /v1/payments/:id` answers it. */
export interface RazorpayFakePayment {
  id: string;
  entity: 'payment';
  amount: number;
  currency: string;
  status: RazorpayFakePaymentStatus;
  order_id: string | null;
  invoice_id: string | null;
  international: boolean;
  method: string;
  amount_refunded: number;
  refund_status: 'partial' | 'full' | null;
  captured: boolean;
  description: string | null;
  card_id: string | null;
  bank: string | null;
  wallet: string | null;
  vpa: string | null;
  email: string;
  contact: string;
  notes: Record<string, unknown> | unknown[];
  /** Razorpay's fee in paise, the GST on it included. */
  fee: number;
  /** The GST part of `fee`, in paise. */
  tax: number;
  error_code: string | null;
  error_description: string | null;
  error_source: string | null;
  error_step: string | null;
  error_reason: string | null;
  acquirer_data: Record<string, unknown>;
  created_at: number;
}

/** A refund entity. */
export interface RazorpayFakeRefund {
  id: string;
  entity: 'refund';
  amount: number;
  currency: string;
  payment_id: string;
  notes: Record<string, unknown> | unknown[];
  receipt: string | null;
  acquirer_data: { arn: string | null };
  created_at: number;
  batch_id: string | null;
  status: 'pending' | 'processed' | 'failed';
  speed_processed: 'normal' | 'instant';
  speed_requested: 'normal' | 'optimum';
}

export type RazorpayFakeDisputeStatus = 'open' | 'under_review' | 'won' | 'lost' | 'closed';

/** A dispute entity. */
export interface RazorpayFakeDispute {
  id: string;
  entity: 'dispute';
  payment_id: string;
  amount: number;
  currency: string;
  amount_deducted: number;
  reason_code: string;
  respond_by: number;
  status: RazorpayFakeDisputeStatus;
  phase: 'inquiry' | 'chargeback' | 'pre_arbitration' | 'arbitration' | 'fraud';
  comments: string | null;
  evidence: Record<string, unknown>;
  created_at: number;
}

export type RazorpayFakeSubscriptionStatus = 'created' | 'authenticated' | 'active' | 'pending' | 'halted' | 'cancelled' | 'completed' | 'expired' | 'paused';

/** A subscription entity. */
export interface RazorpayFakeSubscription {
  id: string;
  entity: 'subscription';
  plan_id: string;
  customer_id: string | null;
  status: RazorpayFakeSubscriptionStatus;
  current_start: number | null;
  current_end: number | null;
  ended_at: number | null;
  quantity: number;
  notes: Record<string, unknown> | unknown[];
  charge_at: number | null;
  start_at: number;
  end_at: number;
  auth_attempts: number;
  total_count: number;
  paid_count: number;
  remaining_count: number;
  customer_notify: boolean;
  created_at: number;
  expire_by: number | null;
  short_url: string;
  has_scheduled_changes: boolean;
  change_scheduled_at: number | null;
  source: string;
  payment_method: string | null;
  offer_id: string | null;
}

export interface RazorpayFakePlan {
  id: string;
  entity: 'plan';
  period: RazorpayFakePlanPeriod;
  interval: number;
  item: { id: string; active: boolean; name: string; description: string | null; amount: number; unit_amount: number; currency: string; type: 'plan'; created_at: number; updated_at: number };
  notes: Record<string, unknown> | unknown[];
  created_at: number;
}

export type RazorpayFakePlanPeriod = 'daily' | 'weekly' | 'monthly' | 'quarterly' | 'yearly';

/** A subscription's invoice, one per charged cycle. */
export interface RazorpayFakeInvoice {
  id: string;
  entity: 'invoice';
  type: 'invoice';
  subscription_id: string;
  customer_id: string | null;
  status: 'paid';
  amount: number;
  amount_paid: number;
  currency: string;
  payment_id: string;
  short_url: string;
  billing_start: number;
  billing_end: number;
  paid_at: number;
  created_at: number;
}

/** What Standard Checkout posts to the callback after a subscription's authorisation payment. */
export interface RazorpayCheckoutResult {
  readonly razorpay_payment_id: string;
  readonly razorpay_subscription_id: string;
  readonly razorpay_signature: string;
}

/** The entities a webhook body can carry, by the name Razorpay gives each in `payload`. */
export interface RazorpayFakeEventEntities {
  readonly payment_link?: string;
  readonly payment?: string;
  readonly subscription?: string;
  readonly refund?: string;
  readonly dispute?: string;
  readonly transfer?: string;
}

/** A direct transfer as `POST /v1/transfers` answers it. */
export interface RazorpayFakeTransfer {
  id: string;
  entity: 'transfer';
  status: RazorpayFakeTransferStatus | 'reversed';
  source: string;
  recipient: string;
  amount: number;
  currency: string;
  amount_reversed: number;
  fees: number;
  tax: number;
  notes: Record<string, unknown> | unknown[];
  linked_account_notes: string[];
  on_hold: boolean;
  on_hold_until: number | null;
  recipient_settlement_id: string | null;
  created_at: number;
  processed_at: number | null;
  error: { code: string | null; description: string | null; reason: string | null; field: string | null; step: string | null; source: string | null; metadata: null };
}

/** What the fake holds for one linked account. */
export interface RazorpayFakeRouteAccount {
  readonly account: RazorpayFakeLinkedAccount;
  readonly stakeholders: RazorpayFakeStakeholder[];
  product: RazorpayFakeProduct | null;
}

export interface RazorpayFakeError {
  readonly status: number;
  readonly code?: string;
  readonly description?: string;
  readonly field?: string;
  /** Razorpay's machine-readable reason (`input_validation_failed` by default for a 4xx). */
  readonly reason?: string;
  /** Answer with this text instead of Razorpay's JSON error (an HTML page from a proxy, say). */
  readonly rawBody?: string;
}

type NextBehaviour = { readonly kind: 'fail'; readonly error: RazorpayFakeError } | { readonly kind: 'hang' };

const MAX_LINKS = 1_000;
const MAX_RECORDED_REQUESTS = 1_000;
const MAX_BODY_BYTES = 256 * 1024;
const MAX_NOTES = 15;
const MAX_REFERENCE_LENGTH = 40;
const MAX_LINKED_ACCOUNTS = 1_000;
const MAX_TRANSFERS = 1_000;
const MAX_PAYMENTS = 1_000;
const MAX_REFUNDS = 1_000;
const MAX_DISPUTES = 1_000;
const MAX_SUBSCRIPTIONS = 1_000;
const MAX_REFUNDS_PER_PAYMENT = 100;
/** Razorpay's bounds on a collection's `count`, and what it uses when none is given. */
const MAX_COLLECTION_COUNT = 100;
const DEFAULT_COLLECTION_COUNT = 10;
/** The smallest payment Razorpay takes: INR 1.00. */
const MIN_AMOUNT_PAISE = 100;
/** Razorpay's standard domestic rate, and the GST charged on its fee. */
const FEE_BPS = 200;
const GST_PERCENT = 18;
const DAY_SECONDS = 86_400;
const DEFAULT_SUBSCRIPTION_PERIOD_SECONDS = 30 * DAY_SECONDS;
const DEFAULT_SUBSCRIPTION_TOTAL_COUNT = 12;
/** The fake's own choice of how long a merchant has to answer a dispute. */
const DISPUTE_RESPONSE_WINDOW_SECONDS = 7 * DAY_SECONDS;
const DISPUTE_STATUSES: ReadonlySet<string> = new Set<RazorpayFakeDisputeStatus>(['open', 'under_review', 'won', 'lost', 'closed']);
const SUBSCRIPTION_STATUSES: ReadonlySet<string> = new Set<RazorpayFakeSubscriptionStatus>([
  'created', 'authenticated', 'active', 'pending', 'halted', 'cancelled', 'completed', 'expired', 'paused',
]);
/** Razorpay never moves a subscription out of these. */
const FINAL_SUBSCRIPTION_STATUSES: ReadonlySet<string> = new Set(['cancelled', 'completed', 'expired']);
const MAX_PLANS = 1_000;
const MAX_INVOICES = 1_000;
/** A billing cycle's length by plan period, as the fake counts it (Razorpay bills calendar periods). */
const PERIOD_SECONDS: Readonly<Record<RazorpayFakePlanPeriod, number>> = {
  daily: DAY_SECONDS,
  weekly: 7 * DAY_SECONDS,
  monthly: 30 * DAY_SECONDS,
  quarterly: 91 * DAY_SECONDS,
  yearly: 365 * DAY_SECONDS,
};
/** Standard Checkout's script, as a stand-in: served without credentials, like Razorpay's CDN. */
const CHECKOUT_SCRIPT_PATH = '/v1/checkout.js';
const CHECKOUT_AUTHORIZE_PATH = '/v1/checkout/authorize';
const NO_TRANSFER_ERROR: RazorpayFakeTransfer['error'] = { code: null, description: null, reason: null, field: null, step: null, source: null, metadata: null };
const FAILED_TRANSFER_ERROR: RazorpayFakeTransfer['error'] = {
  code: 'BAD_REQUEST_TRANSFER_INSUFFICIENT_BALANCE',
  description: 'Transfer failed due to insufficient balance',
  reason: 'insufficient_balance',
  field: null,
  step: 'balance_check',
  source: 'transfer',
  metadata: null,
};
/** The platform's own account: the source of its direct transfers. */
const PLATFORM_ACCOUNT_ID = 'acc_FakePlatform001';
const BUSINESS_TYPES = new Set([
  'llp', 'ngo', 'other', 'individual', 'partnership', 'proprietorship', 'public_limited', 'private_limited', 'trust', 'society',
  'not_yet_registered', 'educational_institutes',
]);
const IFSC = /^[A-Z]{4}0[A-Z0-9]{6}$/;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_ -]{4,36}$/;
/** Razorpay's rule for `X-Refund-Idempotency`: at least 10 letters, digits, hyphens and underscores. */
const REFUND_IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{10,}$/;
/** Route's documented requirements of a product that has no bank account yet. */
const SETTLEMENT_FIELDS = ['settlements.beneficiary_name', 'settlements.account_number', 'settlements.ifsc_code'];

export class RazorpayFake {
  readonly requests: RecordedRazorpayRequest[] = [];

  private readonly keyId: string;
  private readonly keySecret: string;
  private readonly links = new Map<string, RazorpayFakeLink>();
  private readonly references = new Map<string, string>();
  private readonly next: NextBehaviour[] = [];
  private readonly held = new Set<ServerResponse>();
  private readonly routeAccounts = new Map<string, RazorpayFakeRouteAccount>();
  private readonly transfersById = new Map<string, RazorpayFakeTransfer>();
  /** Refund idempotency key → the refund made with it, and the payment and body it was made for. */
  private readonly refundKeys = new Map<string, { refundId: string; body: string }>();
  /** Idempotency key → the transfer made with it and the body it was made from. */
  private readonly transferKeys = new Map<string, { transferId: string; body: string }>();
  private readonly transferRefusals: string[] = [];
  private readonly payments = new Map<string, RazorpayFakePayment>();
  private readonly refunds = new Map<string, RazorpayFakeRefund>();
  private readonly disputes = new Map<string, RazorpayFakeDispute>();
  /** Each subscription with the length of its billing cycle, which Razorpay keeps on the plan. */
  private readonly subscriptions = new Map<string, HeldSubscription>();
  private readonly plans = new Map<string, RazorpayFakePlan>();
  private readonly invoices = new Map<string, RazorpayFakeInvoice>();
  private transferAnswer: RazorpayFakeTransferStatus = 'processed';
  private server: Server | null = null;

  constructor(options: { keyId: string; keySecret: string }) {
    this.keyId = options.keyId;
    this.keySecret = options.keySecret;
  }

  /** Starts listening; returns the base URL to give the client as `apiBaseUrl`. */
  async start(): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Stops listening and drops every connection: calls made afterwards are refused. */
  async stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.held.clear();
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  requestsTo(method: string, path: string): RecordedRazorpayRequest[] {
    return this.requests.filter((request) => request.method === method && request.path === path);
  }

  link(id: string): RazorpayFakeLink | null {
    return this.links.get(id) ?? null;
  }

  /** Answers the next `times` requests with this error. */
  failNext(error: RazorpayFakeError, times = 1): void {
    for (let i = 0; i < times; i++) this.next.push({ kind: 'fail', error });
  }

  /** The next request gets no answer at all (until stop()). */
  hangNext(): void {
    this.next.push({ kind: 'hang' });
  }

  /**
   * The customer paid `amount` (all of it by default): partially_paid, or paid once the whole
   * amount is in. The payment is kept as a captured payment entity carrying the link's notes.
   */
  payLink(id: string, amount?: number): void {
    const link = this.openLink(id);
    const paying = amount ?? link.amount - link.amount_paid;
    const now = nowSeconds();
    const customer = link.customer as { email?: unknown; contact?: unknown };
    const paymentId = this.storePayment({
      amountPaise: paying,
      currency: link.currency,
      description: link.description,
      notes: link.notes,
      email: typeof customer.email === 'string' ? customer.email : undefined,
      contact: typeof customer.contact === 'string' ? customer.contact : undefined,
      now,
    });
    link.amount_paid += paying;
    link.status = link.amount_paid >= link.amount ? 'paid' : 'partially_paid';
    link.payments = [
      ...(link.payments ?? []),
      { amount: paying, created_at: now, method: 'upi', payment_id: paymentId, plink_id: link.id, status: 'captured', updated_at: now },
    ];
    link.updated_at = now;
  }

  /** A captured payment made outside any link (a subscription charge, a payment page); returns its id. */
  createPayment(options: { amount: number; notes?: Record<string, string>; description?: string }): string {
    if (!Number.isSafeInteger(options.amount) || options.amount < MIN_AMOUNT_PAISE) throw new Error(`RazorpayFake: ${options.amount} paise is below Razorpay's minimum of ${MIN_AMOUNT_PAISE}`);
    return this.storePayment({ amountPaise: options.amount, currency: 'INR', description: options.description ?? null, notes: options.notes ?? null, now: nowSeconds() });
  }

  payment(id: string): RazorpayFakePayment | null {
    return this.payments.get(id) ?? null;
  }

  refund(id: string): RazorpayFakeRefund | null {
    return this.refunds.get(id) ?? null;
  }

  dispute(id: string): RazorpayFakeDispute | null {
    return this.disputes.get(id) ?? null;
  }

  subscription(id: string): RazorpayFakeSubscription | null {
    return this.subscriptions.get(id)?.entity ?? null;
  }

  /**
   * Refunds `amountPaise` of a payment; returns the refund id. The payment's refund_status becomes
   * partial or full (and its status refunded when full); Razorpay refuses to refund more than was paid.
   */
  refundPayment(paymentId: string, amountPaise: number): string {
    assertPositivePaise(amountPaise);
    const payment = this.existingPayment(paymentId);
    if (payment.amount_refunded + amountPaise > payment.amount) {
      throw new Error(`RazorpayFake: refund of ${amountPaise} exceeds what is left of payment ${paymentId} (${payment.amount - payment.amount_refunded} of ${payment.amount})`);
    }
    const refundCount = [...this.refunds.values()].filter((refund) => refund.payment_id === paymentId).length;
    if (refundCount >= MAX_REFUNDS_PER_PAYMENT) throw new Error(`RazorpayFake: payment ${paymentId} already has ${MAX_REFUNDS_PER_PAYMENT} refunds`);
    const refund: RazorpayFakeRefund = {
      id: newId('rfnd'),
      entity: 'refund',
      amount: amountPaise,
      currency: payment.currency,
      payment_id: paymentId,
      notes: [],
      receipt: null,
      acquirer_data: { arn: null },
      created_at: nowSeconds(),
      batch_id: null,
      status: 'processed',
      speed_processed: 'normal',
      speed_requested: 'normal',
    };
    remember(this.refunds, refund.id, refund, MAX_REFUNDS);
    payment.amount_refunded += amountPaise;
    const full = payment.amount_refunded === payment.amount;
    payment.refund_status = full ? 'full' : 'partial';
    if (full) payment.status = 'refunded';
    return refund.id;
  }

  /** The customer disputed `amountPaise` of a payment (a chargeback); returns the dispute id, status open. */
  openDispute(paymentId: string, amountPaise: number): string {
    assertPositivePaise(amountPaise);
    const payment = this.existingPayment(paymentId);
    if (amountPaise > payment.amount) throw new Error(`RazorpayFake: dispute of ${amountPaise} exceeds payment ${paymentId} of ${payment.amount}`);
    const now = nowSeconds();
    const dispute: RazorpayFakeDispute = {
      id: newId('disp'),
      entity: 'dispute',
      payment_id: paymentId,
      amount: amountPaise,
      currency: payment.currency,
      amount_deducted: 0,
      reason_code: 'chargeback',
      respond_by: now + DISPUTE_RESPONSE_WINDOW_SECONDS,
      status: 'open',
      phase: 'chargeback',
      comments: null,
      evidence: {
        amount: amountPaise,
        summary: null,
        shipping_proof: null,
        billing_proof: null,
        cancellation_proof: null,
        customer_communication: null,
        proof_of_service: null,
        explanation_letter: null,
        refund_confirmation: null,
        access_activity_log: null,
        refund_cancellation_policy: null,
        term_and_conditions: null,
        others: null,
        submitted_at: null,
      },
      created_at: now,
    };
    remember(this.disputes, dispute.id, dispute, MAX_DISPUTES);
    return dispute.id;
  }

  /**
   * The dispute moved on. A lost dispute keeps the disputed amount (amount_deducted); the fake
   * deducts nothing before the verdict, which is a simplification of Razorpay's phases.
   */
  setDisputeStatus(id: string, status: RazorpayFakeDisputeStatus): void {
    assertOneOf(DISPUTE_STATUSES, status, 'dispute status');
    const dispute = this.disputes.get(id);
    if (!dispute) throw new Error(`RazorpayFake: no dispute ${id}`);
    dispute.status = status;
    dispute.amount_deducted = status === 'lost' ? dispute.amount : 0;
  }

  /**
   * A subscription to `planId`; returns its id. Once past `created`/`authenticated` it has been
   * charged once, for the current cycle of `periodSeconds` (30 days unless told).
   */
  createSubscription(options: {
    planId: string;
    notes?: Record<string, string>;
    status?: RazorpayFakeSubscriptionStatus;
    customerId?: string;
    periodSeconds?: number;
    totalCount?: number;
  }): string {
    const status = options.status ?? 'active';
    assertOneOf(SUBSCRIPTION_STATUSES, status, 'subscription status');
    const periodSeconds = options.periodSeconds ?? DEFAULT_SUBSCRIPTION_PERIOD_SECONDS;
    if (!Number.isSafeInteger(periodSeconds) || periodSeconds <= 0) throw new Error(`RazorpayFake: ${periodSeconds} is not a positive whole number of seconds`);
    const totalCount = options.totalCount ?? DEFAULT_SUBSCRIPTION_TOTAL_COUNT;
    if (!Number.isSafeInteger(totalCount) || totalCount <= 0) throw new Error(`RazorpayFake: ${totalCount} is not a positive number of billing cycles`);
    const now = nowSeconds();
    // Every subscription bills a plan: one the test names without making it is a plan made elsewhere.
    if (!this.plans.has(options.planId)) {
      remember(this.plans, options.planId, { ...this.barePlan(now), id: options.planId }, MAX_PLANS);
    }
    const started = status !== 'created' && status !== 'authenticated';
    const paidCount = started ? 1 : 0;
    const ended = FINAL_SUBSCRIPTION_STATUSES.has(status);
    const subscription: RazorpayFakeSubscription = {
      id: newId('sub'),
      entity: 'subscription',
      plan_id: options.planId,
      customer_id: options.customerId ?? null,
      status,
      current_start: started ? now : null,
      current_end: started ? now + periodSeconds : null,
      ended_at: ended ? now : null,
      quantity: 1,
      notes: options.notes && Object.keys(options.notes).length > 0 ? { ...options.notes } : [],
      charge_at: ended ? null : started ? now + periodSeconds : now,
      start_at: now,
      end_at: now + periodSeconds * totalCount,
      auth_attempts: 0,
      total_count: totalCount,
      paid_count: paidCount,
      remaining_count: totalCount - paidCount,
      customer_notify: true,
      created_at: now,
      expire_by: null,
      short_url: `https://rzp.io/i/${randomBytes(6).toString('base64url').replace(/[-_]/g, 'x')}`,
      has_scheduled_changes: false,
      change_scheduled_at: null,
      source: 'api',
      payment_method: started ? 'upi' : null,
      offer_id: null,
    };
    remember(this.subscriptions, subscription.id, { entity: subscription, periodSeconds, cancelAtCycleEnd: false, scheduledPlanId: null }, MAX_SUBSCRIPTIONS);
    return subscription.id;
  }

  private barePlan(now: number): RazorpayFakePlan {
    return {
      id: newId('plan'),
      entity: 'plan',
      period: 'monthly',
      interval: 1,
      item: { id: newId('item'), active: true, name: 'A plan', description: null, amount: 100_000, unit_amount: 100_000, currency: 'INR', type: 'plan', created_at: now, updated_at: now },
      notes: [],
      created_at: now,
    };
  }

  plan(id: string): RazorpayFakePlan | null {
    return this.plans.get(id) ?? null;
  }

  /** The subscription's invoices, oldest first. */
  invoicesOf(subscriptionId: string): RazorpayFakeInvoice[] {
    return [...this.invoices.values()].filter((invoice) => invoice.subscription_id === subscriptionId);
  }

  /**
   * The customer authorised a `created` subscription on Standard Checkout with `method` (card unless
   * told): its first cycle is charged at once (active, one paid invoice) and what Checkout posts to
   * the callback is returned, signed with the key secret as Razorpay signs it.
   */
  authorizeSubscription(id: string, method: 'card' | 'upi' = 'card'): RazorpayCheckoutResult {
    const held = this.liveSubscription(id);
    const subscription = held.entity;
    if (subscription.status !== 'created') throw new Error(`RazorpayFake: subscription ${id} is ${subscription.status}, not awaiting authorisation`);
    subscription.customer_id ??= newId('cust');
    subscription.payment_method = method;
    subscription.auth_attempts = 0;
    const paymentId = this.chargeCycle(held, nowSeconds());
    return { razorpay_payment_id: paymentId, razorpay_subscription_id: id, razorpay_signature: this.checkoutSignature(paymentId, id) };
  }

  /** HMAC-SHA256 hex of `payment_id|subscription_id` with the key secret: what Checkout's callback carries. */
  checkoutSignature(paymentId: string, subscriptionId: string): string {
    return createHmac('sha256', this.keySecret).update(`${paymentId}|${subscriptionId}`).digest('hex');
  }

  /** Razorpay moved the subscription to `status` (pending, then halted, after failed charges; cancelled). An ended one stays ended. */
  setSubscriptionStatus(id: string, status: RazorpayFakeSubscriptionStatus): void {
    assertOneOf(SUBSCRIPTION_STATUSES, status, 'subscription status');
    const subscription = this.liveSubscription(id).entity;
    subscription.status = status;
    if (FINAL_SUBSCRIPTION_STATUSES.has(status)) {
      subscription.ended_at = nowSeconds();
      subscription.charge_at = null;
    }
  }

  /**
   * The next cycle came due: a subscription cancelled at the end of its cycle is cancelled instead;
   * otherwise a scheduled plan change takes effect and the cycle is charged: paid_count rises, the
   * period moves forward by one cycle, a paid invoice and its payment are made (for a plan the fake
   * holds) and the subscription is active (completed once its last cycle is paid).
   */
  chargeSubscription(id: string): void {
    const held = this.liveSubscription(id);
    const subscription = held.entity;
    if (held.cancelAtCycleEnd) {
      Object.assign(subscription, { status: 'cancelled', ended_at: subscription.current_end ?? nowSeconds(), charge_at: null });
      return;
    }
    if (subscription.remaining_count <= 0) throw new Error(`RazorpayFake: subscription ${id} has no cycles left to charge`);
    if (held.scheduledPlanId) {
      this.movePlan(held, held.scheduledPlanId);
      held.scheduledPlanId = null;
      Object.assign(subscription, { has_scheduled_changes: false, change_scheduled_at: null });
    }
    this.chargeCycle(held, subscription.current_end ?? nowSeconds());
  }

  /** Charges one cycle starting at `start`; returns the payment's id (empty for a plan the fake does not hold). */
  private chargeCycle(held: HeldSubscription, start: number): string {
    const subscription = held.entity;
    subscription.current_start = start;
    subscription.current_end = start + held.periodSeconds;
    subscription.paid_count += 1;
    subscription.remaining_count -= 1;
    subscription.payment_method ??= 'upi';
    if (subscription.remaining_count === 0) {
      Object.assign(subscription, { status: 'completed', ended_at: nowSeconds(), charge_at: null });
    } else {
      Object.assign(subscription, { status: 'active', charge_at: subscription.current_end });
    }
    const plan = this.plans.get(subscription.plan_id);
    return plan ? this.invoice(subscription, plan.item.amount, start, subscription.current_end) : '';
  }

  /** A paid invoice of the subscription for `amount`, with its captured payment; returns the payment id. */
  private invoice(subscription: RazorpayFakeSubscription, amount: number, billingStart: number, billingEnd: number): string {
    const now = nowSeconds();
    const paymentId = this.storePayment({ amountPaise: amount, currency: 'INR', description: null, notes: Array.isArray(subscription.notes) ? null : subscription.notes, now });
    const invoice: RazorpayFakeInvoice = {
      id: newId('inv'),
      entity: 'invoice',
      type: 'invoice',
      subscription_id: subscription.id,
      customer_id: subscription.customer_id,
      status: 'paid',
      amount,
      amount_paid: amount,
      currency: 'INR',
      payment_id: paymentId,
      short_url: `https://rzp.io/i/${randomBytes(6).toString('base64url').replace(/[-_]/g, 'x')}`,
      billing_start: billingStart,
      billing_end: billingEnd,
      paid_at: now,
      created_at: now,
    };
    remember(this.invoices, invoice.id, invoice, MAX_INVOICES);
    return paymentId;
  }

  private movePlan(held: HeldSubscription, planId: string): void {
    const plan = this.plans.get(planId);
    if (!plan) throw new Error(`RazorpayFake: no plan ${planId}`);
    held.entity.plan_id = planId;
    held.periodSeconds = PERIOD_SECONDS[plan.period] * plan.interval;
  }

  /** The transfer settled, failed (with Razorpay's error filled in) or was reversed in full. */
  setTransferStatus(id: string, status: 'processed' | 'failed' | 'reversed'): void {
    const transfer = this.transfersById.get(id);
    if (!transfer) throw new Error(`RazorpayFake: no transfer ${id}`);
    transfer.status = status;
    if (status === 'processed') {
      transfer.processed_at ??= nowSeconds();
      transfer.error = { ...NO_TRANSFER_ERROR };
    } else if (status === 'failed') {
      transfer.processed_at = null;
      transfer.error = { ...FAILED_TRANSFER_ERROR };
    } else {
      transfer.amount_reversed = transfer.amount;
    }
  }

  /**
   * The JSON text of the webhook body Razorpay would POST for `event`, carrying a snapshot of each
   * named entity as it is now (later changes do not reach a body already built, as with Razorpay).
   */
  eventFor(event: string, entities: RazorpayFakeEventEntities, createdAt = new Date()): string {
    const named = Object.entries(entities).filter((entry): entry is [keyof RazorpayFakeEventEntities, string] => typeof entry[1] === 'string');
    const payload = Object.fromEntries(named.map(([name, id]) => [name, { entity: structuredClone(this.entityFor(name, id, event)) }]));
    return JSON.stringify({
      entity: 'event',
      account_id: PLATFORM_ACCOUNT_ID,
      event,
      contains: named.map(([name]) => name),
      payload,
      created_at: Math.floor(createdAt.getTime() / 1000),
    });
  }

  /**
   * A `product.route.*` webhook body about a linked account's Route product as it is now: the
   * product beside a `data` object carrying its requirements, sent on the linked account's behalf.
   */
  routeProductEventFor(event: string, accountId: string, createdAt = new Date()): string {
    if (!event.startsWith('product.route.')) throw new Error(`RazorpayFake: ${event} is not a product.route.* event`);
    const product = this.routeProductOf(accountId);
    return JSON.stringify({
      entity: 'event',
      account_id: accountId,
      event,
      contains: ['merchant_product'],
      payload: {
        merchant_product: {
          entity: { id: product.id, activation_status: product.activation_status, merchant_id: accountId },
          data: { requirements: structuredClone(product.requirements) },
        },
      },
      created_at: Math.floor(createdAt.getTime() / 1000),
    });
  }

  expireLink(id: string): void {
    const link = this.openLink(id);
    link.status = 'expired';
    link.expired_at = link.updated_at = nowSeconds();
  }

  cancelLink(id: string): void {
    const link = this.openLink(id);
    link.status = 'cancelled';
    link.cancelled_at = link.updated_at = nowSeconds();
  }

  /** The linked account, its stakeholders and its Route product, or null. */
  linkedAccount(id: string): RazorpayFakeRouteAccount | null {
    return this.routeAccounts.get(id) ?? null;
  }

  /** Every direct transfer made, oldest first. */
  transfers(): RazorpayFakeTransfer[] {
    return [...this.transfersById.values()];
  }

  /** Razorpay verified the bank account: the Route product is activated and can receive transfers. */
  verifyAccount(id: string): void {
    const product = this.routeProductOf(id);
    product.activation_status = 'activated';
    product.requirements = [];
  }

  /** Razorpay needs clarification, giving `reason` against `fieldReference`: transfers are refused. */
  restrictAccount(id: string, reason: string, fieldReference = 'settlements.account_number'): void {
    const product = this.routeProductOf(id);
    product.activation_status = 'needs_clarification';
    product.requirements = [
      { field_reference: fieldReference, resolution_url: `/accounts/${id}/products/${product.id}`, reason_code: 'needs_clarification', description: reason, status: 'required' },
    ];
  }

  /** Razorpay answers the next direct transfer with a 400 carrying `description` (an account restriction, a minimum). */
  refuseNextTransfer(description: string): void {
    this.transferRefusals.push(description);
  }

  /** The status new direct transfers are answered with (`processed` unless told). */
  answerTransfersAs(status: RazorpayFakeTransferStatus): void {
    this.transferAnswer = status;
  }

  private storePayment(fields: {
    amountPaise: number;
    currency: string;
    description: string | null;
    notes: Record<string, unknown> | null;
    email?: string | undefined;
    contact?: string | undefined;
    now: number;
  }): string {
    const { feePaise, taxPaise } = feeOf(fields.amountPaise);
    const payment: RazorpayFakePayment = {
      id: newId('pay'),
      entity: 'payment',
      amount: fields.amountPaise,
      currency: fields.currency,
      status: 'captured',
      order_id: null,
      invoice_id: null,
      international: false,
      method: 'upi',
      amount_refunded: 0,
      refund_status: null,
      captured: true,
      description: fields.description === '' ? null : fields.description,
      card_id: null,
      bank: null,
      wallet: null,
      vpa: 'success@razorpay',
      // Razorpay's own placeholders when a payer gave no email or phone.
      email: fields.email ?? 'void@razorpay.com',
      contact: fields.contact ?? '+919999999999',
      // Razorpay sends empty notes as [] (its PHP heritage).
      notes: fields.notes && Object.keys(fields.notes).length > 0 ? structuredClone(fields.notes) : [],
      fee: feePaise,
      tax: taxPaise,
      error_code: null,
      error_description: null,
      error_source: null,
      error_step: null,
      error_reason: null,
      acquirer_data: { rrn: String(randomBytes(5).readUIntBE(0, 5) % 1e12).padStart(12, '0'), upi_transaction_id: randomBytes(16).toString('hex').toUpperCase() },
      created_at: fields.now,
    };
    remember(this.payments, payment.id, payment, MAX_PAYMENTS);
    return payment.id;
  }

  private existingPayment(id: string): RazorpayFakePayment {
    const payment = this.payments.get(id);
    if (!payment) throw new Error(`RazorpayFake: no payment ${id}`);
    return payment;
  }

  /** A subscription a helper may still change: Razorpay never revives one that ended. */
  private liveSubscription(id: string): HeldSubscription {
    const held = this.subscriptions.get(id);
    if (!held) throw new Error(`RazorpayFake: no subscription ${id}`);
    if (FINAL_SUBSCRIPTION_STATUSES.has(held.entity.status)) throw new Error(`RazorpayFake: subscription ${id} is ${held.entity.status}; Razorpay does not change an ended subscription`);
    return held;
  }

  private entityFor(name: keyof RazorpayFakeEventEntities, id: string, event: string): object {
    const entity =
      name === 'payment_link' ? this.links.get(id)
      : name === 'payment' ? this.payments.get(id)
      : name === 'refund' ? this.refunds.get(id)
      : name === 'dispute' ? this.disputes.get(id)
      : name === 'transfer' ? this.transfersById.get(id)
      : name === 'subscription' ? this.subscriptions.get(id)?.entity
      : undefined;
    if (!entity) throw new Error(`RazorpayFake: no ${name} ${id} for a ${event} event`);
    return entity;
  }

  private routeProductOf(id: string): RazorpayFakeProduct {
    const product = this.routeAccounts.get(id)?.product;
    if (!product) throw new Error(`RazorpayFake: no linked account ${id} with a Route product`);
    return product;
  }

  private openLink(id: string): RazorpayFakeLink {
    const link = this.links.get(id);
    if (!link || (link.status !== 'created' && link.status !== 'partially_paid')) throw new Error(`RazorpayFake: no open payment link ${id}`);
    return link;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.on('error', () => undefined);
    let rawBody: string;
    try {
      rawBody = await readBody(req);
    } catch {
      return send(res, 413, razorpayError({ status: 413, description: 'Request body too large' }));
    }
    const url = new URL(req.url ?? '/', 'http://razorpay.fake');
    const authorization = typeof req.headers.authorization === 'string' ? req.headers.authorization : null;
    let body: unknown = null;
    let malformed = false;
    if (rawBody.length > 0) {
      try {
        body = JSON.parse(rawBody);
      } catch {
        malformed = true;
      }
    }
    const idempotency = req.headers['x-transfer-idempotency'];
    const refundIdempotency = req.headers['x-refund-idempotency'];
    const request: RecordedRazorpayRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body,
      authorization,
      basicAuth: decodeBasic(authorization),
      idempotencyKey: typeof idempotency === 'string' ? idempotency : null,
      refundIdempotencyKey: typeof refundIdempotency === 'string' ? refundIdempotency : null,
    };
    this.requests.push(request);
    if (this.requests.length > MAX_RECORDED_REQUESTS) this.requests.shift();

    if (request.path === CHECKOUT_SCRIPT_PATH || request.path === CHECKOUT_AUTHORIZE_PATH) return this.checkoutRequest(request, req, res);
    if (request.basicAuth?.username !== this.keyId || request.basicAuth.password !== this.keySecret) {
      return send(res, 401, razorpayError({ status: 401, description: 'Authentication failed' }));
    }
    const behaviour = this.next.shift();
    if (behaviour?.kind === 'hang') {
      this.held.add(res);
      return;
    }
    if (behaviour?.kind === 'fail') {
      if (behaviour.error.rawBody !== undefined) return send(res, behaviour.error.status, behaviour.error.rawBody);
      return send(res, behaviour.error.status, razorpayError(behaviour.error));
    }
    if (malformed) return send(res, 400, razorpayError({ status: 400, description: 'The request body is not valid JSON' }));

    const reply = this.route(request);
    send(res, reply.status, reply.json);
  }

  private route(request: RecordedRazorpayRequest): { status: number; json: unknown } {
    const segments = request.path.split('/').filter(Boolean).map(decodeURIComponent);
    if (segments[0] === 'v1' && segments[1] === 'payment_links') {
      if (request.method === 'POST' && segments.length === 2) return this.createLink(request.body);
      if (request.method === 'GET' && segments.length === 3) {
        const link = this.links.get(segments[2]!);
        return link ? { status: 200, json: link } : badRequest('The id provided does not exist');
      }
      if (request.method === 'POST' && segments.length === 4 && segments[3] === 'cancel') return this.cancelLinkRequest(segments[2]!);
    }
    if (segments[0] === 'v1' && segments[1] === 'payments' && request.method === 'POST' && segments.length === 4 && segments[3] === 'refund') {
      return this.refundRequest(segments[2]!, request);
    }
    if (segments[0] === 'v1' && segments[1] === 'plans') {
      if (request.method === 'POST' && segments.length === 2) return this.createPlan(request.body);
      // Razorpay lists newest first.
      if (request.method === 'GET' && segments.length === 2) return collection([...this.plans.values()].reverse(), request.query);
    }
    if (segments[0] === 'v1' && segments[1] === 'subscriptions') {
      if (request.method === 'POST' && segments.length === 2) return this.createSubscriptionRequest(request.body);
      const held = segments[2] === undefined ? undefined : this.subscriptions.get(segments[2]);
      if (request.method === 'POST' && segments.length === 4 && segments[3] === 'cancel') return held ? this.cancelSubscriptionRequest(held, request.body) : badRequest('The id provided does not exist');
      if (request.method === 'PATCH' && segments.length === 3) return held ? this.updateSubscriptionRequest(held, request.body) : badRequest('The id provided does not exist');
      if (request.method === 'GET' && segments.length === 4 && segments[3] === 'retrieve_scheduled_changes') {
        if (!held) return badRequest('The id provided does not exist');
        if (!held.scheduledPlanId) return badRequest('Subscription does not have any scheduled changes');
        return { status: 200, json: { ...held.entity, plan_id: held.scheduledPlanId } };
      }
    }
    if (segments[0] === 'v1' && segments[1] === 'invoices' && request.method === 'GET' && segments.length === 2) {
      const subscriptionId = request.query['subscription_id'];
      return collection([...this.invoices.values()].filter((invoice) => subscriptionId === undefined || invoice.subscription_id === subscriptionId).reverse(), request.query);
    }
    if (segments[0] === 'v1' && request.method === 'GET' && (segments.length === 3 || segments.length === 4)) {
      const found = this.fetchEntity(segments[1]!, segments[2]!, segments[3], request.query);
      if (found) return found;
    }
    if (segments[0] === 'v2' && segments[1] === 'accounts') return this.routeAccountRequest(request, segments.slice(2));
    if (segments[0] === 'v1' && segments[1] === 'transfers') {
      if (request.method === 'POST' && segments.length === 2) return this.createTransfer(request);
      if (request.method === 'GET' && segments.length === 3) {
        const transfer = this.transfersById.get(segments[2]!);
        return transfer ? { status: 200, json: transfer } : badRequest('The id provided does not exist');
      }
    }
    return { status: 404, json: razorpayError({ status: 404, description: 'The requested URL was not found on the server.' }) };
  }

  /**
   * `POST /v1/payment_links/:id/cancel`: Razorpay cancels only a link in the created state; a
   * partially paid, paid, expired or cancelled one is refused (the wording is the fake's own).
   */
  private cancelLinkRequest(id: string): { status: number; json: unknown } {
    const link = this.links.get(id);
    if (!link) return badRequest('The id provided does not exist');
    if (link.status !== 'created') return badRequest(`Payment Link cannot be cancelled as it is ${link.status}`);
    this.cancelLink(id);
    return { status: 200, json: link };
  }

  /**
   * `POST /v1/payments/:id/refund` (`amount`: all that is left, by default), with
   * `X-Refund-Idempotency`: the same key and body answer the refund made first; the same key with
   * another body is refused, as Razorpay documents.
   */
  private refundRequest(paymentId: string, request: RecordedRazorpayRequest): { status: number; json: unknown } {
    const body = request.body ?? {};
    if (!isObject(body)) return badRequest('The request body must be a JSON object');
    const key = request.refundIdempotencyKey ?? null;
    const bodyText = JSON.stringify({ paymentId, body });
    if (key !== null) {
      if (!REFUND_IDEMPOTENCY_KEY.test(key)) return badRequest('The idempotency key must be at least 10 letters, digits, hyphens or underscores', 'X-Refund-Idempotency');
      const earlier = this.refundKeys.get(key);
      if (earlier) {
        if (earlier.body !== bodyText) return badRequest('Different request with the same idempotency key has already been processed.');
        return { status: 200, json: this.refunds.get(earlier.refundId) };
      }
    }
    const payment = this.payments.get(paymentId);
    if (!payment) return badRequest('The id provided does not exist');
    if (payment.status !== 'captured' && payment.status !== 'refunded') return badRequest('Only captured payments can be refunded');
    const left = payment.amount - payment.amount_refunded;
    if (left === 0) return badRequest('The payment has been fully refunded already');
    const amount = body['amount'] === undefined ? left : body['amount'];
    if (typeof amount !== 'number' || !Number.isInteger(amount) || amount < 100) return badRequest('The amount must be atleast INR 1.00', 'amount');
    if (amount > left) return badRequest('The refund amount provided is greater than amount captured', 'amount');
    const speed = body['speed'];
    if (speed !== undefined && speed !== 'normal' && speed !== 'optimum') return badRequest('Invalid speed', 'speed');
    const notes = body['notes'];
    if (notes !== undefined && (!isObject(notes) || Object.keys(notes).length > MAX_NOTES)) {
      return badRequest(`Number of fields in notes should be less than or equal to ${MAX_NOTES}`, 'notes');
    }
    const refundId = this.refundPayment(paymentId, amount);
    const refund = this.refunds.get(refundId)!;
    if (isObject(notes) && Object.keys(notes).length > 0) refund.notes = structuredClone(notes);
    if (speed === 'optimum') refund.speed_requested = speed;
    if (key !== null) remember(this.refundKeys, key, { refundId, body: bodyText }, MAX_REFUNDS);
    return { status: 200, json: refund };
  }

  /** `GET /v1/<resource>/<id>[/<sub>]` for the entities a test makes; null for any other path. */
  private fetchEntity(resource: string, id: string, sub: string | undefined, query: Readonly<Record<string, string>>): { status: number; json: unknown } | null {
    const answer = (entity: unknown) => (entity ? { status: 200, json: entity } : badRequest('The id provided does not exist'));
    if (resource === 'payments' && sub === undefined) return answer(this.payments.get(id));
    if (resource === 'payments' && sub === 'refunds') {
      if (!this.payments.has(id)) return badRequest('The id provided does not exist');
      // Razorpay lists newest first.
      return collection([...this.refunds.values()].filter((refund) => refund.payment_id === id).reverse(), query);
    }
    if (sub !== undefined) return null;
    if (resource === 'refunds') return answer(this.refunds.get(id));
    if (resource === 'disputes') return answer(this.disputes.get(id));
    if (resource === 'subscriptions') return answer(this.subscriptions.get(id)?.entity);
    if (resource === 'plans') return answer(this.plans.get(id));
    return null;
  }

  private createPlan(body: unknown): { status: number; json: unknown } {
    if (!isObject(body)) return badRequest('The request body must be a JSON object');
    const period = body['period'];
    if (typeof period !== 'string' || !(period in PERIOD_SECONDS)) return badRequest('The period field is invalid.', 'period');
    const interval = body['interval'];
    if (!Number.isSafeInteger(interval) || (interval as number) < 1) return badRequest('The interval must be at least 1.', 'interval');
    if (period === 'daily' && (interval as number) < 7) return badRequest('The interval must be at least 7 for daily plans.', 'interval');
    const item = body['item'];
    if (!isObject(item)) return badRequest('The item field is required.', 'item');
    if (typeof item['name'] !== 'string' || item['name'] === '') return badRequest('The name field is required.', 'item.name');
    const amount = item['amount'];
    if (!Number.isSafeInteger(amount) || (amount as number) < MIN_AMOUNT_PAISE) return badRequest(`The amount must be at least INR ${MIN_AMOUNT_PAISE / 100}.00`, 'item.amount');
    if (item['currency'] !== 'INR') return badRequest('The currency is invalid.', 'item.currency');
    const notes = body['notes'];
    if (notes !== undefined && (!isObject(notes) || Object.keys(notes).length > MAX_NOTES)) return badRequest(`Number of fields in notes should be less than or equal to ${MAX_NOTES}`, 'notes');
    const now = nowSeconds();
    const plan: RazorpayFakePlan = {
      id: newId('plan'),
      entity: 'plan',
      period: period as RazorpayFakePlanPeriod,
      interval: interval as number,
      item: {
        id: newId('item'),
        active: true,
        name: item['name'],
        description: typeof item['description'] === 'string' ? item['description'] : null,
        amount: amount as number,
        unit_amount: amount as number,
        currency: 'INR',
        type: 'plan',
        created_at: now,
        updated_at: now,
      },
      notes: isObject(notes) && Object.keys(notes).length > 0 ? notes : [],
      created_at: now,
    };
    remember(this.plans, plan.id, plan, MAX_PLANS);
    return { status: 200, json: plan };
  }

  /** `POST /v1/subscriptions`: a subscription awaiting the customer's authorisation on Checkout. */
  private createSubscriptionRequest(body: unknown): { status: number; json: unknown } {
    if (!isObject(body)) return badRequest('The request body must be a JSON object');
    const planId = body['plan_id'];
    if (typeof planId !== 'string' || planId === '') return badRequest('The plan id field is required.', 'plan_id');
    const plan = this.plans.get(planId);
    if (!plan) return badRequest('The id provided does not exist', 'plan_id');
    const totalCount = body['total_count'];
    if (totalCount === undefined) return badRequest('The total count field is required.', 'total_count');
    if (!Number.isSafeInteger(totalCount) || (totalCount as number) < 1) return badRequest('The total count must be at least 1.', 'total_count');
    const notes = body['notes'];
    if (notes !== undefined && (!isObject(notes) || Object.keys(notes).length > MAX_NOTES)) return badRequest(`Number of fields in notes should be less than or equal to ${MAX_NOTES}`, 'notes');
    const id = this.createSubscription({
      planId,
      status: 'created',
      periodSeconds: PERIOD_SECONDS[plan.period] * plan.interval,
      totalCount: totalCount as number,
      ...(isObject(notes) ? { notes: notes as Record<string, string> } : {}),
    });
    const subscription = this.subscriptions.get(id)!.entity;
    subscription.expire_by = typeof body['expire_by'] === 'number' ? body['expire_by'] : null;
    subscription.customer_notify = body['customer_notify'] !== 0 && body['customer_notify'] !== false;
    return { status: 200, json: subscription };
  }

  /** `POST /v1/subscriptions/:id/cancel`: at once, or (cancel_at_cycle_end: 1) when the current cycle ends. */
  private cancelSubscriptionRequest(held: HeldSubscription, body: unknown): { status: number; json: unknown } {
    const subscription = held.entity;
    if (FINAL_SUBSCRIPTION_STATUSES.has(subscription.status)) return badRequest(`Subscription is not cancellable in ${subscription.status} status.`, 'status');
    const atCycleEnd = isObject(body) && (body['cancel_at_cycle_end'] === 1 || body['cancel_at_cycle_end'] === true);
    if (atCycleEnd && subscription.status === 'active') held.cancelAtCycleEnd = true;
    else Object.assign(subscription, { status: 'cancelled', ended_at: nowSeconds(), charge_at: null });
    return { status: 200, json: subscription };
  }

  /**
   * `PATCH /v1/subscriptions/:id` to another plan, `now` (the default: the new plan's cycle starts
   * at once and the difference to what is left of the paid cycle is charged) or at `cycle_end`.
   * Razorpay refuses to update a subscription paid through UPI, and one that is not active.
   */
  private updateSubscriptionRequest(held: HeldSubscription, body: unknown): { status: number; json: unknown } {
    const subscription = held.entity;
    if (!isObject(body)) return badRequest('The request body must be a JSON object');
    if (subscription.status !== 'active') return badRequest(`Subscription can not be updated when it is in ${subscription.status} state`, 'status');
    if (subscription.payment_method === 'upi') return badRequest('subscriptions cannot be updated when payment mode is UPI');
    const planId = body['plan_id'];
    if (typeof planId !== 'string' || !this.plans.has(planId)) return badRequest('The id provided does not exist', 'plan_id');
    const when = body['schedule_change_at'] ?? 'now';
    if (when !== 'now' && when !== 'cycle_end') return badRequest('The selected schedule change at is invalid.', 'schedule_change_at');
    if (when === 'cycle_end') {
      held.scheduledPlanId = planId;
      Object.assign(subscription, { has_scheduled_changes: true, change_scheduled_at: subscription.current_end });
      return { status: 200, json: subscription };
    }
    const now = nowSeconds();
    const oldAmount = this.plans.get(subscription.plan_id)?.item.amount ?? 0;
    const unused = subscription.current_end && subscription.current_start && subscription.current_end > now
      ? Math.floor((oldAmount * (subscription.current_end - now)) / (subscription.current_end - subscription.current_start))
      : 0;
    this.movePlan(held, planId);
    subscription.current_start = now;
    subscription.current_end = now + held.periodSeconds;
    subscription.charge_at = subscription.current_end;
    const difference = this.plans.get(planId)!.item.amount - unused;
    if (difference >= MIN_AMOUNT_PAISE) this.invoice(subscription, difference, now, subscription.current_end);
    return { status: 200, json: subscription };
  }

  /**
   * Standard Checkout, as far as a browser test needs it: the script defines `Razorpay`, whose
   * `open()` shows a pay button and a cancel link; paying authorises the subscription here and,
   * with `redirect: true`, posts the signed result (or `error[…]` fields on cancel) to
   * `callback_url` as a form, as Razorpay's page does.
   */
  private checkoutRequest(request: RecordedRazorpayRequest, req: IncomingMessage, res: ServerResponse): void {
    const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'content-type' };
    if (request.method === 'OPTIONS') {
      res.writeHead(204, cors);
      res.end();
      return;
    }
    if (request.path === CHECKOUT_SCRIPT_PATH && request.method === 'GET') {
      const origin = `http://${req.headers.host ?? '127.0.0.1'}`;
      const script = checkoutScript(origin + CHECKOUT_AUTHORIZE_PATH);
      res.writeHead(200, { ...cors, 'content-type': 'application/javascript', 'content-length': Buffer.byteLength(script) });
      res.end(script);
      return;
    }
    const body = isObject(request.body) ? request.body : {};
    const held = typeof body['subscription_id'] === 'string' ? this.subscriptions.get(body['subscription_id']) : undefined;
    let reply: { status: number; json: unknown };
    if (request.method !== 'POST') reply = { status: 404, json: razorpayError({ status: 404, description: 'The requested URL was not found on the server.' }) };
    else if (body['key'] !== this.keyId) reply = { status: 401, json: razorpayError({ status: 401, description: 'The api key provided is invalid' }) };
    else if (!held || held.entity.status !== 'created') reply = badRequest('The subscription cannot be authorised');
    else reply = { status: 200, json: this.authorizeSubscription(held.entity.id, body['method'] === 'upi' ? 'upi' : 'card') };
    const text = JSON.stringify(reply.json);
    res.writeHead(reply.status, { ...cors, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  /** `/v2/accounts…`: `rest` is what follows `accounts`. */
  private routeAccountRequest(request: RecordedRazorpayRequest, rest: string[]): { status: number; json: unknown } {
    const { method } = request;
    if (method === 'POST' && rest.length === 0) return this.createLinkedAccount(request.body);
    const held = rest[0] === undefined ? undefined : this.routeAccounts.get(rest[0]);
    if (!held) return badRequest('Linked account does not exist', undefined, 'linked_account_id_does_not_exist');
    if (method === 'GET' && rest.length === 1) return { status: 200, json: held.account };
    if (method === 'POST' && rest.length === 2 && rest[1] === 'stakeholders') return this.createStakeholder(held, request.body);
    if (method === 'POST' && rest.length === 2 && rest[1] === 'products') return this.requestProduct(held, request.body);
    if (rest.length === 3 && rest[1] === 'products') {
      const product = held.product;
      if (!product || product.id !== rest[2]) return badRequest("The provided product config id doesn't exist for the merchant");
      if (method === 'GET') return { status: 200, json: product };
      if (method === 'PATCH') return this.updateProduct(product, request.body);
    }
    return { status: 404, json: razorpayError({ status: 404, description: 'The requested URL was not found on the server.' }) };
  }

  /**
   * Checks what Route documents as mandatory, except `profile.addresses.registered`: the
   * service's payout profile has no address to send (a known gap, left visible rather than
   * papered over with a made-up address).
   */
  private createLinkedAccount(body: unknown): { status: number; json: unknown } {
    if (!isObject(body)) return badRequest('The request body must be a JSON object');
    const email = body['email'];
    if (typeof email !== 'string' || email === '') return badRequest('The email field is required.', 'email');
    if (!/^[^@\s]+@[^@\s]+$/.test(email)) return badRequest('The email must be a valid email address.', 'email');
    const phone = body['phone'];
    if (phone === undefined || phone === '') return badRequest('The phone field is required.', 'phone');
    if (!/^\+?\d{8,15}$/.test(String(phone))) return badRequest('The phone must be between 8 and 15 digits.', 'phone');
    if (body['type'] !== 'route') return badRequest(`Invalid type: ${String(body['type'])}`, 'type');
    const name = body['legal_business_name'];
    if (typeof name !== 'string' || name.length < 4 || name.length > 200) {
      return badRequest('The legal business name must be between 4 and 200 characters.', 'legal_business_name');
    }
    const businessType = body['business_type'];
    if (typeof businessType !== 'string' || !BUSINESS_TYPES.has(businessType)) return badRequest(`Invalid business type: ${String(businessType)}`, 'business_type');
    const contactName = body['contact_name'];
    if (contactName !== undefined && (typeof contactName !== 'string' || contactName.length < 4 || contactName.length > 255)) {
      return badRequest('The contact name must be between 4 and 255 characters.', 'contact_name');
    }
    const profile = body['profile'];
    if (!isObject(profile)) return badRequest('The profile field is required.', 'profile');
    for (const field of ['category', 'subcategory']) {
      if (typeof profile[field] !== 'string' || profile[field] === '') return badRequest(`The ${field} field is required.`, `profile.${field}`);
    }
    const reference = body['reference_id'];
    if (reference !== undefined) {
      if (typeof reference !== 'string' || reference.length < 3) return badRequest('The code must be at least 3 characters.', 'reference_id');
      if (reference.length > 20) return badRequest('The code may not be greater than 20 characters.', 'reference_id');
      if (!/^[A-Za-z0-9]+$/.test(reference)) return badRequest('The code format is invalid.', 'reference_id');
    }
    const notes = body['notes'];
    if (notes !== undefined && (!isObject(notes) || Object.keys(notes).length > MAX_NOTES)) {
      return badRequest(`Number of fields in notes should be less than or equal to ${MAX_NOTES}`, 'notes');
    }
    const account: RazorpayFakeLinkedAccount = {
      id: newId('acc'),
      type: 'route',
      status: 'created',
      email,
      phone: String(phone),
      reference_id: typeof reference === 'string' ? reference : null,
      business_type: businessType,
      legal_business_name: name,
      customer_facing_business_name: name,
      contact_name: typeof contactName === 'string' ? contactName : null,
      profile,
      notes: isObject(notes) ? notes : [],
      created_at: nowSeconds(),
    };
    if (this.routeAccounts.size >= MAX_LINKED_ACCOUNTS) this.routeAccounts.delete(this.routeAccounts.keys().next().value!);
    this.routeAccounts.set(account.id, { account, stakeholders: [], product: null });
    return { status: 200, json: account };
  }

  private createStakeholder(held: RazorpayFakeRouteAccount, body: unknown): { status: number; json: unknown } {
    if (!isObject(body)) return badRequest('The request body must be a JSON object');
    const name = body['name'];
    if (typeof name !== 'string' || name === '') return badRequest('The name field is required.', 'name');
    if (name.length > 255) return badRequest('The name may not be greater than 255 characters.', 'name');
    const email = body['email'];
    const stakeholder: RazorpayFakeStakeholder = {
      entity: 'stakeholder',
      id: newId('sth'),
      name,
      email: typeof email === 'string' ? email : null,
      notes: isObject(body['notes']) ? body['notes'] : [],
    };
    held.stakeholders.push(stakeholder);
    return { status: 200, json: stakeholder };
  }

  /** A new Route product needs the bank account before Razorpay reviews it, as Razorpay's own answer shows. */
  private requestProduct(held: RazorpayFakeRouteAccount, body: unknown): { status: number; json: unknown } {
    if (!isObject(body)) return badRequest('The request body must be a JSON object');
    if (body['product_name'] !== 'route') return badRequest(`Invalid product name: ${String(body['product_name'])}`, 'product_name');
    // The wording is the fake's own: Razorpay's answer to a second request is not documented.
    if (held.product) return badRequest('The route product has already been requested for this account', 'product_name');
    const id = newId('acc_prd');
    const accepted = body['tnc_accepted'] === true;
    held.product = {
      requested_configuration: [],
      active_configuration: { settlements: { account_number: null, ifsc_code: null, beneficiary_name: null } },
      requirements: SETTLEMENT_FIELDS.map((field) => ({
        field_reference: field,
        resolution_url: `/accounts/${held.account.id}/products/${id}`,
        reason_code: 'field_missing',
        status: 'required' as const,
      })),
      tnc: { id: newId('tnc'), accepted, accepted_at: accepted ? nowSeconds() : null },
      id,
      product_name: 'route',
      activation_status: 'needs_clarification',
      account_id: held.account.id,
      requested_at: nowSeconds(),
    };
    return { status: 200, json: held.product };
  }

  /** New bank details go to review; the same details again leave the product as it is. */
  private updateProduct(product: RazorpayFakeProduct, body: unknown): { status: number; json: unknown } {
    if (!isObject(body)) return badRequest('The request body must be a JSON object');
    if (body['tnc_accepted'] === true && !product.tnc.accepted) product.tnc = { ...product.tnc, accepted: true, accepted_at: nowSeconds() };
    const settlements = body['settlements'];
    if (settlements === undefined) return { status: 200, json: product };
    if (!isObject(settlements)) return badRequest('The settlements must be an object.', 'settlements');
    const accountNumber = settlements['account_number'];
    if (typeof accountNumber !== 'string' || accountNumber.length < 5 || accountNumber.length > 35) {
      return badRequest('The bank account number must be between 5 and 35 characters', 'settlements.account_number');
    }
    const ifsc = settlements['ifsc_code'];
    if (typeof ifsc !== 'string' || !IFSC.test(ifsc)) return badRequest('Invalid IFSC Code', 'settlements.ifsc_code');
    const beneficiary = settlements['beneficiary_name'];
    if (typeof beneficiary !== 'string' || beneficiary === '') return badRequest('The beneficiary name field is required.', 'settlements.beneficiary_name');
    if (!/^[A-Za-z0-9 ]+$/.test(beneficiary)) return badRequest('The name may only contain alphabets, digits and spaces', 'settlements.beneficiary_name');
    const next = { account_number: accountNumber, ifsc_code: ifsc, beneficiary_name: beneficiary };
    const current = product.active_configuration.settlements;
    const unchanged = current.account_number === next.account_number && current.ifsc_code === next.ifsc_code && current.beneficiary_name === next.beneficiary_name;
    if (!unchanged) {
      product.active_configuration = { settlements: next };
      product.requirements = [];
      product.activation_status = 'under_review';
    }
    return { status: 200, json: product };
  }

  /**
   * A direct transfer. With `X-Transfer-Idempotency`, the same key and body answer with the first
   * transfer again; the same key with another body is refused, as Razorpay documents.
   */
  private createTransfer(request: RecordedRazorpayRequest): { status: number; json: unknown } {
    const body = request.body;
    if (!isObject(body)) return badRequest('The request body must be a JSON object');
    const key = request.idempotencyKey;
    if (key !== null) {
      if (!IDEMPOTENCY_KEY.test(key)) return badRequest('The idempotency key must be 4 to 36 letters, digits, hyphens, underscores or spaces', 'X-Transfer-Idempotency');
      const earlier = this.transferKeys.get(key);
      if (earlier) {
        if (earlier.body !== JSON.stringify(body)) return badRequest('Different request body sent for the same idempotency key', 'X-Transfer-Idempotency');
        const transfer = this.transfersById.get(earlier.transferId);
        if (transfer) return { status: 200, json: transfer };
      }
    }
    const refusal = this.transferRefusals.shift();
    if (refusal !== undefined) return badRequest(refusal, undefined, 'transfer_failed');
    const amount = body['amount'];
    if (amount === undefined) return badRequest('The amount field is required.', 'amount');
    if (typeof amount !== 'number' || !Number.isInteger(amount)) return badRequest('The amount must be an integer.', 'amount');
    if (amount < 100) return badRequest('The amount must be atleast INR 1.00', 'amount');
    if (body['currency'] !== 'INR') return badRequest('The currency should be INR', 'currency');
    const notes = body['notes'];
    if (notes !== undefined && (!isObject(notes) || Object.keys(notes).length > MAX_NOTES)) {
      return badRequest(`Number of fields in notes should be less than or equal to ${MAX_NOTES}`, 'notes');
    }
    const accountId = body['account'];
    if (typeof accountId !== 'string' || accountId === '') return badRequest('The account field is required.', 'account');
    const held = this.routeAccounts.get(accountId);
    if (!held) return badRequest('Linked account does not exist', 'account', 'linked_account_id_does_not_exist');
    if (held.account.status === 'suspended' || held.product?.activation_status !== 'activated') {
      return badRequest('Linked account is not activated', 'account', 'linked_account_not_activated');
    }

    const now = nowSeconds();
    const status = this.transferAnswer;
    const transfer: RazorpayFakeTransfer = {
      id: newId('trf'),
      entity: 'transfer',
      status,
      source: PLATFORM_ACCOUNT_ID,
      recipient: accountId,
      amount,
      currency: 'INR',
      amount_reversed: 0,
      fees: 0,
      tax: 0,
      notes: isObject(notes) ? notes : [],
      linked_account_notes: [],
      on_hold: false,
      on_hold_until: null,
      recipient_settlement_id: null,
      created_at: now,
      processed_at: status === 'processed' ? now : null,
      error: { ...(status === 'failed' ? FAILED_TRANSFER_ERROR : NO_TRANSFER_ERROR) },
    };
    if (this.transfersById.size >= MAX_TRANSFERS) {
      const oldest = this.transfersById.keys().next().value!;
      this.transfersById.delete(oldest);
      for (const [k, made] of this.transferKeys) if (made.transferId === oldest) this.transferKeys.delete(k);
    }
    this.transfersById.set(transfer.id, transfer);
    if (key !== null) this.transferKeys.set(key, { transferId: transfer.id, body: JSON.stringify(body) });
    return { status: 200, json: transfer };
  }

  private createLink(body: unknown): { status: number; json: unknown } {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return badRequest('The request body must be a JSON object');
    const params = body as Record<string, unknown>;
    const amount = params['amount'];
    if (amount === undefined) return badRequest('The amount field is required.', 'amount');
    if (typeof amount !== 'number' || !Number.isInteger(amount)) return badRequest('The amount must be an integer.', 'amount');
    if (amount < 100) return badRequest('The amount must be atleast INR 1.00', 'amount');
    const currency = params['currency'] ?? 'INR';
    if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) return badRequest('The currency is invalid.', 'currency');
    const reference = params['reference_id'];
    if (reference !== undefined && (typeof reference !== 'string' || reference.length > MAX_REFERENCE_LENGTH)) {
      return badRequest(`The reference id may not be greater than ${MAX_REFERENCE_LENGTH} characters.`, 'reference_id');
    }
    if (typeof reference === 'string' && this.references.has(reference)) {
      return badRequest(`Payment Link with reference id ${reference} already exists`, 'reference_id');
    }
    const callbackUrl = params['callback_url'];
    const callbackMethod = params['callback_method'];
    if (callbackUrl !== undefined) {
      if (typeof callbackUrl !== 'string' || !URL.canParse(callbackUrl)) return badRequest('The callback url format is invalid.', 'callback_url');
      if (callbackMethod !== 'get') return badRequest('callback_method must be get when a callback_url is given', 'callback_method');
    }
    const notes = params['notes'];
    if (notes !== undefined && notes !== null) {
      if (typeof notes !== 'object' || Array.isArray(notes)) return badRequest('The notes must be an object.', 'notes');
      if (Object.keys(notes).length > MAX_NOTES) return badRequest(`Number of fields in notes should be less than or equal to ${MAX_NOTES}`, 'notes');
    }

    const now = nowSeconds();
    const link: RazorpayFakeLink = {
      id: newId('plink'),
      short_url: `https://rzp.io/i/${randomBytes(6).toString('base64url').replace(/[-_]/g, 'x')}`,
      status: 'created',
      amount,
      amount_paid: 0,
      currency,
      accept_partial: params['accept_partial'] === true,
      first_min_partial_amount: typeof params['first_min_partial_amount'] === 'number' ? params['first_min_partial_amount'] : 0,
      reference_id: typeof reference === 'string' ? reference : '',
      description: typeof params['description'] === 'string' ? params['description'] : '',
      customer: (params['customer'] as Record<string, unknown> | undefined) ?? {},
      notes: (notes as Record<string, unknown> | undefined) ?? null,
      notify: { email: false, sms: false },
      reminder_enable: false,
      reminders: [],
      callback_url: typeof callbackUrl === 'string' ? callbackUrl : '',
      callback_method: typeof callbackMethod === 'string' ? callbackMethod : '',
      payments: null,
      upi_link: false,
      user_id: '',
      expire_by: typeof params['expire_by'] === 'number' ? params['expire_by'] : 0,
      expired_at: 0,
      cancelled_at: 0,
      created_at: now,
      updated_at: now,
    };
    if (this.links.size >= MAX_LINKS) {
      const oldest = this.links.values().next().value!;
      this.links.delete(oldest.id);
      this.references.delete(oldest.reference_id);
    }
    this.links.set(link.id, link);
    if (link.reference_id) this.references.set(link.reference_id, link.id);
    return { status: 200, json: link };
  }
}

function razorpayError(error: RazorpayFakeError): unknown {
  return {
    error: {
      code: error.code ?? (error.status >= 500 ? 'SERVER_ERROR' : 'BAD_REQUEST_ERROR'),
      description: error.description ?? 'The server encountered an error. The incident has been reported to admins.',
      source: error.status >= 500 ? 'NA' : 'business',
      step: error.status >= 500 ? 'NA' : 'payment_initiation',
      reason: error.status >= 500 ? 'NA' : (error.reason ?? 'input_validation_failed'),
      metadata: {},
      ...(error.field ? { field: error.field } : {}),
    },
  };
}

function badRequest(description: string, field?: string, reason?: string): { status: number; json: unknown } {
  return { status: 400, json: razorpayError({ status: 400, description, ...(field ? { field } : {}), ...(reason ? { reason } : {}) }) };
}

/** A page of `items` as Razorpay's `{"entity":"collection"}`, honouring `count` and `skip`. */
function collection(items: readonly unknown[], query: Readonly<Record<string, string>>): { status: number; json: unknown } {
  const count = query['count'] === undefined ? DEFAULT_COLLECTION_COUNT : Number(query['count']);
  if (!Number.isInteger(count) || count < 1 || count > MAX_COLLECTION_COUNT) return badRequest(`The count must be between 1 and ${MAX_COLLECTION_COUNT}.`, 'count');
  const skip = query['skip'] === undefined ? 0 : Number(query['skip']);
  if (!Number.isInteger(skip) || skip < 0) return badRequest('The skip must be at least 0.', 'skip');
  const page = items.slice(skip, skip + count);
  return { status: 200, json: { entity: 'collection', count: page.length, items: page } };
}

/** Keeps at most `limit` entries, forgetting the oldest first. */
function remember<T>(store: Map<string, T>, id: string, value: T, limit: number): void {
  if (store.size >= limit && !store.has(id)) store.delete(store.keys().next().value!);
  store.set(id, value);
}

/** Razorpay's fee on a payment at FEE_BPS, with GST on top; `fee` is reported with the tax in it. */
function feeOf(amountPaise: number): { feePaise: number; taxPaise: number } {
  const beforeTaxPaise = Math.round((amountPaise * FEE_BPS) / 10_000);
  const taxPaise = Math.round((beforeTaxPaise * GST_PERCENT) / 100);
  return { feePaise: beforeTaxPaise + taxPaise, taxPaise };
}

function assertPositivePaise(amountPaise: number): void {
  if (!Number.isSafeInteger(amountPaise) || amountPaise <= 0) throw new Error(`RazorpayFake: ${amountPaise} is not a positive whole number of paise`);
}

function assertOneOf(allowed: ReadonlySet<string>, value: string, what: string): void {
  if (!allowed.has(value)) throw new Error(`RazorpayFake: ${value} is not a ${what} Razorpay uses (${[...allowed].join(', ')})`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed || res.writableEnded) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/html' : 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function decodeBasic(authorization: string | null): { username: string; password: string } | null {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(authorization ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
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

function newId(prefix: string): string {
  return `${prefix}_${randomBytes(10).toString('base64url').replace(/[-_]/g, 'x').slice(0, 14)}`;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** A subscription with what Razorpay keeps of it beyond the entity: the cycle's length and pending changes. */
interface HeldSubscription {
  entity: RazorpayFakeSubscription;
  periodSeconds: number;
  cancelAtCycleEnd: boolean;
  scheduledPlanId: string | null;
}

/** The stand-in for checkout.js: `authorizeUrl` is where paying authorises the subscription. */
function checkoutScript(authorizeUrl: string): string {
  return `(function () {
  function post(url, fields) {
    var form = document.createElement('form');
    form.method = 'POST';
    form.action = url;
    Object.keys(fields).forEach(function (name) {
      var input = document.createElement('input');
      input.type = 'hidden';
      input.name = name;
      input.value = fields[name];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
  }
  function Razorpay(options) { this.options = options; }
  Razorpay.prototype.open = function () {
    var options = this.options;
    if (document.getElementById('razorpay-checkout')) return;
    var frame = document.createElement('div');
    frame.id = 'razorpay-checkout';
    frame.innerHTML = '<p>Razorpay Checkout (test stand-in)</p><button id="razorpay-pay" type="button">Pay</button> <a id="razorpay-cancel" href="#">Cancel</a>';
    document.body.appendChild(frame);
    document.getElementById('razorpay-pay').onclick = function () {
      fetch(${JSON.stringify(authorizeUrl)}, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ key: options.key, subscription_id: options.subscription_id }) })
        .then(function (response) { return response.json(); })
        .then(function (result) {
          if (result.error) return post(options.callback_url, { 'error[code]': result.error.code, 'error[description]': result.error.description });
          if (options.redirect) post(options.callback_url, result); else options.handler(result);
        });
    };
    document.getElementById('razorpay-cancel').onclick = function (event) {
      event.preventDefault();
      post(options.callback_url, { 'error[code]': 'BAD_REQUEST_ERROR', 'error[description]': 'Payment processing cancelled by user', 'error[reason]': 'payment_cancelled' });
    };
  };
  window.Razorpay = Razorpay;
})();
`;
}
