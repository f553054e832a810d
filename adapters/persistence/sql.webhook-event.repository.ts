import type { MikroORM } from '@mikro-orm/postgresql';
import type { ProviderEvent, WebhookOutcome } from '../../application/webhooks/provider-event.ts';
import type { WebhookEventRepository } from '../../application/webhooks/webhook-event.repository.ts';
import { currentEntityManager } from './current-entity-manager.ts';

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

  async setOutcome(event: ProviderEvent, outcome: WebhookOutcome): Promise<void> {
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
}
