import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { EventSubject, ReceivedEvent } from '../../application/webhooks/provider-event.ts';
import { InvalidInputError } from '../../domain/shared/errors.ts';
import { bodyBytes, hintIn, MAX_PROVIDER_ID_LENGTH, parseAnswer, signedBodyText, type RawBody } from '../shared/wire.ts';
import { routeAccountId } from './razorpay.payout-gateway.ts';
import { razorpayEntityRefWire, razorpayEventWire } from './razorpay.wire.ts';

type RazorpayEvent = ReturnType<typeof razorpayEventWire.parse>;
type SubjectOf = (event: RazorpayEvent) => EventSubject | string;

const SUBSCRIPTION_EVENTS = ['authenticated', 'activated', 'charged', 'pending', 'halted', 'cancelled', 'completed', 'paused', 'resumed', 'updated'];
const DISPUTE_EVENTS = ['created', 'won', 'lost', 'closed', 'under_review', 'action_required'];

/** The events this service acts on, by the entity each is about. Anything else is recorded as ignored. */
const SUBJECTS: ReadonlyMap<string, SubjectOf> = new Map<string, SubjectOf>([
  ...['paid', 'partially_paid', 'expired', 'cancelled'].map((name): [string, SubjectOf] => [`payment_link.${name}`, linkSubject]),
  // A payment made through a link carries our session in its notes: read as a hint for that link's checkout.
  ['payment.captured', (event) => entitySubject(event, 'payment', 'payment', 'checkout_session_id')],
  ...['created', 'processed', 'failed'].map((name): [string, SubjectOf] => [`refund.${name}`, refundSubject]),
  // Razorpay reads disputes one at a time, by their own id; the payment they are about is the hint.
  ...DISPUTE_EVENTS.map((name): [string, SubjectOf] => [`payment.dispute.${name}`, disputeSubject]),
  ...SUBSCRIPTION_EVENTS.map((name): [string, SubjectOf] => [`subscription.${name}`, (event) => entitySubject(event, 'subscription', 'subscription', null)]),
  ...['processed', 'failed', 'reversed'].map((name): [string, SubjectOf] => [`transfer.${name}`, (event) => entitySubject(event, 'transfer', 'transfer', 'payout_id')]),
]);

/**
 * Verifies `X-Razorpay-Signature` (HMAC-SHA256 hex of the raw body) in constant time, with every
 * configured secret so that events Razorpay retries with the old secret still verify during a
 * rotation, and reads what the event is about. The SDK's own helper compares with `===`.
 *
 * `X-Razorpay-Event-Id` is not covered by the signature, so it cannot tell deliveries apart: the
 * digest of the signed body does. The same body under a new id is the same event; another body
 * under a used id is another event.
 */
export class RazorpayWebhooks {
  private readonly secrets: readonly string[];

  constructor(options: { secrets: readonly string[] }) {
    this.secrets = options.secrets;
  }

  receive(body: RawBody, signature: string | null, eventId: string | null): ReceivedEvent {
    if (!signature) throw new InvalidInputError('x-razorpay-signature', 'missing X-Razorpay-Signature header');
    const bytes = bodyBytes(body);
    if (!this.verifies(bytes, signature)) {
      throw new InvalidInputError('x-razorpay-signature', 'no signature matches the body with the configured secret');
    }
    if (!eventId) throw new InvalidInputError('x-razorpay-event-id', 'missing X-Razorpay-Event-Id header');
    if (eventId.length > MAX_PROVIDER_ID_LENGTH) {
      throw new InvalidInputError('x-razorpay-event-id', `X-Razorpay-Event-Id is ${eventId.length} characters long; the limit is ${MAX_PROVIDER_ID_LENGTH}`);
    }
    const rawBody = signedBodyText(body);
    let json: unknown;
    try {
      json = JSON.parse(rawBody);
    } catch {
      throw new InvalidInputError('body', 'the body is not JSON');
    }
    const event = parseAnswer(razorpayEventWire, json, (problem) => new InvalidInputError('body', `the body is not a Razorpay event (${problem})`));
    const subjectOf = SUBJECTS.get(event.event) ?? (event.event.startsWith('product.route.') ? routeProductSubject : undefined);
    // payment.failed among the rest: the checkout stays open and the user can pay again.
    const subject = subjectOf ? subjectOf(event) : `${event.event} needs no action here`;
    const bodyDigest = createHash('sha256').update(bytes).digest('hex');
    return {
      provider: 'razorpay',
      eventId,
      dedupKey: bodyDigest,
      bodyDigest,
      type: event.event,
      occurredAt: event.created_at,
      subject: typeof subject === 'string' ? null : subject,
      ignoredReason: typeof subject === 'string' ? subject : null,
      payloadJson: rawBody,
    };
  }

  /** Over the bytes delivered, not their text: a signed body that is not UTF-8 is then told so, not called unsigned. */
  private verifies(bytes: Uint8Array, signature: string): boolean {
    const given = Buffer.from(signature, 'utf8');
    return this.secrets.some((secret) => {
      const expected = Buffer.from(createHmac('sha256', secret).update(bytes).digest('hex'), 'utf8');
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
  }
}

function entityOf(event: RazorpayEvent, name: string) {
  const wrapper = event.payload[name];
  const entity = typeof wrapper === 'object' && wrapper !== null ? (wrapper as { entity?: unknown }).entity : undefined;
  if (typeof entity !== 'object' || entity === null) throw new InvalidInputError('body', `a ${event.event} event without its ${name} entity`);
  return parseAnswer(razorpayEntityRefWire, entity, (problem) => new InvalidInputError('body', `the ${name} entity cannot be read (${problem})`));
}

function entitySubject(event: RazorpayEvent, name: string, kind: EventSubject['kind'], hintKey: string | null): EventSubject {
  const entity = entityOf(event, name);
  return { kind, id: entity.id, hint: hintKey ? hintIn(entity.notes ?? {}, hintKey) : null };
}

/** A payment link carries our session id as its reference (and in its notes). */
function linkSubject(event: RazorpayEvent): EventSubject {
  const link = entityOf(event, 'payment_link');
  const hint = link.reference_id ? hintIn({ reference: link.reference_id }, 'reference') : hintIn(link.notes ?? {}, 'checkout_session_id');
  return { kind: 'checkout', id: link.id, hint };
}

function disputeSubject(event: RazorpayEvent): EventSubject {
  const dispute = entityOf(event, 'dispute');
  return { kind: 'dispute', id: dispute.id, hint: dispute.payment_id ?? null };
}

/** A refund is about the payment it gives money back from. */
function refundSubject(event: RazorpayEvent): EventSubject | string {
  const refund = entityOf(event, 'refund');
  return refund.payment_id ? { kind: 'payment', id: refund.payment_id, hint: null } : 'the refund names no payment';
}

/** Razorpay's verdict on a linked account's Route product: about the account (linked account and product). */
function routeProductSubject(event: RazorpayEvent): EventSubject | string {
  const product = entityOf(event, 'merchant_product');
  const linkedAccountId = product.merchant_id ?? event.account_id;
  if (!linkedAccountId) return 'the product names no linked account';
  return { kind: 'account', id: routeAccountId(linkedAccountId, product.id), hint: null };
}
