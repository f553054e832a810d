import type { DuplicateSubscriptionRepository } from '../../application/billing/duplicate-subscription.repository.ts';
import type { Page, PageRequest } from '../../application/shared/pagination.ts';
import type { DuplicateSubscription, DuplicateSubscriptionStatus } from '../../domain/billing/duplicate-subscription.entity.ts';
import { ConflictError, InvalidInputError } from '../../domain/shared/errors.ts';
import { decodeCursor, encodeCursor } from '../shared/cursor.ts';
import { copyEntity } from './entity-copy.ts';

export class InMemoryDuplicateSubscriptionRepository implements DuplicateSubscriptionRepository {
  private readonly records = new Map<string, DuplicateSubscription>();

  async insert(record: DuplicateSubscription): Promise<void> {
    record.assertInvariants();
    if (this.records.has(record.id) || [...this.records.values()].some((held) => held.canceledSessionId === record.canceledSessionId)) {
      throw new ConflictError(`a duplicate subscription of checkout ${record.canceledSessionId} is recorded already`);
    }
    this.records.set(record.id, copyEntity(record));
  }

  async findByIdForUpdate(id: string): Promise<DuplicateSubscription | null> {
    const found = this.records.get(id);
    return found ? copyEntity(found) : null;
  }

  async listDue(now: Date, limit: number, userId?: string): Promise<string[]> {
    return [...this.records.values()]
      .filter((record) => record.status === 'pending' && record.nextAttemptAt !== null && record.nextAttemptAt <= now && (userId === undefined || record.userId === userId))
      .sort((a, b) => a.nextAttemptAt!.getTime() - b.nextAttemptAt!.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, limit)
      .map((record) => record.id);
  }

  async list(filter: { readonly status?: DuplicateSubscriptionStatus }, page: PageRequest): Promise<Page<DuplicateSubscription>> {
    let after: { createdAt: number; id: string } | null = null;
    if (page.after !== undefined) {
      const position = decodeCursor(page.after);
      if (!position || typeof position[0] !== 'string' || Number.isNaN(Date.parse(position[0])) || typeof position[1] !== 'string') {
        throw new InvalidInputError('after', 'after is not a cursor from this list');
      }
      after = { createdAt: Date.parse(position[0]), id: position[1] };
    }
    const matching = [...this.records.values()]
      .filter((record) => !filter.status || record.status === filter.status)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .filter((record) => !after || record.createdAt.getTime() < after.createdAt || (record.createdAt.getTime() === after.createdAt && record.id < after.id));
    return {
      hasNextPage: matching.length > page.first,
      items: matching.slice(0, page.first).map((record) => ({ cursor: encodeCursor([record.createdAt.toISOString(), record.id]), node: copyEntity(record) })),
    };
  }

  async save(record: DuplicateSubscription): Promise<void> {
    record.assertInvariants();
    this.records.set(record.id, copyEntity(record));
  }
}
