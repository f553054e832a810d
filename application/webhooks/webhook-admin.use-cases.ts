import { isOneOf, PAYMENT_GATEWAYS, type PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { InvalidInputError, NotFoundError } from '../../domain/shared/errors.ts';
import { requireRole } from '../shared/authorization.ts';
import type { Requester } from '../shared/requester.ts';
import type { UnitOfWork } from '../shared/unit-of-work.port.ts';
import { parsePage } from '../wallet/wallet-queries.use-cases.ts';
import type { Page } from '../wallet/wallet-ledger.port.ts';
import type { HandleProviderEvent } from './handle-provider-event.use-case.ts';
import type { WebhookOutcome } from './provider-event.ts';
import type { StoredEventReader, StoredWebhookEvent, WebhookEventRepository } from './webhook-event.repository.ts';

const OUTCOMES: readonly WebhookOutcome[] = ['applied', 'ignored', 'stale'];

/** The id internal tools use for an event: `stripe:evt_…`, `razorpay:<event id>`. */
export function webhookEventId(event: Pick<StoredWebhookEvent, 'provider' | 'eventId'>): string {
  return `${event.provider}:${event.eventId}`;
}

function parseWebhookEventId(raw: unknown): { provider: PaymentGatewayName; eventId: string } {
  const [provider, ...rest] = typeof raw === 'string' ? raw.split(':') : [];
  const eventId = rest.join(':');
  if (!isOneOf(PAYMENT_GATEWAYS, provider) || eventId.length === 0) {
    throw new InvalidInputError('id', 'id must look like "stripe:evt_…" or "razorpay:<event id>"');
  }
  return { provider, eventId };
}

/** Admin tools over received webhooks: list them, and apply one again. */
export class WebhookAdmin {
  private readonly events: WebhookEventRepository;
  private readonly reader: StoredEventReader;
  private readonly handler: HandleProviderEvent;
  private readonly uow: UnitOfWork;

  constructor(events: WebhookEventRepository, reader: StoredEventReader, handler: HandleProviderEvent, uow: UnitOfWork) {
    this.events = events;
    this.reader = reader;
    this.handler = handler;
    this.uow = uow;
  }

  list(input: { requester: Requester; provider?: unknown; outcome?: unknown; first?: unknown; after?: unknown }): Promise<Page<StoredWebhookEvent>> {
    requireRole(input.requester, 'admin');
    if (input.provider != null && !isOneOf(PAYMENT_GATEWAYS, input.provider)) {
      throw new InvalidInputError('provider', `provider must be one of ${PAYMENT_GATEWAYS.join(', ')}`);
    }
    if (input.outcome != null && !isOneOf(OUTCOMES, input.outcome)) {
      throw new InvalidInputError('outcome', `outcome must be one of ${OUTCOMES.join(', ')}`);
    }
    return this.events.list(
      { ...(input.provider ? { provider: input.provider as PaymentGatewayName } : {}), ...(input.outcome ? { outcome: input.outcome as WebhookOutcome } : {}) },
      parsePage(input.first, input.after),
    );
  }

  /**
   * Applies a recorded event again, for one that arrived before what it refers to existed. Safe
   * to repeat: completions happen once and subscription state only moves forward in time.
   */
  async replay(input: { requester: Requester; id: unknown }): Promise<StoredWebhookEvent> {
    requireRole(input.requester, 'admin');
    const { provider, eventId } = parseWebhookEventId(input.id);
    const stored = await this.events.find(provider, eventId);
    if (!stored) throw new NotFoundError(`no webhook event ${provider}:${eventId}`);
    await this.uow.transactional(() => this.handler.apply(this.reader.read(stored)).then((outcome) => this.events.setOutcome(stored, outcome)));
    return (await this.events.find(provider, eventId))!;
  }
}
