import { DUPLICATE_SUBSCRIPTION_STATUSES, type DuplicateSubscription, type DuplicateSubscriptionStatus } from '../../domain/billing/duplicate-subscription.entity.ts';
import { parseOneOf } from '../../domain/billing/plan.value-objects.ts';
import { requireRole } from '../shared/authorization.ts';
import type { Requester } from '../shared/requester.ts';
import { parsePage, type Page, type PageRequest } from '../shared/pagination.ts';
import type { DuplicateSubscriptionRepository } from './duplicate-subscription.repository.ts';

/** `duplicateSubscriptions(status, first, after)` as the edge received it. */
export interface ListDuplicateSubscriptionsRequest {
  readonly requester: Requester;
  readonly status?: unknown;
  readonly first?: unknown;
  readonly after?: unknown;
}

export interface ListDuplicateSubscriptionsInput {
  readonly requester: Requester;
  /** Null for every status. */
  readonly status: DuplicateSubscriptionStatus | null;
  readonly page: PageRequest;
}

export function parseListDuplicateSubscriptionsInput(request: ListDuplicateSubscriptionsRequest): ListDuplicateSubscriptionsInput {
  const status = request.status == null ? null : parseOneOf(DUPLICATE_SUBSCRIPTION_STATUSES, request.status, 'status');
  return { requester: request.requester, status, page: parsePage(request.first, request.after) };
}

/** For admins: the second subscriptions settled (canceled and refunded), newest first; `failed` ones need a person. */
export class ListDuplicateSubscriptions {
  private readonly duplicates: DuplicateSubscriptionRepository;

  constructor(duplicates: DuplicateSubscriptionRepository) {
    this.duplicates = duplicates;
  }

  execute(request: ListDuplicateSubscriptionsRequest): Promise<Page<DuplicateSubscription>> {
    requireRole(request.requester, 'admin');
    const input = parseListDuplicateSubscriptionsInput(request);
    return this.duplicates.list(input.status ? { status: input.status } : {}, input.page);
  }
}
