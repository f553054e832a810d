import { parseOneOf, PAYMENT_GATEWAY_NAMES, type PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { requireRole } from '../shared/authorization.ts';
import type { Requester } from '../shared/requester.ts';
import { parsePage, type Page, type PageRequest } from '../shared/pagination.ts';
import type { InboxEvent, ProviderEventInbox } from './provider-event-inbox.port.ts';
import { INBOX_STATUSES, type InboxStatus } from './provider-event.ts';

/** `webhookEvents(provider, status, first, after)` as the edge received it. */
export interface ListWebhookEventsRequest {
  readonly requester: Requester;
  readonly provider?: unknown;
  readonly status?: unknown;
  readonly first?: unknown;
  readonly after?: unknown;
}

export interface ListWebhookEventsInput {
  readonly requester: Requester;
  readonly filter: { readonly provider?: PaymentGatewayName; readonly status?: InboxStatus };
  readonly page: PageRequest;
}

export function parseListWebhookEventsInput(request: ListWebhookEventsRequest): ListWebhookEventsInput {
  const provider = request.provider == null ? null : parseOneOf(PAYMENT_GATEWAY_NAMES, request.provider, 'provider');
  const status = request.status == null ? null : parseOneOf(INBOX_STATUSES, request.status, 'status');
  return {
    requester: request.requester,
    filter: { ...(provider ? { provider } : {}), ...(status ? { status } : {}) },
    page: parsePage(request.first, request.after),
  };
}

/** An admin's list of received provider events (failed and dead ones among them), newest first. */
export class ListWebhookEvents {
  private readonly inbox: ProviderEventInbox;

  constructor(inbox: ProviderEventInbox) {
    this.inbox = inbox;
  }

  execute(request: ListWebhookEventsRequest): Promise<Page<InboxEvent>> {
    requireRole(request.requester, 'admin');
    const input = parseListWebhookEventsInput(request);
    return this.inbox.list(input.filter, input.page);
  }
}
