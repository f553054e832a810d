import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';

/**
 * The kinds of provider object an event can be about, each read from the provider by its own
 * port method: a hosted checkout (Stripe Checkout Session, Razorpay Payment Link), a subscription,
 * a payment (its refunds, and its disputes where the provider lists them by payment), a dispute
 * (where the provider reads them one at a time), a creator's connected or linked account, and a
 * payout's transfer.
 */
export const EVENT_SUBJECT_KINDS = ['checkout', 'subscription', 'payment', 'dispute', 'account', 'transfer'] as const;
export type EventSubjectKind = (typeof EVENT_SUBJECT_KINDS)[number];

/** The provider object an event says changed. The worker reads its current state; the payload is never applied. */
export interface EventSubject {
  readonly kind: EventSubjectKind;
  /** The provider's id of the object. */
  readonly id: string;
  /**
   * Another id the payload names that helps find our record: our checkout session or payout id
   * (from metadata, notes or a reference), or the payment a dispute is about. It is checked against
   * what we stored, never authority on its own.
   */
  readonly hint: string | null;
}

/** A delivery whose signature verified, as its webhook adapter read it: what the inbox records. */
export interface ReceivedEvent {
  readonly provider: PaymentGatewayName;
  /** The provider's event id, for people: Razorpay's travels in an unsigned header. */
  readonly eventId: string;
  /**
   * What makes two deliveries the same event: the event id where the signature covers it (Stripe),
   * else the digest of the signed body (Razorpay), so that the same body under a new event id is a
   * duplicate and another body under a used id is not.
   */
  readonly dedupKey: string;
  /** SHA-256 of the raw body, hex. */
  readonly bodyDigest: string;
  readonly type: string;
  /** When the provider says it happened: shown to people, never used to order anything (one-second resolution). */
  readonly occurredAt: Date;
  /** What the event is about; null for an event this service does not act on. */
  readonly subject: EventSubject | null;
  /** Why nothing is done for an event without a subject. */
  readonly ignoredReason: string | null;
  /** The body as it was delivered. */
  readonly payloadJson: string;
}

export const INBOX_STATUSES = ['pending', 'applied', 'ignored', 'failed', 'dead'] as const;
/**
 * `pending`: waiting for a worker (or for its next attempt); `applied`: the subject's state was
 * read and applied; `ignored`: nothing of ours is concerned; `failed`: refused for good, with the
 * reason (a payment we cannot match, an amount other than the one we asked for), nothing applied;
 * `dead`: it kept failing and was given up after the last attempt, with its error.
 */
export type InboxStatus = (typeof INBOX_STATUSES)[number];
