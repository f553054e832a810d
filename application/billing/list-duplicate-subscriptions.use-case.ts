import { DUPLICATE_SUBSCRIPTION_STATUSES, type DuplicateSubscription, type DuplicateSubscriptionStatus } from '../../domain/billing/duplicate-subscription.entity.ts';
import { isOneOf } from '../../domain/billing/plan.value-objects.ts';
import { InvalidInputError } from '../../domain/shared/errors.ts';
import { requireRole } from '../shared/authorization.ts';
import type { Requester } from '../shared/requester.ts';
import { parsePage, type Page } from '../shared/pagination.ts';
import type { DuplicateSubscriptionRepository } from './duplicate-subscription.repository.ts';

/** For admins: the second subscriptions settled (canceled and refunded), newest first; `failed` ones need a person. */
export class ListDuplicateSubscriptions {
  private readonly duplicates: DuplicateSubscriptionRepository;

  constructor(duplicates: DuplicateSubscriptionRepository) {
    this.duplicates = duplicates;
  }

  execute(input: { requester: Requester; status?: unknown; first?: unknown; after?: unknown }): Promise<Page<DuplicateSubscription>> {
    requireRole(input.requester, 'admin');
    if (input.status != null && !isOneOf(DUPLICATE_SUBSCRIPTION_STATUSES, input.status)) {
      throw new InvalidInputError('status', `status must be one of ${DUPLICATE_SUBSCRIPTION_STATUSES.join(', ')}`);
    }
    return this.duplicates.list(input.status ? { status: input.status as DuplicateSubscriptionStatus } : {}, parsePage(input.first, input.after));
  }
}
