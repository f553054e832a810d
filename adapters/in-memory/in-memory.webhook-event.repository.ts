import type { ProviderEvent, WebhookOutcome } from '../../application/webhooks/provider-event.ts';
import type { AccountPlanRepository, SubscriptionHolder } from '../../application/billing/account-plan.repository.ts';
import type { RecordedAlone, StoredWebhookEvent, WebhookEventRepository } from '../../application/webhooks/webhook-event.repository.ts';
import type { Page, PageRequest } from '../../application/wallet/wallet-ledger.port.ts';
import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { InvalidInputError } from '../../domain/shared/errors.ts';
import { decodeCursor, encodeCursor } from '../shared/cursor.ts';

export class InMemoryWebhookEventRepository implements WebhookEventRepository {
  private readonly events = new Map<string, StoredWebhookEvent>();
  private readonly accounts: Pick<AccountPlanRepository, 'existsForSubscription'> | undefined;

  /** `accounts` answers `unlessHeld`; without it no subscription is held. */
  constructor(accounts?: Pick<AccountPlanRepository, 'existsForSubscription'>) {
    this.accounts = accounts;
  }

  async recordOnce(event: ProviderEvent, outcome: WebhookOutcome, receivedAt: Date): Promise<boolean> {
    const key = `${event.provider}:${event.eventId}`;
    if (this.events.has(key)) return false;
    const { provider, eventId, type, occurredAt, payload } = event;
    this.events.set(key, { provider, eventId, type, occurredAt, payload, outcome, receivedAt });
    return true;
  }

  async recordAlone(event: ProviderEvent, outcome: WebhookOutcome, receivedAt: Date, unlessHeld?: SubscriptionHolder): Promise<RecordedAlone> {
    if (this.events.has(`${event.provider}:${event.eventId}`)) return 'duplicate';
    if (unlessHeld && (await this.accounts?.existsForSubscription(unlessHeld))) return 'held';
    return (await this.recordOnce(event, outcome, receivedAt)) ? 'recorded' : 'duplicate';
  }

  async setOutcome(event: Pick<ProviderEvent, 'provider' | 'eventId'>, outcome: WebhookOutcome): Promise<void> {
    const key = `${event.provider}:${event.eventId}`;
    const stored = this.events.get(key);
    if (stored) this.events.set(key, { ...stored, outcome });
  }

  async count(provider: string): Promise<number> {
    return [...this.events.values()].filter((event) => event.provider === provider).length;
  }

  async find(provider: PaymentGatewayName, eventId: string): Promise<StoredWebhookEvent | null> {
    return this.events.get(`${provider}:${eventId}`) ?? null;
  }

  async list(filter: { provider?: PaymentGatewayName; outcome?: WebhookOutcome }, page: PageRequest): Promise<Page<StoredWebhookEvent>> {
    const all = [...this.events.values()]
      .filter((event) => (!filter.provider || event.provider === filter.provider) && (!filter.outcome || event.outcome === filter.outcome))
      .reverse();
    let start = 0;
    if (page.after !== undefined) {
      const index = decodeCursor(page.after)?.[0];
      if (typeof index !== 'number' || index < 0 || index >= all.length) throw new InvalidInputError('after', 'after is not a cursor from this list');
      start = index + 1;
    }
    return {
      hasNextPage: all.length > start + page.first,
      items: all.slice(start, start + page.first).map((node, offset) => ({ cursor: encodeCursor([start + offset]), node })),
    };
  }
}
