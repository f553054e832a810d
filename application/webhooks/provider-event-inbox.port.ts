import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { token } from '../shared/token.ts';
import type { Page, PageRequest } from '../shared/pagination.ts';
import type { EventSubject, InboxStatus, ReceivedEvent } from './provider-event.ts';

/** An event as the inbox holds it, and what became of it. */
export interface InboxEvent {
  /** Our id for it, in arrival order: what admins replay it by. */
  readonly id: string;
  readonly provider: PaymentGatewayName;
  readonly eventId: string;
  readonly type: string;
  readonly subject: EventSubject | null;
  readonly occurredAt: Date;
  readonly receivedAt: Date;
  readonly status: InboxStatus;
  /** Times a worker has taken it up. */
  readonly attempts: number;
  readonly lastError: string | null;
  /** Why it was ignored, or what an admin should review about what it applied. */
  readonly note: string | null;
  /** When it reached applied, ignored, failed or dead. */
  readonly settledAt: Date | null;
  readonly payloadJson: string;
}

/** One subject's pending events, taken by one worker: they are applied together, with one read of the subject. */
export interface ClaimedSubject {
  readonly provider: PaymentGatewayName;
  readonly subject: EventSubject;
  /** Oldest first. */
  readonly events: readonly InboxEvent[];
}

export type SettledStatus = Extract<InboxStatus, 'applied' | 'ignored' | 'failed'>;

/**
 * The inbox of verified provider deliveries, and the queue workers take them from. Every process
 * claims from it; a claim is a lease: until it runs out (or the worker lets go), no other worker
 * takes events of that subject, so one subject's events are applied one batch at a time, oldest
 * first. A worker killed mid-apply simply stops renewing its lease.
 */
export interface ProviderEventInbox {
  /**
   * Records a delivery, pending (or ignored, without a subject): `duplicate` when the same event
   * was recorded before. A write of its own, never inside a unit of work; concurrent calls may
   * share one statement.
   */
  record(event: ReceivedEvent, receivedAt: Date): Promise<'recorded' | 'duplicate'>;
  /**
   * Leases up to `limit` subjects whose oldest pending event is due at `now` and that no live
   * lease holds, with every pending event of each, until `now + leaseMs`. Counts an attempt on
   * each event. An event whose lease ran out after its last attempt (its worker died on it every
   * time) is dead instead.
   */
  claim(input: { readonly owner: string; readonly now: Date; readonly leaseMs: number; readonly limit: number; readonly maxAttempts: number }): Promise<ClaimedSubject[]>;
  /** Keeps the owner's leases on these events alive until `until`. */
  renew(owner: string, eventIds: readonly string[], until: Date): Promise<void>;
  /**
   * Inside the unit of work that applied what the events are about: settles them. Throws
   * LeaseLostError when the owner no longer holds all of them (its lease ran out and another worker
   * took them), so the unit of work rolls back and nothing is applied twice.
   */
  settle(owner: string, eventIds: readonly string[], outcome: { readonly status: SettledStatus; readonly note: string | null }, now: Date): Promise<void>;
  /**
   * After a failed attempt, outside any unit of work: the events wait until `retryAt`, or are
   * dead once they have had `maxAttempts` attempts. Events the owner no longer holds are left alone.
   */
  release(owner: string, eventIds: readonly string[], failure: { readonly error: string; readonly now: Date; readonly retryAt: Date; readonly maxAttempts: number }): Promise<void>;
  /** Pending again and due at `now`, with its attempts reset: an admin's replay. Null when there is no such event. */
  requeue(id: string, now: Date): Promise<InboxEvent | null>;
  /**
   * Pending again, due at `now`: the events about this provider object (as their subject, or named
   * by their hint: a dispute names its payment) that were ignored because nothing of ours held it
   * yet, such as a refund that arrived before its deposit completed; pending ones are marked so
   * that a worker settling one as ignored (it looked before) leaves it due again instead. Inside
   * the caller's unit of work. Returns how many.
   */
  requeueIgnoredAbout(provider: PaymentGatewayName, objectId: string, now: Date): Promise<number>;
  find(id: string): Promise<InboxEvent | null>;
  /**
   * The newest events, at most `limit`, about any of these provider objects: as their subject, or
   * named by their hint (our checkout session or payout id, a dispute's payment). For admins.
   */
  listConcerning(objects: readonly ProviderObject[], limit: number): Promise<InboxEvent[]>;
  /** Newest first. */
  list(filter: { readonly provider?: PaymentGatewayName; readonly status?: InboxStatus }, page: PageRequest): Promise<Page<InboxEvent>>;
}

/** An object at a provider, by the provider's id (or ours, where an event's hint carries ours). */
export interface ProviderObject {
  readonly provider: PaymentGatewayName;
  readonly id: string;
}

/** A worker's lease ran out and another worker took the events: the apply is rolled back. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

export const PROVIDER_EVENT_INBOX = token<ProviderEventInbox>('ProviderEventInbox');
