import type { MikroORM } from '@mikro-orm/postgresql';
import type { Kysely } from 'kysely';
import type { ProviderEvent, WebhookOutcome } from '../../application/webhooks/provider-event.ts';
import type { SubscriptionHolder } from '../../application/billing/account-plan.repository.ts';
import type { RecordedAlone, StoredWebhookEvent, WebhookEventRepository } from '../../application/webhooks/webhook-event.repository.ts';
import type { Page, PageRequest } from '../../application/wallet/wallet-ledger.port.ts';
import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { InvalidInputError } from '../../domain/shared/errors.ts';
import { decodeCursor, encodeCursor } from '../shared/cursor.ts';
import { boundQuery, queryOn } from './bound-query.ts';
import { currentEntityManager } from './current-entity-manager.ts';
import { GroupCommit } from './group-commit.ts';

/** Events recorded alone that arrive together go in one statement, up to this many. */
export const MAX_EVENTS_PER_BATCH = 64;
const BATCHES_IN_FLIGHT = 2;

interface Unrecorded {
  readonly event: ProviderEvent;
  readonly outcome: WebhookOutcome;
  readonly receivedAt: Date;
  readonly unlessHeld?: SubscriptionHolder | undefined;
}

const COLUMNS = ['provider', 'event_id', 'type', 'outcome', 'occurred_at', 'received_at', 'payload'] as const;

/**
 * `insert … values ($1, …, $7::json), ($8, …)` for `count` events, each value its own bind
 * parameter: the payload goes as it was delivered, with no escaping of any kind.
 */
function insertRows(count: number): string {
  const rows = Array.from({ length: count }, (_, row) => {
    const first = row * COLUMNS.length;
    return `($${first + 1}, $${first + 2}, $${first + 3}, $${first + 4}, $${first + 5}::timestamptz, $${first + 6}::timestamptz, $${first + 7}::json)`;
  });
  return `insert into webhook_events (${COLUMNS.join(', ')}) values ${rows.join(', ')} on conflict (provider, event_id) do nothing`;
}

function rowOf({ event, outcome, receivedAt }: Unrecorded): unknown[] {
  return [
    event.provider,
    event.eventId,
    event.type,
    outcome,
    event.occurredAt.toISOString(),
    receivedAt.toISOString(),
    event.payloadJson ?? JSON.stringify(event.payload),
  ];
}

type EventKey = { provider: string; event_id: string };
const keyOf = ({ event }: Unrecorded) => `${event.provider}:${event.eventId}`;
const keyOfRow = (row: EventKey) => `${row.provider}:${row.event_id}`;

/** Inserts the rows; then takes back out those whose subscription an account now holds (see recordBatch). */
async function insertTakingBackHeld(db: Kysely<unknown>, rows: readonly Unrecorded[]): Promise<{ recorded: ReadonlySet<string>; held: ReadonlySet<string> }> {
  const inserted = await queryOn<EventKey>(db, `${insertRows(rows.length)} returning provider, event_id`, rows.flatMap(rowOf));
  const recorded = new Set(inserted.map(keyOfRow));
  const guarded = rows.filter((row) => row.unlessHeld && recorded.has(keyOf(row)));
  if (guarded.length === 0) return { recorded, held: new Set() };
  const takenBack = await queryOn<EventKey>(
    db,
    `delete from webhook_events w
       using unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) as h (provider, event_id, gateway, subscription_id, user_id)
       where w.provider = h.provider and w.event_id = h.event_id
         and (exists (select 1 from account_plans a where a.payment_gateway = h.gateway and a.provider_subscription_id = h.subscription_id)
              or exists (select 1 from account_plans a where a.user_id = h.user_id))
       returning w.provider, w.event_id`,
    [
      guarded.map(({ event }) => event.provider),
      guarded.map(({ event }) => event.eventId),
      guarded.map(({ unlessHeld }) => unlessHeld!.gateway),
      guarded.map(({ unlessHeld }) => unlessHeld!.subscriptionId),
      guarded.map(({ unlessHeld }) => unlessHeld!.userId),
    ],
  );
  return { recorded, held: new Set(takenBack.map(keyOfRow)) };
}

/** Order of (provider, event id) by UTF-16 code units: the same for every process, whatever the collation. */
function compare(a: ProviderEvent, b: ProviderEvent): number {
  if (a.provider !== b.provider) return a.provider < b.provider ? -1 : 1;
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}

interface EventRow {
  provider: PaymentGatewayName;
  event_id: string;
  type: string;
  outcome: WebhookOutcome;
  occurred_at: Date | string;
  received_at: Date | string;
  payload: unknown;
}

function toStored(row: EventRow): StoredWebhookEvent {
  return {
    provider: row.provider,
    eventId: row.event_id,
    type: row.type,
    outcome: row.outcome,
    occurredAt: new Date(row.occurred_at),
    receivedAt: new Date(row.received_at),
    payload: row.payload,
  };
}

export class SqlWebhookEventRepository implements WebhookEventRepository {
  private readonly orm: MikroORM;
  private readonly alone: GroupCommit<Unrecorded, RecordedAlone>;

  constructor(orm: MikroORM) {
    this.orm = orm;
    this.alone = new GroupCommit({ send: (batch) => this.recordBatch(batch), maxBatch: MAX_EVENTS_PER_BATCH, maxInFlight: BATCHES_IN_FLIGHT });
  }

  async recordOnce(event: ProviderEvent, outcome: WebhookOutcome, receivedAt: Date): Promise<boolean> {
    // A concurrent delivery of the same event waits here for the first to commit, then finds it.
    const inserted = await boundQuery(this.orm, `${insertRows(1)} returning event_id`, rowOf({ event, outcome, receivedAt }));
    return inserted.length === 1;
  }

  recordAlone(event: ProviderEvent, outcome: WebhookOutcome, receivedAt: Date, unlessHeld?: SubscriptionHolder): Promise<RecordedAlone> {
    return this.alone.submit({ event, outcome, receivedAt, unlessHeld });
  }

  /**
   * One multi-row insert for the lot, in key order, so two batches that share events (a
   * redelivery racing its first delivery at another process) wait on each other in the same
   * order and cannot deadlock. The same event twice in one batch is answered for by its first.
   * When some events are to be recorded only while no account holds their subscription, the
   * batch is a transaction: after the insert (which took every key, so waited for racing
   * deliveries of the same events to commit or roll back) a second statement looks for the
   * holders again, seeing what those deliveries committed, and takes back out the events an
   * account holds by now.
   */
  private async recordBatch(batch: readonly Unrecorded[]): Promise<RecordedAlone[]> {
    const firsts = new Map<string, Unrecorded>();
    for (const item of batch) if (!firsts.has(keyOf(item))) firsts.set(keyOf(item), item);
    const rows = [...firsts.values()].sort((a, b) => compare(a.event, b.event));
    const client = this.orm.em.getConnection().getClient<unknown>();
    const { recorded, held } = rows.some((row) => row.unlessHeld)
      ? // Read committed, whatever the server's default: the second look must take a snapshot of its own.
        await client.transaction().setIsolationLevel('read committed').execute((transaction) => insertTakingBackHeld(transaction, rows))
      : await insertTakingBackHeld(client, rows);
    return batch.map((item) => {
      const key = keyOf(item);
      if (held.has(key)) return 'held';
      return firsts.get(key) === item && recorded.has(key) ? 'recorded' : 'duplicate';
    });
  }

  async setOutcome(event: Pick<ProviderEvent, 'provider' | 'eventId'>, outcome: WebhookOutcome): Promise<void> {
    await currentEntityManager(this.orm).execute('update webhook_events set outcome = ? where provider = ? and event_id = ?', [
      outcome,
      event.provider,
      event.eventId,
    ]);
  }

  async count(provider: string): Promise<number> {
    const [row] = await currentEntityManager(this.orm).execute<{ count: string }[]>(
      'select count(*) as count from webhook_events where provider = ?',
      [provider],
    );
    return Number(row?.count ?? 0);
  }

  async find(provider: PaymentGatewayName, eventId: string): Promise<StoredWebhookEvent | null> {
    const [row] = await currentEntityManager(this.orm).execute<EventRow[]>('select * from webhook_events where provider = ? and event_id = ?', [
      provider,
      eventId,
    ]);
    return row ? toStored(row) : null;
  }

  async list(filter: { provider?: PaymentGatewayName; outcome?: WebhookOutcome }, page: PageRequest): Promise<Page<StoredWebhookEvent>> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (filter.provider) {
      conditions.push('provider = ?');
      params.push(filter.provider);
    }
    if (filter.outcome) {
      conditions.push('outcome = ?');
      params.push(filter.outcome);
    }
    if (page.after !== undefined) {
      const position = decodeCursor(page.after);
      if (!position || typeof position[0] !== 'string' || typeof position[1] !== 'string' || typeof position[2] !== 'string') {
        throw new InvalidInputError('after', 'after is not a cursor from this list');
      }
      conditions.push('(received_at, provider, event_id) < (?::timestamptz, ?, ?)');
      params.push(...position);
    }
    const rows = await currentEntityManager(this.orm).execute<EventRow[]>(
      `select * from webhook_events ${conditions.length ? `where ${conditions.join(' and ')}` : ''}
       order by received_at desc, provider desc, event_id desc limit ?`,
      [...params, page.first + 1],
    );
    return {
      hasNextPage: rows.length > page.first,
      items: rows.slice(0, page.first).map((row) => ({
        cursor: encodeCursor([new Date(row.received_at).toISOString(), row.provider, row.event_id]),
        node: toStored(row),
      })),
    };
  }
}
