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

