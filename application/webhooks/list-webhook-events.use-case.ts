import { isOneOf, PAYMENT_GATEWAY_NAMES, type PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { InvalidInputError } from '../../domain/shared/errors.ts';
import { requireRole } from '../shared/authorization.ts';
import type { Requester } from '../shared/requester.ts';
import { parsePage, type Page } from '../shared/pagination.ts';
import type { InboxEvent, ProviderEventInbox } from './provider-event-inbox.port.ts';
import { INBOX_STATUSES, type InboxStatus } from './provider-event.ts';

/** An admin's list of received provider events (failed and dead ones among them), newest first. */
export class ListWebhookEvents {
  private readonly inbox: ProviderEventInbox;

  constructor(inbox: ProviderEventInbox) {
    this.inbox = inbox;
  }

  execute(input: { requester: Requester; provider?: unknown; status?: unknown; first?: unknown; after?: unknown }): Promise<Page<InboxEvent>> {
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
}
