import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import type { SubscriptionHolder } from '../billing/account-plan.repository.ts';
import { token } from '../shared/token.ts';
import type { Page, PageRequest } from '../wallet/wallet-ledger.port.ts';
import type { ProviderEvent, WebhookOutcome } from './provider-event.ts';

/** An event as it was received and what it did. */
export interface StoredWebhookEvent {
  readonly provider: PaymentGatewayName;
  readonly eventId: string;
  readonly type: string;
  readonly outcome: WebhookOutcome;
  readonly occurredAt: Date;
  readonly receivedAt: Date;
  readonly payload: unknown;
}

export type RecordedAlone = 'recorded' | 'duplicate' | 'held';

export interface WebhookEventRepository {
  /**
   * Records the event inside the caller's unit of work; false when it was recorded before (a
   * redelivery), in which case nothing else may be written for it.
   */
  recordOnce(event: ProviderEvent, outcome: WebhookOutcome, receivedAt: Date): Promise<boolean>;
  /**
   * Records an event that changes nothing else, in a write of its own (never inside a unit of
   * work; concurrent calls may share one statement): `duplicate` when it was recorded before.
   * With `unlessHeld`, the holder is looked for again once the event's key is taken, so after any
   * racing delivery of the same event has committed or rolled back: if an account holds the
   * subscription by then, nothing is recorded and the answer is `held` (apply it as usual).
   */
  recordAlone(event: ProviderEvent, outcome: WebhookOutcome, receivedAt: Date, unlessHeld?: SubscriptionHolder): Promise<RecordedAlone>;
  /** Corrects the outcome recorded in this unit of work once the effect is known. */
  setOutcome(event: Pick<ProviderEvent, 'provider' | 'eventId'>, outcome: WebhookOutcome): Promise<void>;
  count(provider: string): Promise<number>;
  find(provider: PaymentGatewayName, eventId: string): Promise<StoredWebhookEvent | null>;
  /** Newest received first. */
  list(filter: { provider?: PaymentGatewayName; outcome?: WebhookOutcome }, page: PageRequest): Promise<Page<StoredWebhookEvent>>;
}

/** Turns a stored payload back into an event, without a signature (it was checked on receipt). */
export interface StoredEventReader {
  read(stored: StoredWebhookEvent): ProviderEvent;
}

export const STORED_EVENT_READER = token<StoredEventReader>('StoredEventReader');

export const WEBHOOK_EVENT_REPOSITORY = token<WebhookEventRepository>('WebhookEventRepository');
