import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import Stripe from 'stripe';
import type { Clock } from '../../application/shared/clock.port.ts';
import type { EventSubject, ReceivedEvent } from '../../application/webhooks/provider-event.ts';
import { InvalidInputError } from '../../domain/shared/errors.ts';
import { bodyBytes, hintIn, parseAnswer, signedBodyText, type RawBody } from '../shared/wire.ts';
import { stripeChargeRefWire, stripeEventWire, stripeInvoiceRefWire, stripeObjectRefWire, stripeScheduleRefWire } from './stripe.wire.ts';

/** Stripe's own default: a signature older than five minutes is a replay. We refuse the future too. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** What an event type is about, and what in the delivered object names it. */
type SubjectOf = (object: Record<string, unknown>) => EventSubject | string;

const SUBSCRIPTION_TYPES = ['created', 'updated', 'deleted', 'paused', 'resumed', 'pending_update_applied', 'pending_update_expired'];
const INVOICE_TYPES = ['paid', 'payment_succeeded', 'payment_failed'];
const DISPUTE_TYPES = ['created', 'updated', 'closed', 'funds_withdrawn', 'funds_reinstated'];
/** A change scheduled for a period's end (a downgrade), made, changed or withdrawn, also in Stripe's dashboard. */
const SCHEDULE_TYPES = ['created', 'updated', 'released', 'canceled', 'completed'];

/**
 * The event types this service acts on, by the object each is about. Anything else is recorded as
 * ignored. A renewal's many events (invoice.created, payment_intent.*, charge.succeeded) are not
 * here: the invoice and subscription events among them say all there is.
 */
const SUBJECTS: ReadonlyMap<string, SubjectOf> = new Map<string, SubjectOf>([
  ...['completed', 'async_payment_succeeded', 'async_payment_failed', 'expired'].map(
    (name): [string, SubjectOf] => [`checkout.session.${name}`, (object) => own('checkout', object, 'checkout_session_id')],
  ),
  ...SUBSCRIPTION_TYPES.map((name): [string, SubjectOf] => [`customer.subscription.${name}`, (object) => own('subscription', object, null)]),
  ...INVOICE_TYPES.map((name): [string, SubjectOf] => [`invoice.${name}`, invoiceSubscription]),
  ...SCHEDULE_TYPES.map((name): [string, SubjectOf] => [`subscription_schedule.${name}`, scheduleSubscription]),
  ['charge.refunded', chargePayment],
  ['charge.refund.updated', chargePayment],
  ...DISPUTE_TYPES.map((name): [string, SubjectOf] => [`charge.dispute.${name}`, chargePayment]),
  ['account.updated', (object) => own('account', object, null)],
  ...['created', 'updated', 'reversed'].map((name): [string, SubjectOf] => [`transfer.${name}`, (object) => own('transfer', object, 'payout_id')]),
]);

/**
 * Verifies Stripe's `stripe-signature` on the raw body (with every configured secret, for
 * rotation) through the SDK, and reads what the event is about. Nothing of Stripe's types leaves
 * this file, and nothing of the payload but ids: the worker reads the object's state from Stripe.
 */
export class StripeWebhooks {
  private readonly secrets: readonly string[];
  private readonly clock: Clock;
  /** The SDK's signature checker; no API key is needed for it. */
  private readonly signatures = new Stripe('sk_test_webhook_verification_only').webhooks.signature!;

  constructor(options: { secrets: readonly string[]; clock: Clock }) {
    this.secrets = options.secrets;
    this.clock = options.clock;
  }

  /** Throws InvalidInputError (a 400) for anything not signed by Stripe just now, or not a Stripe event. */
  receive(body: RawBody, signature: string | null): ReceivedEvent {
    if (!signature) throw new InvalidInputError('stripe-signature', 'missing stripe-signature header');
    const nowMs = this.clock.now().getTime();
    const signedAt = Number(/(?:^|,)t=(\d+)/.exec(signature)?.[1] ?? Number.NaN);
    if (signedAt * 1000 - nowMs > SIGNATURE_TOLERANCE_SECONDS * 1000) {
      throw new InvalidInputError('stripe-signature', 'the signature timestamp is in the future');
    }
    const rawBody = this.verifiedText(body, signature, nowMs);
    let json: unknown;
    try {
      json = JSON.parse(rawBody);
    } catch {
      throw new InvalidInputError('body', 'the body is not JSON');
    }
    const event = parseAnswer(stripeEventWire, json, (problem) => new InvalidInputError('body', `the body is not a Stripe event (${problem})`));
    if (event.object !== 'event' || !event.data) {
      throw new InvalidInputError('body', 'thin event payloads are not supported: configure the endpoint with snapshot payloads');
    }
    const subjectOf = SUBJECTS.get(event.type);
    const subject = subjectOf ? subjectOf(event.data.object) : `${event.type} is not an event this service acts on`;
    return {
      provider: 'stripe',
      eventId: event.id,
      dedupKey: event.id,
      bodyDigest: createHash('sha256').update(rawBody).digest('hex'),
      type: event.type,
      occurredAt: event.created,
      subject: typeof subject === 'string' ? null : subject,
      ignoredReason: typeof subject === 'string' ? subject : null,
      payloadJson: rawBody,
    };
  }

  /**
   * The body's text once its signature verifies. The SDK verifies text, which a body that is not
   * UTF-8 cannot become exactly: such a body is checked over its bytes instead, only to say which
   * is wrong, the signature or the encoding. Either way it is refused.
   */
  private verifiedText(body: RawBody, signature: string, nowMs: number): string {
    let text: string;
    try {
      text = signedBodyText(body);
    } catch (notUtf8) {
      if (this.signsBytes(bodyBytes(body), signature)) throw notUtf8;
      throw new InvalidInputError('stripe-signature', 'no signature matches the body with the configured secret');
    }
    this.verify(text, signature, nowMs);
    return text;
  }

  /** Stripe's scheme over raw bytes: HMAC-SHA256 of `<t>.<body>`, compared with each `v1` in constant time. */
  private signsBytes(bytes: Uint8Array, signature: string): boolean {
    const parts = signature.split(',').map((part) => part.split('=', 2) as [string, string | undefined]);
    const timestamp = parts.find(([name]) => name === 't')?.[1];
    const given = parts.filter(([name, value]) => name === 'v1' && value !== undefined).map(([, value]) => Buffer.from(value!, 'utf8'));
    if (!timestamp) return false;
    return this.secrets.some((secret) => {
      const expected = Buffer.from(createHmac('sha256', secret).update(`${timestamp}.`).update(bytes).digest('hex'), 'utf8');
      return given.some((candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected));
    });
  }

  /** Checks the signature with the SDK before anything is read from the body. */
  private verify(rawBody: string, signature: string, nowMs: number): void {
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
  }
}

/** The delivered object itself is the subject; `hintKey` names the metadata key carrying our id. */
function own(kind: EventSubject['kind'], object: Record<string, unknown>, hintKey: string | null): EventSubject {
  const ref = parseAnswer(stripeObjectRefWire, object, (problem) => new InvalidInputError('body', `the event's object cannot be read (${problem})`));
  return { kind, id: ref.id, hint: hintKey ? hintIn(ref.metadata ?? {}, hintKey) : null };
}

/** A renewal or a failed renewal: about the invoice's subscription. */
function invoiceSubscription(object: Record<string, unknown>): EventSubject | string {
  const invoice = parseAnswer(stripeInvoiceRefWire, object, (problem) => new InvalidInputError('body', `the invoice cannot be read (${problem})`));
  const subscriptionId = invoice.subscription ?? invoice.parent?.subscription_details?.subscription;
  return subscriptionId ? { kind: 'subscription', id: subscriptionId, hint: null } : 'the invoice belongs to no subscription';
}

/** A subscription schedule: about the subscription whose coming change it holds. */
function scheduleSubscription(object: Record<string, unknown>): EventSubject | string {
  const schedule = parseAnswer(stripeScheduleRefWire, object, (problem) => new InvalidInputError('body', `the subscription schedule cannot be read (${problem})`));
  const subscriptionId = schedule.subscription ?? schedule.released_subscription;
  return subscriptionId ? { kind: 'subscription', id: subscriptionId, hint: null } : 'the schedule manages no subscription';
}

/** A refund or a dispute: about the payment intent whose money it takes back (Stripe lists disputes by it). */
function chargePayment(object: Record<string, unknown>): EventSubject | string {
  const charge = parseAnswer(stripeChargeRefWire, object, (problem) => new InvalidInputError('body', `the charge cannot be read (${problem})`));
  return charge.payment_intent ? { kind: 'payment', id: charge.payment_intent, hint: null } : 'the charge belongs to no payment intent';
}
