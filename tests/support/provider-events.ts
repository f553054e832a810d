import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Stripe from 'stripe';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/stripe/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;
const stripe = new Stripe('sk_test_signing_only');

export const STRIPE_WEBHOOK_SECRET = 'whsec_test_secret_for_webhook_tests';
export const RAZORPAY_WEBHOOK_SECRET = 'razorpay-webhook-secret-for-tests';

/** A Stripe event as Stripe sends it: its example event envelope around `object`. */
export function stripeEvent(type: string, object: Record<string, unknown>, options: { id?: string; createdAt?: Date } = {}): string {
  return JSON.stringify({
    ...fixture('event'),
    id: options.id ?? `evt_${randomUUID().replaceAll('-', '')}`,
    type,
    created: Math.floor((options.createdAt ?? new Date()).getTime() / 1000),
    data: { object },
  });
}

/** Stripe's example Checkout Session, paid, carrying our session id as our adapter sets it. */
export function paidCheckoutSession(fields: { sessionId: string; purpose: 'plan' | 'deposit'; customer?: string; subscription?: string | null; paymentIntent?: string }) {
  return {
    ...fixture('checkout.session'),
    id: `cs_test_${randomUUID().replaceAll('-', '')}`,
    status: 'complete',
    payment_status: 'paid',
    mode: fields.purpose === 'plan' ? 'subscription' : 'payment',
    customer: fields.customer ?? `cus_${fields.sessionId}`,
    subscription: fields.subscription ?? null,
    payment_intent: fields.paymentIntent ?? null,
    metadata: { checkout_session_id: fields.sessionId, purpose: fields.purpose },
  };
}

export function subscriptionObject(fields: { id: string; status: string; priceId: string; periodEnd: Date; userId?: string; customer?: string }) {
  const base = fixture('subscription') as { items: { data: Record<string, unknown>[] } };
  const item = base.items.data[0]!;
  return {
    ...base,
    id: fields.id,
    status: fields.status,
    customer: fields.customer ?? null,
    metadata: fields.userId ? { user_id: fields.userId } : {},
    items: { ...base.items, data: [{ ...item, price: { ...(item['price'] as object), id: fields.priceId }, current_period_end: Math.floor(fields.periodEnd.getTime() / 1000) }] },
  };
}

export function invoiceObject(fields: { subscriptionId: string; periodEnd: Date }) {
  const base = fixture('invoice') as { lines: { data: Record<string, unknown>[] } };
  return {
    ...base,
    subscription: fields.subscriptionId,
    lines: { ...base.lines, data: [{ ...base.lines.data[0], period: { start: 0, end: Math.floor(fields.periodEnd.getTime() / 1000) } }] },
  };
}

/** The `stripe-signature` header Stripe would send, made by the SDK's own test helper. */
export function stripeSignature(payload: string, options: { secret?: string; timestamp?: number } = {}): string {
  return stripe.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? STRIPE_WEBHOOK_SECRET,
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
  });
}

/** A Razorpay webhook body in the shape of its documented payloads. */
export function razorpayEvent(event: string, entities: Record<string, Record<string, unknown>>, createdAt = new Date()): string {
  return JSON.stringify({
    entity: 'event',
    account_id: 'acc_test',
    event,
    contains: Object.keys(entities),
    payload: Object.fromEntries(Object.entries(entities).map(([name, entity]) => [name, { entity }])),
    created_at: Math.floor(createdAt.getTime() / 1000),
  });
}

export function razorpaySignature(body: string, secret = RAZORPAY_WEBHOOK_SECRET): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** Stripe's example Charge, refunded by `amountRefunded` so far. */
export function refundedCharge(paymentIntent: string, amountRefunded: number) {
  return { ...fixture('charge'), id: `ch_${randomUUID().replaceAll('-', '')}`, payment_intent: paymentIntent, amount_refunded: amountRefunded, refunded: true };
}

/** Stripe's example Dispute on a payment intent. */
export function dispute(paymentIntent: string, amount: number, status: string) {
  return { ...fixture('dispute'), id: `dp_${randomUUID().replaceAll('-', '')}`, payment_intent: paymentIntent, amount, status };
}
