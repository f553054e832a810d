import { isOneOf, PAYMENT_GATEWAY_NAMES, type PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { ConflictError, InvalidInputError, NotFoundError } from '../../domain/shared/errors.ts';
import { requireRole } from '../shared/authorization.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { Requester } from '../shared/requester.ts';
import { parsePage, type Page } from '../shared/pagination.ts';
import type { InboxEvent, ProviderEventInbox } from './provider-event-inbox.port.ts';
import { INBOX_STATUSES, type InboxStatus } from './provider-event.ts';

/** Admin tools over received provider events: list them (failed and dead ones among them), and queue one again. */
export class WebhookAdmin {
  private readonly inbox: ProviderEventInbox;
  private readonly clock: Clock;
  private readonly queued: () => void;

  constructor(inbox: ProviderEventInbox, clock: Clock, queued: () => void) {
    this.inbox = inbox;
    this.clock = clock;
    this.queued = queued;
  }

  list(input: { requester: Requester; provider?: unknown; status?: unknown; first?: unknown; after?: unknown }): Promise<Page<InboxEvent>> {
    requireRole(input.requester, 'admin');
    if (input.provider != null && !isOneOf(PAYMENT_GATEWAY_NAMES, input.provider)) {
      throw new InvalidInputError('provider', `provider must be one of ${PAYMENT_GATEWAY_NAMES.join(', ')}`);
    }
    if (input.status != null && !isOneOf(INBOX_STATUSES, input.status)) {
      throw new InvalidInputError('status', `status must be one of ${INBOX_STATUSES.join(', ')}`);
    }
    return this.inbox.list(
      { ...(input.provider ? { provider: input.provider as PaymentGatewayName } : {}), ...(input.status ? { status: input.status as InboxStatus } : {}) },
      parsePage(input.first, input.after),
    );
  }

  /**
   * Queues a recorded event again, due now: a worker reads its subject's current state and applies
   * that. Safe to repeat, and never moves state backwards: the event's payload is not applied.
   */
  async replay(input: { requester: Requester; id: unknown }): Promise<InboxEvent> {
    requireRole(input.requester, 'admin');
    if (typeof input.id !== 'string' || !/^\d{1,18}$/.test(input.id)) throw new InvalidInputError('id', 'id must be the id of a webhook event (a number, as webhookEvents lists it)');
    const event = await this.inbox.requeue(input.id, this.clock.now());
    if (!event) throw new NotFoundError(`no webhook event ${input.id}`);
    if (!event.subject) throw new ConflictError(`webhook event ${input.id} (${event.type}) is not about anything this service acts on: there is nothing to apply`);
    this.queued();
    return event;
  }
}
