import type { MikroORM } from '@mikro-orm/postgresql';
import type { ProviderEvent, WebhookOutcome } from '../../application/webhooks/provider-event.ts';
import type { StoredWebhookEvent, WebhookEventRepository } from '../../application/webhooks/webhook-event.repository.ts';
import type { Page, PageRequest } from '../../application/wallet/wallet-ledger.port.ts';
import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { InvalidInputError } from '../../domain/shared/errors.ts';
import { decodeCursor, encodeCursor } from '../shared/cursor.ts';
import { boundQuery } from './bound-query.ts';
import { currentEntityManager } from './current-entity-manager.ts';
import { GroupCommit } from './group-commit.ts';

/** Events recorded alone that arrive together go in one statement, up to this many. */
export const MAX_EVENTS_PER_BATCH = 64;
const BATCHES_IN_FLIGHT = 4;

interface Unrecorded {
  readonly event: ProviderEvent;
  readonly outcome: WebhookOutcome;
  readonly receivedAt: Date;
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

  private readonly alone: GroupCommit<Unrecorded, boolean>;

  constructor(orm: MikroORM) {
    this.orm = orm;
    this.alone = new GroupCommit({ send: (batch) => this.recordBatch(batch), maxBatch: MAX_EVENTS_PER_BATCH, maxInFlight: BATCHES_IN_FLIGHT });
  }

  async recordOnce(event: ProviderEvent, outcome: WebhookOutcome, receivedAt: Date): Promise<boolean> {
    // A concurrent delivery of the same event waits here for the first to commit, then finds it.
    const inserted = await currentEntityManager(this.orm).execute<{ event_id: string }[]>(
      `insert into webhook_events (provider, event_id, type, outcome, occurred_at, received_at, payload)
       values (?, ?, ?, ?, ?, ?, ?::jsonb) on conflict (provider, event_id) do nothing returning event_id`,
      [event.provider, event.eventId, event.type, outcome, event.occurredAt, receivedAt, JSON.stringify(event.payload)],
    );
    return inserted.length === 1;
  }

  recordAlone(event: ProviderEvent, outcome: WebhookOutcome, receivedAt: Date): Promise<boolean> {
    return this.alone.submit({ event, outcome, receivedAt });
  }

  /**
   * One autocommit insert for the lot. Rows go in key order, so two batches that share events
   * (a redelivery racing its first delivery at two processes) wait on each other in the same
   * order and cannot deadlock; the same event twice in one batch is recorded once, by the first.
   */
  private async recordBatch(batch: readonly Unrecorded[]): Promise<boolean[]> {
    const keyOf = ({ event }: Unrecorded) => `${event.provider}\u0000${event.eventId}`;
    const firsts = new Map<string, Unrecorded>();
    for (const item of batch) if (!firsts.has(keyOf(item))) firsts.set(keyOf(item), item);
    const rows = [...firsts.values()];
    const inserted = await boundQuery<{ provider: string; event_id: string }>(
      this.orm,
      `insert into webhook_events (provider, event_id, type, outcome, occurred_at, received_at, payload)
       select provider, event_id, type, outcome, occurred_at, received_at, payload::jsonb
       from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::text[])
         as batch (provider, event_id, type, outcome, occurred_at, received_at, payload)
       order by provider, event_id
       on conflict (provider, event_id) do nothing
       returning provider, event_id`,
      [
        rows.map(({ event }) => event.provider),
        rows.map(({ event }) => event.eventId),
        rows.map(({ event }) => event.type),
        rows.map(({ outcome }) => outcome),
        rows.map(({ event }) => event.occurredAt.toISOString()),
        rows.map(({ receivedAt }) => receivedAt.toISOString()),
        rows.map(({ event }) => JSON.stringify(event.payload)),
      ],
    );
    const recorded = new Set(inserted.map((row) => `${row.provider}\u0000${row.event_id}`));
    return batch.map((item) => firsts.get(keyOf(item)) === item && recorded.has(keyOf(item)));
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
