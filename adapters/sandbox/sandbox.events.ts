import { createHmac } from 'node:crypto';
import type { Clock } from '../../application/shared/clock.port.ts';
import type { IdGenerator } from '../../application/shared/id-generator.port.ts';
import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { parseRouteAccountId } from '../razorpay/razorpay.payout-gateway.ts';
import {
  refundedMinor,
  type SandboxAccount,
  type SandboxCheckout,
  type SandboxDispute,
  type SandboxEvent,
  type SandboxPayment,
  type SandboxRefund,
  type SandboxStore,
  type SandboxSubscription,
  type SandboxTransfer,
} from './sandbox.store.ts';

/** What changed at the sandbox: each becomes the event (or events) its region's provider sends. */
export type SandboxChange =
  | { readonly kind: 'checkout'; readonly checkout: SandboxCheckout }
  | { readonly kind: 'subscription'; readonly what: 'created' | 'renewed' | 'renewal_failed' | 'updated' | 'ended'; readonly subscription: SandboxSubscription; readonly paymentId?: string }
  | { readonly kind: 'refund'; readonly payment: SandboxPayment; readonly refund: SandboxRefund }
  | { readonly kind: 'dispute'; readonly dispute: SandboxDispute }
  | { readonly kind: 'account'; readonly account: SandboxAccount }
  | { readonly kind: 'transfer'; readonly transfer: SandboxTransfer; readonly what: 'created' | 'updated' | 'reversed' };

/** Where each region's events go: this service's own webhook routes. */
export const SANDBOX_WEBHOOK_PATHS: Readonly<Record<PaymentGatewayName, string>> = {
  stripe: '/api/billing/webhook',
  razorpay: '/api/billing/webhook/razorpay',
};

/** Sends one signed delivery to this service and answers its HTTP status. */
export type SandboxDelivery = (path: string, headers: Record<string, string>, body: string) => Promise<number>;

/** How many undelivered events one run sends, and how long another process leaves them meanwhile (one that fails is let go at once). */
const DELIVERY_BATCH = 100;
const DELIVERY_LEASE_MS = 30_000;

/**
 * The events the sandbox sends for every change it makes, shaped as its region's provider shapes
 * them (Stripe's snapshot events, Razorpay's entity payloads) and signed with SANDBOX_WEBHOOK_SECRET
 * the way that provider signs, so they take the same route, checks, inbox and workers as real
 * deliveries. An event is stored with the change that caused it and sent after it commits; one
 * that is not acknowledged stays undelivered and is sent again on the next run.
 */
export class SandboxEvents {
  private readonly deps: Readonly<{
    store: SandboxStore;
    ids: IdGenerator;
    /** The sandbox's clock: when an event says it happened. */
    clock: Clock;
    /** The system's clock: a signature is checked against real time. */
    systemClock: Clock;
    secret: string | null;
  }>;
  private delivery: SandboxDelivery | null = null;

  constructor(deps: SandboxEvents['deps']) {
    this.deps = deps;
  }

  /** Where deliveries go: set once this service's routes exist. */
  connect(delivery: SandboxDelivery): void {
    this.delivery = delivery;
  }

  /** Stores the change's events, in the caller's transaction. */
  async record(change: SandboxChange): Promise<void> {
    const created = Math.floor(this.deps.clock.now().getTime() / 1000);
    const region = regionOf(change);
    for (const { type, body } of region === 'stripe' ? stripeEvents(change) : razorpayEvents(change)) {
      const id = region === 'stripe' ? `evt_sbx_${this.deps.ids.next()}` : `evt_sbx${this.deps.ids.next().replaceAll('-', '')}`;
      const event =
        region === 'stripe'
          ? { id, object: 'event', api_version: '2025-09-30.clover', created, livemode: false, type, data: { object: body } }
          : { entity: 'event', account_id: 'acc_sandbox', event: type, contains: Object.keys(body), payload: body, created_at: created };
      await this.deps.store.appendEvent({ id, region, type, body: JSON.stringify(event) });
    }
  }

  /** Sends what is undelivered, oldest first; answers how many were acknowledged. */
  async deliverPending(): Promise<number> {
    const { delivery } = this;
    if (!delivery || !this.deps.secret) return 0;
    let acknowledged = 0;
    for (let batch = await this.deps.store.takeUndelivered(DELIVERY_BATCH, DELIVERY_LEASE_MS); batch.length > 0; ) {
      const delivered: string[] = [];
      const failed: string[] = [];
      for (const event of batch) {
        const status = await delivery(SANDBOX_WEBHOOK_PATHS[event.region], this.sign(event), event.body).catch(() => 0);
        (status >= 200 && status < 300 ? delivered : failed).push(event.id);
      }
      await this.deps.store.markDelivered(delivered);
      await this.deps.store.release(failed);
      acknowledged += delivered.length;
      if (delivered.length < batch.length || batch.length < DELIVERY_BATCH) break;
      batch = await this.deps.store.takeUndelivered(DELIVERY_BATCH, DELIVERY_LEASE_MS);
    }
    return acknowledged;
  }

  private sign(event: SandboxEvent): Record<string, string> {
    const secret = this.deps.secret!;
    const hmac = (text: string) => createHmac('sha256', secret).update(text, 'utf8').digest('hex');
    if (event.region === 'razorpay') return { 'content-type': 'application/json', 'x-razorpay-signature': hmac(event.body), 'x-razorpay-event-id': event.id };
    const timestamp = Math.floor(this.deps.systemClock.now().getTime() / 1000);
    return { 'content-type': 'application/json', 'stripe-signature': `t=${timestamp},v1=${hmac(`${timestamp}.${event.body}`)}` };
  }
}

function regionOf(change: SandboxChange): PaymentGatewayName {
  switch (change.kind) {
    case 'checkout':
      return change.checkout.region;
    case 'subscription':
      return change.subscription.region;
    case 'refund':
      return change.payment.region;
    case 'dispute':
      return change.dispute.region;
    case 'account':
      return change.account.region;
    case 'transfer':
      return change.transfer.region;
  }
}

type Shaped = { readonly type: string; readonly body: Record<string, unknown> };

const seconds = (iso: string) => Math.floor(new Date(iso).getTime() / 1000);

function stripeEvents(change: SandboxChange): Shaped[] {
  switch (change.kind) {
    case 'checkout': {
      const { checkout } = change;
      const object = {
        id: checkout.id,
        object: 'checkout.session',
        mode: checkout.purpose === 'plan' ? 'subscription' : 'payment',
        status: checkout.status === 'paid' ? 'complete' : checkout.status,
        payment_status: checkout.status === 'paid' ? 'paid' : 'unpaid',
        amount_total: checkout.amount.amountMinor,
        currency: checkout.amount.currency.toLowerCase(),
        customer: checkout.customerId,
        subscription: checkout.status === 'paid' ? checkout.subscriptionId : null,
        payment_intent: checkout.paymentId,
        metadata: { checkout_session_id: checkout.sessionId },
      };
      return [{ type: checkout.status === 'paid' ? 'checkout.session.completed' : 'checkout.session.expired', body: object }];
    }
    case 'subscription': {
      const { subscription } = change;
      const object = {
        id: subscription.id,
        object: 'subscription',
        status: subscription.status,
        customer: subscription.customerId,
        cancel_at_period_end: subscription.cancelAtPeriodEnd,
        current_period_start: seconds(subscription.currentPeriodStart),
        current_period_end: seconds(subscription.currentPeriodEnd),
        metadata: {},
      };
      const invoice = (status: string) => ({
        id: `in_${change.paymentId ?? subscription.id}`,
        object: 'invoice',
        status,
        subscription: subscription.id,
        customer: subscription.customerId,
        amount_due: subscription.amount.amountMinor,
        currency: subscription.amount.currency.toLowerCase(),
      });
      switch (change.what) {
        case 'created':
          return [{ type: 'customer.subscription.created', body: object }];
        case 'renewed':
          return [{ type: 'invoice.paid', body: invoice('paid') }, { type: 'customer.subscription.updated', body: object }];
        case 'renewal_failed':
          return [{ type: 'invoice.payment_failed', body: invoice('open') }, { type: 'customer.subscription.updated', body: object }];
        case 'updated':
          // A plan change made now invoices its prorated difference at once, as Stripe's always_invoice does.
          return change.paymentId ? [{ type: 'invoice.paid', body: invoice('paid') }, { type: 'customer.subscription.updated', body: object }] : [{ type: 'customer.subscription.updated', body: object }];
        case 'ended':
          return [{ type: 'customer.subscription.deleted', body: object }];
      }
    }
    case 'refund': {
      const { payment, refund } = change;
      return [
        {
          type: 'charge.refunded',
          body: { id: `ch_${payment.id}`, object: 'charge', payment_intent: payment.id, amount: payment.amount.amountMinor, amount_refunded: refundedMinor(payment), refunds: { data: [{ id: refund.id, amount: refund.amountMinor }] } },
        },
      ];
    }
    case 'dispute': {
      const { dispute } = change;
      const object = { id: dispute.id, object: 'dispute', payment_intent: dispute.paymentId, charge: `ch_${dispute.paymentId}`, amount: dispute.amount.amountMinor, status: dispute.status === 'open' ? 'needs_response' : dispute.status };
      return [{ type: dispute.status === 'open' ? 'charge.dispute.created' : 'charge.dispute.closed', body: object }];
    }
    case 'account': {
      const { account } = change;
      return [{ type: 'account.updated', body: { id: account.id, object: 'account', charges_enabled: account.status === 'verified', payouts_enabled: account.status === 'verified' } }];
    }
    case 'transfer': {
      const { transfer } = change;
      const object = { id: transfer.id, object: 'transfer', amount: transfer.amount.amountMinor, amount_reversed: transfer.reversedMinor, currency: transfer.amount.currency.toLowerCase(), destination: transfer.accountId, reversed: transfer.status === 'failed', metadata: { payout_id: transfer.payoutId } };
      return [{ type: `transfer.${change.what}`, body: object }];
    }
  }
}

function razorpayEvents(change: SandboxChange): Shaped[] {
  const entity = (name: string, value: Record<string, unknown>) => ({ [name]: { entity: value } });
  switch (change.kind) {
    case 'checkout': {
      const { checkout } = change;
      const link = { id: checkout.id, entity: 'payment_link', status: checkout.status === 'paid' ? 'paid' : checkout.status === 'open' ? 'created' : checkout.status === 'canceled' ? 'cancelled' : 'expired', amount: checkout.amount.amountMinor, currency: checkout.amount.currency, reference_id: checkout.sessionId, notes: { checkout_session_id: checkout.sessionId } };
      if (checkout.status !== 'paid') return [{ type: `payment_link.${link.status}`, body: entity('payment_link', link) }];
      return [{ type: 'payment_link.paid', body: { ...entity('payment_link', link), ...entity('payment', { id: checkout.paymentId, entity: 'payment', amount: checkout.amount.amountMinor, currency: checkout.amount.currency, status: 'captured' }) } }];
    }
    case 'subscription': {
      const { subscription } = change;
      const status = subscription.status === 'past_due' ? 'pending' : subscription.status === 'canceled' ? 'cancelled' : 'active';
      const body = entity('subscription', { id: subscription.id, entity: 'subscription', status, customer_id: subscription.customerId, current_start: seconds(subscription.currentPeriodStart), current_end: seconds(subscription.currentPeriodEnd) });
      const type = { created: 'activated', renewed: 'charged', renewal_failed: 'pending', updated: 'updated', ended: 'cancelled' }[change.what];
      return [{ type: `subscription.${type}`, body: change.paymentId ? { ...body, ...entity('payment', { id: change.paymentId, entity: 'payment' }) } : body }];
    }
    case 'refund': {
      const { payment, refund } = change;
      return [{ type: 'refund.processed', body: { ...entity('refund', { id: refund.id, entity: 'refund', payment_id: payment.id, amount: refund.amountMinor, currency: payment.amount.currency, status: 'processed' }), ...entity('payment', { id: payment.id, entity: 'payment' }) } }];
    }
    case 'dispute': {
      const { dispute } = change;
      const type = dispute.status === 'open' ? 'created' : dispute.status;
      return [{ type: `payment.dispute.${type}`, body: { ...entity('dispute', { id: dispute.id, entity: 'dispute', payment_id: dispute.paymentId, amount: dispute.amount.amountMinor, currency: dispute.amount.currency, status: dispute.status }), ...entity('payment', { id: dispute.paymentId, entity: 'payment' }) } }];
    }
    case 'account': {
      const { accountId, productId } = parseRouteAccountId(change.account.id);
      const type = change.account.status === 'verified' ? 'activated' : change.account.status === 'restricted' ? 'needs_clarification' : 'under_review';
      return [{ type: `product.route.${type}`, body: entity('merchant_product', { id: productId, entity: 'merchant_product', merchant_id: accountId, activation_status: type }) }];
    }
    case 'transfer': {
      const { transfer } = change;
      const type = change.what === 'reversed' ? 'reversed' : transfer.status === 'failed' ? 'failed' : transfer.status === 'paid' ? 'processed' : null;
      if (!type) return [];
      return [{ type: `transfer.${type}`, body: entity('transfer', { id: transfer.id, entity: 'transfer', amount: transfer.amount.amountMinor, amount_reversed: transfer.reversedMinor, currency: transfer.amount.currency, recipient: transfer.accountId, notes: { payout_id: transfer.payoutId } }) }];
    }
  }
}
