import { invariant, restoring } from '../shared/errors.ts';
import type { FxSnapshot } from '../shared/fx-rate.value-object.ts';
import type { CheckoutSession, DepositReversal } from './checkout-session.entity.ts';
import { PAID_TIERS } from './plan-catalogue.ts';
import { BILLING_INTERVALS, isOneOf, PAYMENT_GATEWAY_NAMES, type BillingInterval, type PaidPlan, type PaidPlanTier, type PaymentGatewayName } from './plan.value-objects.ts';

export const INVOICE_KINDS = ['plan', 'renewal', 'deposit'] as const;
/** `plan`: the first payment of a plan checkout; `renewal`: a later payment of its subscription; `deposit`: a wallet deposit. */
export type InvoiceKind = (typeof INVOICE_KINDS)[number];

export const INVOICE_STATUSES = ['paid', 'partially_refunded', 'refunded', 'disputed'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

/** The longest provider id or receipt URL kept; a provider's are far shorter. */
export const MAX_PROVIDER_REFERENCE_LENGTH = 2_048;

/** One payment the provider took, as the provider reports it once it is applied here. */
export interface InvoicePayment {
  /** The provider's id of what was paid (a Stripe invoice or payment intent, a Razorpay or sandbox payment): unique per gateway. */
  readonly paymentId: string;
  readonly amountMinor: number;
  /** The ISO code the provider named, upper case: a receipt keeps what was taken, in whatever currency it was. */
  readonly currency: string;
  readonly receiptUrl: string | null;
  readonly periodStart: Date | null;
  readonly periodEnd: Date | null;
}

/** Everything an invoice holds, as it is stored. */
export interface InvoiceFields {
  readonly id: string;
  readonly userId: string;
  readonly gateway: PaymentGatewayName;
  readonly kind: InvoiceKind;
  readonly plan: PaidPlan | null;
  readonly payment: InvoicePayment;
  readonly fx: FxSnapshot | null;
  readonly checkoutSessionId: string | null;
  readonly status: InvoiceStatus;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/**
 * The record of one payment the service applied for a user, shown as their invoice or receipt:
 * the first payment of a plan checkout, each renewal of its subscription, each wallet deposit. It
 * is written in the unit of work that applies the payment, once per provider payment (the
 * repository keeps (gateway, paymentId) unique), so replays and concurrent paths record it once.
 * Only a deposit's status changes afterwards, following what its checkout session records of
 * refunds and disputes; a plan payment's refund is its subscription's business.
 */
export class Invoice {
  readonly id: string;
  readonly userId: string;
  readonly gateway: PaymentGatewayName;
  readonly kind: InvoiceKind;
  readonly tier: PaidPlanTier | null;
  readonly billingInterval: BillingInterval | null;
  readonly amountMinor: number;
  readonly currency: string;
  /** The rate the charge was converted at from US dollars, when it was (an INR checkout). */
  readonly fx: FxSnapshot | null;
  readonly periodStart: Date | null;
  readonly periodEnd: Date | null;
  readonly providerPaymentId: string;
  readonly receiptUrl: string | null;
  /** The checkout it completed; null for a renewal. */
  readonly checkoutSessionId: string | null;
  readonly createdAt: Date;
  private _status: InvoiceStatus;
  private _updatedAt: Date;

  private constructor(fields: InvoiceFields) {
    this.id = fields.id;
    this.userId = fields.userId;
    this.gateway = fields.gateway;
    this.kind = fields.kind;
    this.tier = fields.plan?.tier ?? null;
    this.billingInterval = fields.plan?.billingInterval ?? null;
    this.amountMinor = fields.payment.amountMinor;
    this.currency = fields.payment.currency;
    this.fx = fields.fx;
    this.periodStart = fields.payment.periodStart;
    this.periodEnd = fields.payment.periodEnd;
    this.providerPaymentId = fields.payment.paymentId;
    this.receiptUrl = fields.payment.receiptUrl;
    this.checkoutSessionId = fields.checkoutSessionId;
    this.createdAt = fields.createdAt;
    this._status = fields.status;
    this._updatedAt = fields.updatedAt;
  }

  /**
   * The payment that completed a checkout: a plan's first payment or a deposit, with the
   * checkout's plan and FX snapshot. A deposit starts with whatever its session already records
   * of reversals.
   */
  static forCheckout(input: { readonly id: string; readonly session: CheckoutSession; readonly payment: InvoicePayment; readonly now: Date }): Invoice {
    const { session } = input;
    invariant(session.status === 'completed', `checkout session ${session.id} is ${session.status}: only a completed checkout has an invoice`);
    const invoice = new Invoice({
      id: input.id,
      userId: session.userId,
      gateway: session.gateway,
      // A plan change completes through the plan change path; its proration is the subscription's payment.
      kind: session.purpose === 'deposit' ? 'deposit' : 'plan',
      plan: session.tier && session.billingInterval ? { tier: session.tier, billingInterval: session.billingInterval } : null,
      payment: input.payment,
      fx: input.payment.currency === session.currency ? session.fx : null,
      checkoutSessionId: session.id,
      status: session.purpose === 'deposit' ? statusAfter(session.depositReversal) : 'paid',
      createdAt: input.now,
      updatedAt: input.now,
    });
    invoice.assertInvariants();
    return invoice;
  }

  /** A later payment of a plan's subscription, on the plan it renews (null when neither the provider nor the account names one). */
  static forRenewal(input: {
    readonly id: string;
    readonly userId: string;
    readonly gateway: PaymentGatewayName;
    readonly plan: PaidPlan | null;
    readonly payment: InvoicePayment;
    readonly now: Date;
  }): Invoice {
    const invoice = new Invoice({ ...input, kind: 'renewal', fx: null, checkoutSessionId: null, status: 'paid', createdAt: input.now, updatedAt: input.now });
    invoice.assertInvariants();
    return invoice;
  }

  /** As it was stored; its invariants are checked again, since a row may break them (CorruptRecordError). */
  static restore(fields: InvoiceFields): Invoice {
    return restoring('Invoice', fields.id, () => {
      const invoice = new Invoice(fields);
      invoice.assertInvariants();
      return invoice;
    });
  }

  get status(): InvoiceStatus {
    return this._status;
  }
  get updatedAt(): Date {
    return this._updatedAt;
  }

  /** Follows what the deposit's session records of reversals now. Returns whether the status changed. */
  followReversal(reversal: DepositReversal, now: Date): boolean {
    invariant(this.kind === 'deposit', `invoice ${this.id} is a ${this.kind} payment: only a deposit follows its reversals`);
    const status = statusAfter(reversal);
    if (status === this._status) return false;
    this._status = status;
    this._updatedAt = now > this._updatedAt ? now : this._updatedAt;
    this.assertInvariants();
    return true;
  }

  assertInvariants(): void {
    invariant(this.id.length > 0 && this.userId.length > 0, 'an invoice needs an id and a user');
    invariant(isOneOf(PAYMENT_GATEWAY_NAMES, this.gateway), `unknown gateway ${this.gateway}`);
    invariant(isOneOf(INVOICE_KINDS, this.kind), `unknown invoice kind ${this.kind}`);
    invariant(isOneOf(INVOICE_STATUSES, this._status), `unknown invoice status ${this._status}`);
    invariant(Number.isSafeInteger(this.amountMinor) && this.amountMinor >= 0, `an invoice amount is a whole number of minor units, got ${this.amountMinor}`);
    invariant(/^[A-Z]{3}$/.test(this.currency), `an invoice currency is an upper-case ISO code, got ${this.currency}`);
    invariant(this.providerPaymentId.length > 0 && this.providerPaymentId.length <= MAX_PROVIDER_REFERENCE_LENGTH, 'an invoice names the provider payment');
    invariant(this.receiptUrl === null || (this.receiptUrl.length <= MAX_PROVIDER_REFERENCE_LENGTH && URL.canParse(this.receiptUrl)), 'a receipt URL is a URL');
    invariant((this.tier === null) === (this.billingInterval === null), 'an invoice names both its tier and interval, or neither');
    invariant(this.tier === null || (isOneOf(PAID_TIERS, this.tier) && isOneOf(BILLING_INTERVALS, this.billingInterval)), `unknown plan ${this.tier} ${this.billingInterval}`);
    if (this.kind === 'deposit') {
      invariant(this.tier === null && this.periodStart === null && this.periodEnd === null, 'a deposit pays for no plan or period');
    } else {
      invariant(this._status === 'paid', 'a plan payment stays paid here');
      if (this.kind === 'plan') invariant(this.tier !== null, 'a plan checkout names its plan');
    }
    invariant((this.kind === 'renewal') === (this.checkoutSessionId === null), 'exactly the renewals complete no checkout');
    invariant(!this.periodStart || !this.periodEnd || this.periodStart <= this.periodEnd, 'a period ends after it starts');
    invariant(this._updatedAt.getTime() >= this.createdAt.getTime(), 'updated before created');
  }
}

/** The one rule for a deposit's status: all of it refunded, or a dispute holding money, or part refunded. */
function statusAfter(reversal: DepositReversal): InvoiceStatus {
  if (reversal.refundedUsdCents > 0 && reversal.refundedUsdCents >= reversal.creditedUsdCents) return 'refunded';
  if (reversal.disputedUsdCents > 0) return 'disputed';
  if (reversal.refundedUsdCents > 0) return 'partially_refunded';
  return 'paid';
}
