import type { MikroORM } from '@mikro-orm/postgresql';
import type { Page, PageRequest } from '../../application/shared/pagination.ts';
import {
  LeaseLostError,
  type ClaimedSubject,
  type InboxEvent,
  type ProviderEventInbox,
  type ProviderObject,
  type SettledStatus,
} from '../../application/webhooks/provider-event-inbox.port.ts';
import type { EventSubjectKind, InboxStatus, ReceivedEvent } from '../../application/webhooks/provider-event.ts';
import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { InvalidInputError } from '../../domain/shared/errors.ts';
import { decodeCursor, encodeCursor } from '../shared/cursor.ts';
import { boundQuery, pooledQuery, queryOn } from './bound-query.ts';
import { GroupCommit } from './group-commit.ts';

/** Deliveries that arrive together go in one statement, up to this many. */
export const MAX_EVENTS_PER_BATCH = 64;
const BATCHES_IN_FLIGHT = 2;
/** Deliveries waiting for a batch before more are refused (the provider delivers a refused one again later). */
const MAX_EVENTS_WAITING = 4_096;
/** Any fixed 64-bit number: claims take this advisory lock, one at a time across every process, for the length of one statement. */
const CLAIM_LOCK_KEY = 7_465_901_224;

interface Unrecorded {
  readonly event: ReceivedEvent;
  readonly receivedAt: Date;
}

const COLUMNS = [
  'provider',
  'event_id',
  'dedup_key',
  'body_digest',
  'type',
  'subject_kind',
  'subject_id',
  'subject_hint',
  'occurred_at',
  'received_at',
  'payload',
  'status',
  'note',
  'due_at',
  'settled_at',
] as const;
const CASTS: Partial<Record<(typeof COLUMNS)[number], string>> = {
  occurred_at: '::timestamptz',
  received_at: '::timestamptz',
  payload: '::json',
  due_at: '::timestamptz',
  settled_at: '::timestamptz',
};

/** `insert … values ($1, …), ($16, …)` for `count` events, each value a bind parameter: the payload goes as delivered. */
function insertRows(count: number): string {
  const rows = Array.from({ length: count }, (_, row) => {
    const values = COLUMNS.map((column, index) => `$${row * COLUMNS.length + index + 1}${CASTS[column] ?? ''}`);
    return `(${values.join(', ')})`;
  });
  return `insert into webhook_events (${COLUMNS.join(', ')}) values ${rows.join(', ')}
          on conflict (provider, dedup_key) do nothing returning provider, dedup_key`;
}

function rowOf({ event, receivedAt }: Unrecorded): unknown[] {
  const received = receivedAt.toISOString();
  return [
    event.provider,
    event.eventId,
    event.dedupKey,
    event.bodyDigest,
    event.type,
    event.subject?.kind ?? null,
    event.subject?.id ?? null,
    event.subject?.hint ?? null,
    event.occurredAt.toISOString(),
    received,
    event.payloadJson,
    event.subject ? 'pending' : 'ignored',
    event.subject ? null : event.ignoredReason,
    event.subject ? received : null,
    event.subject ? null : received,
  ];
}

const keyOf = ({ event }: Unrecorded) => `${event.provider}:${event.dedupKey}`;

/** Order by (provider, dedup key) in UTF-16 code units: the same in every process, whatever the collation. */
function compare(a: Unrecorded, b: Unrecorded): number {
  const [x, y] = [keyOf(a), keyOf(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

interface InboxRow {
  id: string;
  provider: PaymentGatewayName;
  event_id: string;
  type: string;
  subject_kind: EventSubjectKind | null;
  subject_id: string | null;
  subject_hint: string | null;
  occurred_at: Date | string;
  received_at: Date | string;
  status: InboxStatus;
  attempts: number;
  last_error: string | null;
  note: string | null;
  settled_at: Date | string | null;
  payload: string;
}

/** Every column of a row (of table alias `t`), the payload as the text that was stored. */
function selected(t = 'webhook_events'): string {
  const columns = ['event_id', 'provider', 'type', 'subject_kind', 'subject_id', 'subject_hint', 'occurred_at', 'received_at', 'status', 'attempts', 'last_error', 'note', 'settled_at'];
  return [`${t}.id::text as id`, ...columns.map((column) => `${t}.${column}`), `${t}.payload::text as payload`].join(', ');
}
const SELECTED = selected();

function toEvent(row: InboxRow): InboxEvent {
  return {
    id: row.id,
    provider: row.provider,
    eventId: row.event_id,
    type: row.type,
    subject: row.subject_kind && row.subject_id ? { kind: row.subject_kind, id: row.subject_id, hint: row.subject_hint } : null,
    occurredAt: new Date(row.occurred_at),
    receivedAt: new Date(row.received_at),
    status: row.status,
    attempts: Number(row.attempts),
    lastError: row.last_error,
    note: row.note,
    settledAt: row.settled_at === null ? null : new Date(row.settled_at),
    payloadJson: row.payload,
  };
}

/**
 * Claims in one statement: among the oldest due, unleased pending events (at most `$5` of them
 * looked at, so a claim costs the same whatever the backlog), the subjects that no live lease
 * holds and whose older events are not waiting for a retry, oldest first, with all of their
 * pending events. Claims are taken one at a time across processes (the advisory lock, held until
 * the claim commits), so the lease check sees every lease granted before it.
 */
const CLAIM = `
  with scanned as (
    select id, provider, subject_kind, subject_id from webhook_events
    where status = 'pending' and due_at <= $1::timestamptz and (leased_until is null or leased_until <= $1::timestamptz)
    order by id
    limit $5
  ), heads as (
    select provider, subject_kind, subject_id, min(id) as head from scanned group by provider, subject_kind, subject_id
  ), ready as (
    select h.provider, h.subject_kind, h.subject_id, h.head from heads h
    where not exists (
      select 1 from webhook_events l
      where l.status = 'pending' and l.provider = h.provider and l.subject_kind = h.subject_kind and l.subject_id = h.subject_id
        and (l.leased_until > $1::timestamptz or (l.id < h.head and l.due_at > $1::timestamptz)))
    order by h.head
    limit $2
  )
  update webhook_events e set lease_owner = $3, leased_until = $4::timestamptz, attempts = e.attempts + 1
  from ready r
  where e.status = 'pending' and e.provider = r.provider and e.subject_kind = r.subject_kind and e.subject_id = r.subject_id
  returning ${selected('e')}`;

/** How many of the oldest due events a claim looks at, per subject it may take. */
const SCANNED_PER_SUBJECT = 8;

/** Events whose lease ran out after their last attempt: no worker lived through them, so no release counted them. */
const GIVE_UP_ON_ABANDONED = `
  update webhook_events set status = 'dead', settled_at = $1::timestamptz, lease_owner = null, leased_until = null, due_at = null,
    last_error = coalesce(last_error, 'no worker finished an attempt at it (each one stopped mid-apply)')
  where status = 'pending' and attempts >= $2 and lease_owner is not null and leased_until <= $1::timestamptz`;

/** The inbox in the `webhook_events` table: the audit of every delivery and the workers' queue in one. */
export class SqlProviderEventInbox implements ProviderEventInbox {
  private readonly orm: MikroORM;
  private readonly batches: GroupCommit<Unrecorded, 'recorded' | 'duplicate'>;

  constructor(orm: MikroORM) {
    this.orm = orm;
    this.batches = new GroupCommit({ send: (batch) => this.recordBatch(batch), maxBatch: MAX_EVENTS_PER_BATCH, maxInFlight: BATCHES_IN_FLIGHT, maxWaiting: MAX_EVENTS_WAITING });
  }

  record(event: ReceivedEvent, receivedAt: Date): Promise<'recorded' | 'duplicate'> {
    return this.batches.submit({ event, receivedAt });
  }

  /**
   * One multi-row insert for the lot, in key order, so two batches that share events (a
   * redelivery racing its first delivery at another process) wait on each other in the same
   * order and cannot deadlock. The same event twice in one batch is answered for by its first.
   */
  private async recordBatch(batch: readonly Unrecorded[]): Promise<('recorded' | 'duplicate')[]> {
    const firsts = new Map<string, Unrecorded>();
    for (const item of batch) if (!firsts.has(keyOf(item))) firsts.set(keyOf(item), item);
    const rows = [...firsts.values()].sort(compare);
    const inserted = await pooledQuery<{ provider: string; dedup_key: string }>(this.orm, insertRows(rows.length), rows.flatMap(rowOf));
    const recorded = new Set(inserted.map((row) => `${row.provider}:${row.dedup_key}`));
    return batch.map((item) => (firsts.get(keyOf(item)) === item && recorded.has(keyOf(item)) ? 'recorded' : 'duplicate'));
  }

  async claim(input: { owner: string; now: Date; leaseMs: number; limit: number; maxAttempts: number }): Promise<ClaimedSubject[]> {
    const client = this.orm.em.getConnection().getClient<unknown>();
    // Read committed, whatever the server's default: each statement after the lock must see the leases granted before it.
    const rows = await client.transaction().setIsolationLevel('read committed').execute(async (transaction) => {
      await queryOn(transaction, 'select pg_advisory_xact_lock($1)', [CLAIM_LOCK_KEY]);
      await queryOn(transaction, GIVE_UP_ON_ABANDONED, [input.now.toISOString(), input.maxAttempts]);
      return queryOn<InboxRow>(transaction, CLAIM, [
        input.now.toISOString(),
        input.limit,
        input.owner,
        new Date(input.now.getTime() + input.leaseMs).toISOString(),
        input.limit * SCANNED_PER_SUBJECT,
      ]);
    });
    const bySubject = new Map<string, InboxEvent[]>();
    for (const event of rows.map(toEvent).sort((a, b) => compareIds(a.id, b.id))) {
      const key = `${event.provider}:${event.subject!.kind}:${event.subject!.id}`;
      bySubject.set(key, [...(bySubject.get(key) ?? []), event]);
    }
    return [...bySubject.values()].map((events) => ({
      provider: events[0]!.provider,
      // The first hint any of them carries: a hint only helps find our record, and is checked against it.
      subject: { ...events[0]!.subject!, hint: events.find((event) => event.subject!.hint)?.subject!.hint ?? null },
      events,
    }));
  }

  async renew(owner: string, eventIds: readonly string[], until: Date): Promise<void> {
    if (eventIds.length === 0) return;
    await pooledQuery(this.orm, `update webhook_events set leased_until = $1::timestamptz where id = any($2::bigint[]) and lease_owner = $3 and status = 'pending'`, [
      until.toISOString(),
      eventIds,
      owner,
    ]);
  }

  async settle(owner: string, eventIds: readonly string[], outcome: { status: SettledStatus; note: string | null }, now: Date): Promise<void> {
    // An event marked for a recheck while it was worked on is not left ignored: it is due again now.
    const settled = await boundQuery(
      this.orm,
      `update webhook_events set
         status = case when $1::text = 'ignored' and recheck then 'pending' else $1::text end,
         note = case when $1::text = 'ignored' and recheck then null else $2 end,
         settled_at = case when $1::text = 'ignored' and recheck then null else $3::timestamptz end,
         due_at = case when $1::text = 'ignored' and recheck then $3::timestamptz else null end,
         recheck = false, lease_owner = null, leased_until = null
       where id = any($4::bigint[]) and lease_owner = $5 and status = 'pending' returning id`,
      [outcome.status, outcome.note, now.toISOString(), eventIds, owner],
    );
    if (settled.length !== eventIds.length) throw new LeaseLostError(`the lease on events ${eventIds.join(', ')} was lost`);
  }

  async release(owner: string, eventIds: readonly string[], failure: { error: string; now: Date; retryAt: Date; maxAttempts: number }): Promise<void> {
    await pooledQuery(
      this.orm,
      `update webhook_events set lease_owner = null, leased_until = null, last_error = $1,
         status = case when attempts >= $2 then 'dead' else 'pending' end,
         due_at = case when attempts >= $2 then null else $3::timestamptz end,
         settled_at = case when attempts >= $2 then $4::timestamptz else null end
       where id = any($5::bigint[]) and lease_owner = $6 and status = 'pending'`,
      [failure.error, failure.maxAttempts, failure.retryAt.toISOString(), failure.now.toISOString(), eventIds, owner],
    );
  }

  async requeue(id: string, now: Date): Promise<InboxEvent | null> {
    if (!/^\d{1,18}$/.test(id)) return null;
    const [row] = await boundQuery<InboxRow>(
      this.orm,
      `update webhook_events set status = 'pending', due_at = $2::timestamptz, attempts = 0, last_error = null, note = null,
         settled_at = null, lease_owner = null, leased_until = null
       where id = $1::bigint and subject_kind is not null returning ${SELECTED}`,
      [id, now.toISOString()],
    );
    return row ? toEvent(row) : this.find(id);
  }

  /**
   * Ignored events are pending again; pending ones are marked for a recheck, so that one a worker
   * is about to settle as ignored (it looked before the object became ours) is not left ignored.
   * Either row lock orders this against that settle, whichever comes first.
   */
  async requeueIgnoredAbout(provider: PaymentGatewayName, objectId: string, now: Date): Promise<number> {
    const requeued = await boundQuery(
      this.orm,
      `update webhook_events set
         recheck = (status = 'pending'),
         due_at = case when status = 'ignored' then $3::timestamptz else due_at end,
         attempts = case when status = 'ignored' then 0 else attempts end,
         note = case when status = 'ignored' then null else note end,
         settled_at = null,
         status = 'pending'
       where provider = $1 and (subject_id = $2 or subject_hint = $2) and status in ('ignored', 'pending') returning id`,
      [provider, objectId, now.toISOString()],
    );
    return requeued.length;
  }

  async find(id: string): Promise<InboxEvent | null> {
    if (!/^\d{1,18}$/.test(id)) return null;
    const [row] = await boundQuery<InboxRow>(this.orm, `select ${SELECTED} from webhook_events where id = $1::bigint`, [id]);
    return row ? toEvent(row) : null;
  }

  async listConcerning(objects: readonly ProviderObject[], limit: number): Promise<InboxEvent[]> {
    if (objects.length === 0) return [];
    // Each object is looked up in the subject index and in the hint index (one join each: an `or` would scan the table);
    // only the events about these few objects are sorted.
    const rows = await boundQuery<InboxRow>(
      this.orm,
      `with o as (select * from unnest($1::text[], $2::text[]) as o(provider, object_id))
       select ${SELECTED} from webhook_events where webhook_events.id in (
         select e.id from o join webhook_events e on e.provider = o.provider and e.subject_id = o.object_id
         union
         select e.id from o join webhook_events e on e.provider = o.provider and e.subject_hint = o.object_id)
       order by webhook_events.id desc limit $3`,
      [objects.map((object) => object.provider), objects.map((object) => object.id), limit],
    );
    return rows.map(toEvent);
  }

  async list(filter: { provider?: PaymentGatewayName; status?: InboxStatus }, page: PageRequest): Promise<Page<InboxEvent>> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    const where = (condition: (placeholder: string) => string, value: unknown) => {
      params.push(value);
      conditions.push(condition(`$${params.length}`));
    };
    if (filter.provider) where((p) => `provider = ${p}`, filter.provider);
    if (filter.status) where((p) => `status = ${p}`, filter.status);
    if (page.after !== undefined) {
      const position = decodeCursor(page.after);
      if (!position || typeof position[0] !== 'string' || !/^\d{1,18}$/.test(position[0])) throw new InvalidInputError('after', 'after is not a cursor from this list');
      where((p) => `id < ${p}::bigint`, position[0]);
    }
    params.push(page.first + 1);
    // The table's id, not the text \`id\` selected: that one sorts '9' above '10' and no index reads it in order.
    const rows = await boundQuery<InboxRow>(
      this.orm,
      `select ${SELECTED} from webhook_events ${conditions.length ? `where ${conditions.join(' and ')}` : ''} order by webhook_events.id desc limit $${params.length}`,
      params,
    );
    return {
      hasNextPage: rows.length > page.first,
      items: rows.slice(0, page.first).map((row) => ({ cursor: encodeCursor([row.id]), node: toEvent(row) })),
    };
  }
}

/** Inbox ids are 64-bit sequence numbers, held as text. */
export function compareIds(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}
