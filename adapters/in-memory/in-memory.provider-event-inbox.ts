import type { Page, PageRequest } from '../../application/shared/pagination.ts';
import {
  LeaseLostError,
  type ClaimedSubject,
  type InboxEvent,
  type ProviderEventInbox,
  type ProviderObject,
  type SettledStatus,
} from '../../application/webhooks/provider-event-inbox.port.ts';
import type { InboxStatus, ReceivedEvent } from '../../application/webhooks/provider-event.ts';
import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { InvalidInputError } from '../../domain/shared/errors.ts';
import { decodeCursor, encodeCursor } from '../shared/cursor.ts';

interface Held {
  event: InboxEvent;
  readonly dedupKey: string;
  dueAt: Date | null;
  leaseOwner: string | null;
  leasedUntil: Date | null;
  /** Something of ours came to hold its object while it was pending: an `ignored` settle makes it due again. */
  recheck: boolean;
}

const subjectKey = (provider: string, kind: string, id: string) => `${provider}:${kind}:${id}`;

/** The inbox in memory, with the same claims and leases as the SQL one, for tests and demos. */
export class InMemoryProviderEventInbox implements ProviderEventInbox {
  /** In arrival order. */
  private readonly held: Held[] = [];
  private readonly byDedupKey = new Map<string, Held>();

  async record(event: ReceivedEvent, receivedAt: Date): Promise<'recorded' | 'duplicate'> {
    const key = `${event.provider}:${event.dedupKey}`;
    if (this.byDedupKey.has(key)) return 'duplicate';
    const held: Held = {
      event: {
        id: String(this.held.length + 1),
        provider: event.provider,
        eventId: event.eventId,
        type: event.type,
        subject: event.subject,
        occurredAt: event.occurredAt,
        receivedAt,
        status: event.subject ? 'pending' : 'ignored',
        attempts: 0,
        lastError: null,
        note: event.subject ? null : event.ignoredReason,
        settledAt: event.subject ? null : receivedAt,
        payloadJson: event.payloadJson,
      },
      dedupKey: key,
      dueAt: event.subject ? receivedAt : null,
      leaseOwner: null,
      leasedUntil: null,
      recheck: false,
    };
    this.held.push(held);
    this.byDedupKey.set(key, held);
    return 'recorded';
  }

  async claim(input: { owner: string; now: Date; leaseMs: number; limit: number; maxAttempts: number }): Promise<ClaimedSubject[]> {
    for (const held of this.held) {
      const abandoned = held.event.status === 'pending' && held.event.attempts >= input.maxAttempts && held.leaseOwner !== null && held.leasedUntil! <= input.now;
      if (!abandoned) continue;
      held.event = { ...held.event, status: 'dead', settledAt: input.now, lastError: held.event.lastError ?? 'no worker finished an attempt at it (each one stopped mid-apply)' };
      Object.assign(held, { dueAt: null, leaseOwner: null, leasedUntil: null });
    }
    const pendingBySubject = new Map<string, Held[]>();
    for (const held of this.held) {
      const { event } = held;
      if (event.status !== 'pending' || !event.subject) continue;
      const key = subjectKey(event.provider, event.subject.kind, event.subject.id);
      pendingBySubject.set(key, [...(pendingBySubject.get(key) ?? []), held]);
    }
    const claimed: ClaimedSubject[] = [];
    const until = new Date(input.now.getTime() + input.leaseMs);
    for (const group of pendingBySubject.values()) {
      if (claimed.length >= input.limit) break;
      const head = group[0]!;
      if (head.dueAt! > input.now || group.some((held) => held.leasedUntil && held.leasedUntil > input.now)) continue;
      for (const held of group) {
        held.leaseOwner = input.owner;
        held.leasedUntil = until;
        held.event = { ...held.event, attempts: held.event.attempts + 1 };
      }
      const events = group.map((held) => held.event);
      claimed.push({
        provider: head.event.provider,
        subject: { ...head.event.subject!, hint: events.find((event) => event.subject!.hint)?.subject!.hint ?? null },
        events,
      });
    }
    return claimed;
  }

  async renew(owner: string, eventIds: readonly string[], until: Date): Promise<void> {
    for (const held of this.owned(owner, eventIds)) held.leasedUntil = until;
  }

  async settle(owner: string, eventIds: readonly string[], outcome: { status: SettledStatus; note: string | null }, now: Date): Promise<void> {
    const owned = this.owned(owner, eventIds);
    if (owned.length !== eventIds.length) throw new LeaseLostError(`the lease on events ${eventIds.join(', ')} was lost`);
    for (const held of owned) {
      const again = outcome.status === 'ignored' && held.recheck;
      held.event = again ? { ...held.event, note: null } : { ...held.event, status: outcome.status, note: outcome.note, settledAt: now };
      Object.assign(held, { dueAt: again ? now : null, leaseOwner: null, leasedUntil: null, recheck: false });
    }
  }

  async release(owner: string, eventIds: readonly string[], failure: { error: string; now: Date; retryAt: Date; maxAttempts: number }): Promise<void> {
    for (const held of this.owned(owner, eventIds)) {
      const dead = held.event.attempts >= failure.maxAttempts;
      held.event = { ...held.event, status: dead ? 'dead' : 'pending', lastError: failure.error, settledAt: dead ? failure.now : null };
      Object.assign(held, { dueAt: dead ? null : failure.retryAt, leaseOwner: null, leasedUntil: null });
    }
  }

  async requeue(id: string, now: Date): Promise<InboxEvent | null> {
    const held = this.held[Number(id) - 1];
    if (!held || !/^\d+$/.test(id)) return null;
    if (held.event.subject) {
      held.event = { ...held.event, status: 'pending', attempts: 0, lastError: null, note: null, settledAt: null };
      Object.assign(held, { dueAt: now, leaseOwner: null, leasedUntil: null });
    }
    return held.event;
  }

  async requeueIgnoredAbout(provider: PaymentGatewayName, objectId: string, now: Date): Promise<number> {
    let requeued = 0;
    for (const held of this.held) {
      const { event } = held;
      if (event.provider !== provider || !event.subject || (event.subject.id !== objectId && event.subject.hint !== objectId)) continue;
      if (event.status === 'pending') {
        held.recheck = true;
      } else if (event.status === 'ignored') {
        held.event = { ...event, status: 'pending', attempts: 0, note: null, settledAt: null };
        held.dueAt = now;
      } else {
        continue;
      }
      requeued++;
    }
    return requeued;
  }

  async find(id: string): Promise<InboxEvent | null> {
    return (/^\d+$/.test(id) ? this.held[Number(id) - 1]?.event : undefined) ?? null;
  }

  /** The fake's own inspection helper for tests (no port asks it): how many events it holds from the provider. */
  async count(provider: PaymentGatewayName): Promise<number> {
    return this.held.filter((held) => held.event.provider === provider).length;
  }

  async listConcerning(objects: readonly ProviderObject[], limit: number): Promise<InboxEvent[]> {
    const wanted = new Set(objects.map((object) => `${object.provider}:${object.id}`));
    const about = ({ provider, subject }: InboxEvent) =>
      subject !== null && (wanted.has(`${provider}:${subject.id}`) || (subject.hint !== null && wanted.has(`${provider}:${subject.hint}`)));
    return this.held.map((held) => held.event).filter(about).reverse().slice(0, limit);
  }

  async list(filter: { provider?: PaymentGatewayName; status?: InboxStatus }, page: PageRequest): Promise<Page<InboxEvent>> {
    let before = Number.POSITIVE_INFINITY;
    if (page.after !== undefined) {
      const position = decodeCursor(page.after)?.[0];
      if (typeof position !== 'string' || !/^\d+$/.test(position)) throw new InvalidInputError('after', 'after is not a cursor from this list');
      before = Number(position);
    }
    const matching = this.held
      .map((held) => held.event)
      .filter((event) => Number(event.id) < before && (!filter.provider || event.provider === filter.provider) && (!filter.status || event.status === filter.status))
      .reverse();
    return {
      hasNextPage: matching.length > page.first,
      items: matching.slice(0, page.first).map((node) => ({ cursor: encodeCursor([node.id]), node })),
    };
  }

  private owned(owner: string, eventIds: readonly string[]): Held[] {
    const ids = new Set(eventIds);
    return this.held.filter((held) => ids.has(held.event.id) && held.leaseOwner === owner && held.event.status === 'pending');
  }
}
