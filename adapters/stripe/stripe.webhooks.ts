import Stripe from 'stripe';
import type { ProviderCheckout } from '../../application/billing/payment-gateway.port.ts';
import type { Clock } from '../../application/shared/clock.port.ts';
import type { ProviderEffect, ProviderEvent } from '../../application/webhooks/provider-event.ts';
import { CHECKOUT_PURPOSES } from '../../domain/billing/checkout-session.entity.ts';
import { isOneOf, type BillingInterval, type PaidPlanTier, type PlanStatus } from '../../domain/billing/plan.value-objects.ts';
import { InvalidInputError } from '../../domain/shared/errors.ts';
import type { StripePriceIds } from './stripe.payment-gateway.ts';
import { stripeAccountState, type StripeAccountFields } from './stripe.payout-gateway.ts';

/** Stripe's own default: a signature older than five minutes is a replay. We refuse the future too. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

const SUBSCRIPTION_STATUS: Readonly<Record<string, PlanStatus>> = {
  active: 'active',
  trialing: 'active',
  past_due: 'past_due',
  unpaid: 'past_due',
  paused: 'past_due',
  canceled: 'canceled',
  incomplete: 'incomplete',
  incomplete_expired: 'canceled',
};

/**
 * Verifies Stripe's `stripe-signature` on the raw body (with every configured secret, for
 * rotation) through the SDK, and translates the event into our terms. Nothing of Stripe's types
 * leaves this file.
 */
export class StripeWebhooks {
  private readonly secrets: readonly string[];
  private readonly plansByPrice: ReadonlyMap<string, { tier: PaidPlanTier; billingInterval: BillingInterval }>;
  private readonly clock: Clock;
  /** The SDK's signature checker; no API key is needed for it. */
  private readonly signatures = new Stripe('sk_test_webhook_verification_only').webhooks.signature!;

  constructor(options: { secrets: readonly string[]; priceIds: StripePriceIds | undefined; clock: Clock }) {
    this.secrets = options.secrets;
    this.clock = options.clock;
    this.plansByPrice = new Map(
      Object.entries(options.priceIds ?? {}).flatMap(([tier, byInterval]) =>
        Object.entries(byInterval).map(([interval, priceId]) => [priceId, { tier: tier as PaidPlanTier, billingInterval: interval as BillingInterval }]),
      ),
    );
  }

  /** Throws InvalidInputError (a 400) for anything not signed by Stripe just now. */
  parse(rawBody: string, signature: string | null): ProviderEvent {
    if (!signature) throw new InvalidInputError('stripe-signature', 'missing stripe-signature header');
    const nowMs = this.clock.now().getTime();
    const signedAt = Number(/(?:^|,)t=(\d+)/.exec(signature)?.[1] ?? Number.NaN);
    if (signedAt * 1000 - nowMs > SIGNATURE_TOLERANCE_SECONDS * 1000) {
      throw new InvalidInputError('stripe-signature', 'the signature timestamp is in the future');
    }
    return { ...this.toEvent(this.verify(rawBody, signature, nowMs)), payloadJson: rawBody };
  }

  /** An event received and verified before, read again from what was stored. */
  read(payload: unknown): ProviderEvent {
    return this.toEvent(payload as Stripe.Event);
  }

  private toEvent(event: Stripe.Event): ProviderEvent {
    const object = (event as { data?: { object?: unknown } }).data?.object;
    if ((event as { object?: string }).object !== 'event' || typeof object !== 'object' || object === null) {
      throw new InvalidInputError('body', 'thin event payloads are not supported: configure the endpoint with snapshot payloads');
    }
    return {
      provider: 'stripe',
      eventId: event.id,
      type: event.type,
      occurredAt: new Date(event.created * 1000),
      effect: this.effectOf(event.type, object as Record<string, unknown>),
      payload: event,
    };
  }

  /** Checks the signature with the SDK, then reads the body: nothing is read from a body not signed. */
  private verify(rawBody: string, signature: string, nowMs: number): Stripe.Event {
    const verified = this.secrets.some((secret) => {
      try {
        return this.signatures.verifyHeader(rawBody, signature, secret, SIGNATURE_TOLERANCE_SECONDS, undefined, nowMs);
      } catch (error) {
        if (error instanceof Stripe.errors.StripeSignatureVerificationError && /tolerance/i.test(error.message)) {
          throw new InvalidInputError('stripe-signature', 'the signature timestamp is too old');
        }
        return false;
      }
    });
    if (!verified) throw new InvalidInputError('stripe-signature', 'no signature matches the body with the configured secret');
    try {
      return JSON.parse(rawBody) as Stripe.Event;
    } catch {
      throw new InvalidInputError('body', 'the body is not JSON');
    }
  }

  private effectOf(type: string, object: Record<string, unknown>): ProviderEffect {
    switch (type) {
      case 'checkout.session.completed':
      case 'checkout.session.async_payment_succeeded':
        return checkoutPaid(object);
      case 'checkout.session.async_payment_failed':
        return { kind: 'checkout_closed', reference: checkoutReference(object), status: 'canceled' };
      case 'checkout.session.expired':
        return { kind: 'checkout_closed', reference: checkoutReference(object), status: 'expired' };
      case 'customer.subscription.created':
      case 'customer.subscription.updated':
        return this.subscriptionChanged(object);
      case 'customer.subscription.deleted':
        return { kind: 'subscription_ended', subscriptionId: String(object['id']) };
      case 'invoice.paid':
      case 'invoice.payment_succeeded':
        return invoiceEffect(object, 'active');
      case 'invoice.payment_failed':
        return invoiceEffect(object, 'past_due');
      case 'charge.refunded':
        return reversal(object['payment_intent'], { refundedMinor: Number(object['amount_refunded'] ?? 0) });
      case 'charge.dispute.created':
        return reversal(object['payment_intent'], { disputedMinor: Number(object['amount'] ?? 0) });
      case 'charge.dispute.closed':
        return reversal(object['payment_intent'], { disputedMinor: object['status'] === 'won' ? 0 : Number(object['amount'] ?? 0) });
      case 'account.updated':
        return { kind: 'payout_account_changed', account: stripeAccountState(object as unknown as StripeAccountFields) };
      case 'transfer.created':
        // Our transfer call already counted it as paid; this only confirms it.
        return transferChanged(object, 'paid', null);
      case 'transfer.reversed':
        // A partial reversal took back only part of the payout: returning all of it would pay
        // the creator twice for the rest. It is left for a person to look at.
        return object['reversed'] === true
          ? transferChanged(object, 'failed', reversalReason(object))
          : { kind: 'none', reason: `a partial reversal of transfer ${String(object['id'])}: ${reversalReason(object)}; not applied automatically` };
      case 'payout.failed':
        // A connected account's own bank payout: our transfer reached its Stripe balance and
        // stays paid; Stripe returns the money to that balance and the creator fixes their bank.
        return {
          kind: 'none',
          reason: `a connected account's bank payout failed (${String(object['failure_message'] ?? object['failure_code'] ?? 'no reason given')}); the transfer to it stays paid`,
        };
      default:
        return { kind: 'none', reason: `${type} is not an event this service acts on` };
    }
  }

  private subscriptionChanged(subscription: Record<string, unknown>): ProviderEffect {
    const item = (subscription['items'] as { data?: { price?: { id?: string }; current_period_end?: number }[] } | undefined)?.data?.[0];
    const plan = item?.price?.id ? this.plansByPrice.get(item.price.id) : undefined;
    const metadata = (subscription['metadata'] ?? {}) as Record<string, string>;
    return {
      kind: 'subscription_changed',
      subscriptionId: String(subscription['id']),
      userId: metadata['user_id'] ?? null,
      customerId: idOf(subscription['customer']),
      tier: plan?.tier ?? null,
      billingInterval: plan?.billingInterval ?? null,
      status: SUBSCRIPTION_STATUS[String(subscription['status'])] ?? 'incomplete',
      currentPeriodEnd: typeof item?.current_period_end === 'number' ? new Date(item.current_period_end * 1000) : null,
    };
  }
}

function checkoutPaid(session: Record<string, unknown>): ProviderEffect {
  const paymentStatus = session['payment_status'];
  if (paymentStatus !== 'paid' && paymentStatus !== 'no_payment_required') {
    return { kind: 'none', reason: 'the checkout is complete but its payment has not cleared yet' };
  }
  const metadata = (session['metadata'] ?? {}) as Record<string, string>;
  const checkout: ProviderCheckout = {
    providerSessionId: String(session['id']),
    status: 'paid',
    purpose: isOneOf(CHECKOUT_PURPOSES, metadata['purpose']) ? metadata['purpose'] : null,
    sessionId: metadata['checkout_session_id'] ?? null,
    customerId: idOf(session['customer']),
    subscriptionId: idOf(session['subscription']),
    currentPeriodEnd: null,
    paymentId: idOf(session['payment_intent']),
  };
  return { kind: 'checkout_paid', checkout };
}

function reversal(paymentIntent: unknown, amounts: { refundedMinor?: number; disputedMinor?: number }): ProviderEffect {
  const paymentId = idOf(paymentIntent);
  return paymentId ? { kind: 'payment_reversal', paymentId, ...amounts } : { kind: 'none', reason: 'the charge belongs to no payment intent' };
}

function transferChanged(transfer: Record<string, unknown>, outcome: 'paid' | 'failed', reason: string | null): ProviderEffect {
  const metadata = (transfer['metadata'] ?? {}) as Record<string, string>;
  return { kind: 'payout_transfer_changed', transferId: String(transfer['id']), payoutId: metadata['payout_id'] ?? null, outcome, reason };
}

function reversalReason(transfer: Record<string, unknown>): string {
  const currency = String(transfer['currency'] ?? '').toUpperCase();
  return `Stripe reversed the transfer: ${Number(transfer['amount_reversed'] ?? 0)} of ${Number(transfer['amount'] ?? 0)} ${currency} minor units reversed`;
}

function checkoutReference(session: Record<string, unknown>): string {
  return ((session['metadata'] ?? {}) as Record<string, string>)['checkout_session_id'] ?? String(session['id']);
}

/** A renewal or a failed renewal: the subscription is found through the invoice. */
function invoiceEffect(invoice: Record<string, unknown>, status: PlanStatus): ProviderEffect {
  const parent = invoice['parent'] as { subscription_details?: { subscription?: unknown } } | null | undefined;
  const subscriptionId = idOf(invoice['subscription']) ?? idOf(parent?.subscription_details?.subscription);
  if (!subscriptionId) return { kind: 'none', reason: 'the invoice belongs to no subscription' };
  const line = (invoice['lines'] as { data?: { period?: { end?: number } }[] } | undefined)?.data?.[0];
  return {
    kind: 'subscription_changed',
    subscriptionId,
    userId: null,
    customerId: idOf(invoice['customer']),
    tier: null,
    billingInterval: null,
    status,
    currentPeriodEnd: status === 'active' && typeof line?.period?.end === 'number' ? new Date(line.period.end * 1000) : null,
  };
}

function idOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string') return (value as { id: string }).id;
  return null;
}
