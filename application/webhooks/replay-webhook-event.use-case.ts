import { ConflictError, InvalidInputError, NotFoundError } from '../../domain/shared/errors.ts';
import { requireRole } from '../shared/authorization.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { Requester } from '../shared/requester.ts';
import type { InboxEvent, ProviderEventInbox } from './provider-event-inbox.port.ts';

/** `replayWebhookEvent(id)` as the edge received it. */
export interface ReplayWebhookEventRequest {
  readonly requester: Requester;
  readonly id: unknown;
}

export interface ReplayWebhookEventInput {
  readonly requester: Requester;
  /** Our id of the event, as webhookEvents lists it. */
  readonly eventId: string;
}

export function parseReplayWebhookEventInput(request: ReplayWebhookEventRequest): ReplayWebhookEventInput {
  if (typeof request.id !== 'string' || !/^\d{1,18}$/.test(request.id)) throw new InvalidInputError('id', 'id must be the id of a webhook event (a number, as webhookEvents lists it)');
  return { requester: request.requester, eventId: request.id };
}

/**
 * An admin queues a recorded event again, due now: a worker reads its subject's current state and
 * applies that. Safe to repeat, and never moves state backwards: the event's payload is not applied.
 */
export class ReplayWebhookEvent {
  private readonly inbox: ProviderEventInbox;
  private readonly clock: Clock;
  private readonly queued: () => void;

  constructor(deps: { readonly inbox: ProviderEventInbox; readonly clock: Clock; readonly queued: () => void }) {
    this.inbox = deps.inbox;
    this.clock = deps.clock;
    this.queued = deps.queued;
  }

  async execute(request: ReplayWebhookEventRequest): Promise<InboxEvent> {
    requireRole(request.requester, 'admin');
    const { eventId } = parseReplayWebhookEventInput(request);
    const event = await this.inbox.requeue(eventId, this.clock.now());
    if (!event) throw new NotFoundError(`no webhook event ${eventId}`);
    if (!event.subject) throw new ConflictError(`webhook event ${eventId} (${event.type}) is not about anything this service acts on: there is nothing to apply`);
    this.queued();
    return event;
  }
}
