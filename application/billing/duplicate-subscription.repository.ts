import type { DuplicateSubscription, DuplicateSubscriptionStatus } from '../../domain/billing/duplicate-subscription.entity.ts';
import { token } from '../shared/token.ts';
import type { Page, PageRequest } from '../shared/pagination.ts';

export interface DuplicateSubscriptionRepository {
  /** Stores a new decision; at most one per canceled checkout (a second is refused). */
  insert(record: DuplicateSubscription): Promise<void>;
  /** Finds and locks the record until the unit of work ends; use inside `UnitOfWork.transactional`. */
  findByIdForUpdate(id: string): Promise<DuplicateSubscription | null>;
  /** The pending records due by `now` (of one user, when given), oldest first, at most `limit`: their ids. */
  listDue(now: Date, limit: number, userId?: string): Promise<string[]>;
  /** Newest first, for admins. */
  list(filter: { readonly status?: DuplicateSubscriptionStatus }, page: PageRequest): Promise<Page<DuplicateSubscription>>;
  save(record: DuplicateSubscription): Promise<void>;
}

export const DUPLICATE_SUBSCRIPTION_REPOSITORY = token<DuplicateSubscriptionRepository>('DuplicateSubscriptionRepository');
