import { token } from '../shared/token.ts';
import type { ProviderEvent, WebhookOutcome } from './provider-event.ts';

export interface WebhookEventRepository {
  /**
   * Records the event inside the caller's unit of work; false when it was recorded before (a
   * redelivery), in which case nothing else may be written for it.
   */
  recordOnce(event: ProviderEvent, outcome: WebhookOutcome, receivedAt: Date): Promise<boolean>;
  /** Corrects the outcome recorded in this unit of work once the effect is known. */
  setOutcome(event: ProviderEvent, outcome: WebhookOutcome): Promise<void>;
  count(provider: string): Promise<number>;
}

export const WEBHOOK_EVENT_REPOSITORY = token<WebhookEventRepository>('WebhookEventRepository');
