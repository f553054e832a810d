import type { ProviderEvent, WebhookOutcome } from '../../application/webhooks/provider-event.ts';
import type { WebhookEventRepository } from '../../application/webhooks/webhook-event.repository.ts';

export class InMemoryWebhookEventRepository implements WebhookEventRepository {
  private readonly outcomes = new Map<string, WebhookOutcome>();

  async recordOnce(event: ProviderEvent, outcome: WebhookOutcome): Promise<boolean> {
    const key = `${event.provider}:${event.eventId}`;
    if (this.outcomes.has(key)) return false;
    this.outcomes.set(key, outcome);
    return true;
  }

  async setOutcome(event: ProviderEvent, outcome: WebhookOutcome): Promise<void> {
    this.outcomes.set(`${event.provider}:${event.eventId}`, outcome);
  }

  async count(provider: string): Promise<number> {
    return [...this.outcomes.keys()].filter((key) => key.startsWith(`${provider}:`)).length;
  }
}
