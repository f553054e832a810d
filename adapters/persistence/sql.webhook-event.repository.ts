import type { MikroORM } from '@mikro-orm/postgresql';
import type { ProviderEvent, WebhookOutcome } from '../../application/webhooks/provider-event.ts';
import type { StoredWebhookEvent, WebhookEventRepository } from '../../application/webhooks/webhook-event.repository.ts';
import type { Page, PageRequest } from '../../application/wallet/wallet-ledger.port.ts';
import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { InvalidInputError } from '../../domain/shared/errors.ts';
import { decodeCursor, encodeCursor } from '../shared/cursor.ts';
import { currentEntityManager } from './current-entity-manager.ts';

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

  constructor(orm: MikroORM) {
    this.orm = orm;
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
