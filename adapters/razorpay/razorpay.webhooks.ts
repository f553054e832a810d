import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ProviderEffect, ProviderEvent } from '../../application/webhooks/provider-event.ts';
import { CHECKOUT_PURPOSES } from '../../domain/billing/checkout-session.entity.ts';
import { BILLING_INTERVALS, isOneOf, PLAN_TIERS, type PlanStatus } from '../../domain/billing/plan.value-objects.ts';
import { InvalidInputError } from '../../domain/shared/errors.ts';
import { routeAccountId, routeProductState } from './razorpay.payout-gateway.ts';

const MAX_EVENT_ID_LENGTH = 255;

interface RazorpayEvent {
  event: string;
  created_at: number;
  /** The account the event is about: the linked account for a `product.route.*` event. */
  account_id?: unknown;
  /** `data` beside the entity carries a product event's requirements. */
  payload: Record<string, { entity: Record<string, unknown>; data?: unknown } | undefined>;
}

/**
 * Verifies `X-Razorpay-Signature` (HMAC-SHA256 hex of the raw body) in constant time, with every
 * configured secret so that events Razorpay retries with the old secret still verify during a
 * rotation, and translates the event into our terms. The SDK's own helper compares with `===`.
 */
export class RazorpayWebhooks {
  private readonly secrets: readonly string[];

  constructor(options: { secrets: readonly string[] }) {
    this.secrets = options.secrets;
  }

  parse(rawBody: string, signature: string | null, eventId: string | null): ProviderEvent {
    if (!signature) throw new InvalidInputError('x-razorpay-signature', 'missing X-Razorpay-Signature header');
    if (!this.verifies(rawBody, signature)) {
      throw new InvalidInputError('x-razorpay-signature', 'no signature matches the body with the configured secret');
    }
    if (!eventId || eventId.length > MAX_EVENT_ID_LENGTH) {
      throw new InvalidInputError('x-razorpay-event-id', 'missing X-Razorpay-Event-Id header');
    }
    let event: unknown;
    try {
      event = JSON.parse(rawBody);
    } catch {
      throw new InvalidInputError('body', 'the body is not JSON');
    }
    return { ...this.read(event, eventId), payloadJson: rawBody };
  }

  /** An event received and verified before, read again from what was stored. */
  read(payload: unknown, eventId: string): ProviderEvent {
    const event = payload as RazorpayEvent;
    if (typeof event?.event !== 'string' || typeof event.payload !== 'object' || event.payload === null) {
      throw new InvalidInputError('body', 'the body is not a Razorpay event');
    }
    return {
      provider: 'razorpay',
      eventId,
      type: event.event,
      occurredAt: new Date((Number(event.created_at) || 0) * 1000),
      effect: effectOf(event),
      payload: event,
    };
  }

  private verifies(rawBody: string, signature: string): boolean {
    const given = Buffer.from(signature, 'utf8');
    return this.secrets.some((secret) => {
      const expected = Buffer.from(createHmac('sha256', secret).update(rawBody, 'utf8').digest('hex'), 'utf8');
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
  }
}

function effectOf(event: RazorpayEvent): ProviderEffect {
  const entity = (name: string) => event.payload[name]?.entity ?? {};
  switch (event.event) {
    case 'payment_link.paid':
      return linkPaid(entity('payment_link'), entity('payment')['id']);
    case 'payment.captured': {
      const notes = (entity('payment')['notes'] ?? {}) as Record<string, string>;
      const payment = entity('payment');
      return notes['checkout_session_id'] ? linkPaid({ id: payment['id'], notes, reference_id: notes['checkout_session_id'] }, payment['id']) : none(event);
    }
    case 'payment_link.expired':
    case 'payment_link.cancelled': {
      const link = entity('payment_link');
      return { kind: 'checkout_closed', reference: String(link['reference_id'] ?? link['id']), status: event.event.endsWith('expired') ? 'expired' : 'canceled' };
    }
    case 'subscription.activated':
    case 'subscription.charged':
      return subscriptionChanged(entity('subscription'), 'active');
    case 'subscription.pending':
    case 'subscription.halted':
      return subscriptionChanged(entity('subscription'), 'past_due');
    case 'refund.processed': {
      // The payment entity beside the refund carries the total refunded so far.
      const payment = entity('payment');
      const paymentId = payment['id'] ?? entity('refund')['payment_id'];
      return typeof paymentId === 'string' && typeof payment['amount_refunded'] === 'number'
        ? { kind: 'payment_reversal', paymentId, refundedMinor: payment['amount_refunded'] }
        : none(event);
    }
    case 'payment.dispute.created':
    case 'payment.dispute.won':
    case 'payment.dispute.lost': {
      const dispute = entity('dispute');
      if (typeof dispute['payment_id'] !== 'string') return none(event);
      const amount = Number(dispute['amount'] ?? 0);
      return { kind: 'payment_reversal', paymentId: dispute['payment_id'], disputedMinor: event.event === 'payment.dispute.won' ? 0 : amount };
    }
    case 'subscription.cancelled':
      return { kind: 'subscription_ended', subscriptionId: String(entity('subscription')['id']) };
    case 'transfer.processed':
      return transferChanged(event, 'paid');
    case 'transfer.failed':
      return transferChanged(event, 'failed');
    default:
      // product.route.activated, .under_review and .needs_clarification are documented; the
      // product's own activation_status decides, so a later status (suspended) reads right too.
      if (event.event.startsWith('product.route.')) return routeProductChanged(event);
      // payment.failed among them: the checkout stays open and the user can pay again.
      return none(event);
  }
}

/** A direct transfer to a creator's linked account reached it (processed) or failed. */
function transferChanged(event: RazorpayEvent, outcome: 'paid' | 'failed'): ProviderEffect {
  const transfer = event.payload['transfer']?.entity ?? {};
  if (typeof transfer['id'] !== 'string') return none(event);
  const payoutId = notesOf(transfer)['payout_id'];
  const error = (transfer['error'] ?? {}) as Record<string, unknown>;
  const failure = [error['description'], error['reason'], error['code']].find((text): text is string => typeof text === 'string' && text !== '');
  return {
    kind: 'payout_transfer_changed',
    transferId: transfer['id'],
    payoutId: typeof payoutId === 'string' ? payoutId : null,
    outcome,
    reason: outcome === 'failed' ? (failure ?? 'Razorpay failed the transfer') : null,
  };
}

/** Razorpay's verdict on a linked account's Route product (`payload.merchant_product`). */
function routeProductChanged(event: RazorpayEvent): ProviderEffect {
  const product = event.payload['merchant_product'];
  const entity = product?.entity ?? {};
  const linkedAccountId = entity['merchant_id'] ?? event.account_id;
  if (typeof entity['id'] !== 'string' || typeof linkedAccountId !== 'string') return none(event);
  const data = (product?.data ?? {}) as { requirements?: unknown };
  return {
    kind: 'payout_account_changed',
    account: routeProductState(routeAccountId(linkedAccountId, entity['id']), {
      activation_status: entity['activation_status'] ?? event.event.slice('product.route.'.length),
      requirements: Array.isArray(data.requirements) ? data.requirements : [],
    }),
  };
}

/** An entity's notes: an object, or `[]` when it has none. */
function notesOf(entity: Record<string, unknown>): Record<string, unknown> {
  const notes = entity['notes'];
  return typeof notes === 'object' && notes !== null && !Array.isArray(notes) ? (notes as Record<string, unknown>) : {};
}

function none(event: RazorpayEvent): ProviderEffect {
  return { kind: 'none', reason: `${event.event} needs no action here` };
}

function linkPaid(link: Record<string, unknown>, paymentId: unknown): ProviderEffect {
  const notes = (link['notes'] ?? {}) as Record<string, string>;
  return {
    kind: 'checkout_paid',
    checkout: {
      providerSessionId: String(link['id']),
      status: 'paid',
      purpose: isOneOf(CHECKOUT_PURPOSES, notes['purpose']) ? notes['purpose'] : null,
      sessionId: typeof link['reference_id'] === 'string' ? link['reference_id'] : (notes['checkout_session_id'] ?? null),
      customerId: null,
      subscriptionId: null,
      currentPeriodEnd: null,
      paymentId: typeof paymentId === 'string' ? paymentId : null,
    },
  };
}

function subscriptionChanged(subscription: Record<string, unknown>, status: PlanStatus): ProviderEffect {
  const notes = (subscription['notes'] ?? {}) as Record<string, string>;
  const tier = notes['tier'];
  const interval = notes['billing_interval'];
  const currentEnd = Number(subscription['current_end']);
  return {
    kind: 'subscription_changed',
    subscriptionId: String(subscription['id']),
    userId: notes['user_id'] ?? null,
    customerId: typeof subscription['customer_id'] === 'string' ? subscription['customer_id'] : null,
    tier: isOneOf(PLAN_TIERS, tier) && tier !== 'free' ? tier : null,
    billingInterval: isOneOf(BILLING_INTERVALS, interval) ? interval : null,
    status,
    currentPeriodEnd: currentEnd > 0 ? new Date(currentEnd * 1000) : null,
  };
}
