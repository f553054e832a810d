import { LockMode, raw, type FilterQuery, type MikroORM } from '@mikro-orm/postgresql';
import type { DuplicateSubscriptionRepository } from '../../application/billing/duplicate-subscription.repository.ts';
import type { Page, PageRequest } from '../../application/shared/pagination.ts';
import { DuplicateSubscription, type DuplicateSubscriptionStatus } from '../../domain/billing/duplicate-subscription.entity.ts';
import { InvalidInputError } from '../../domain/shared/errors.ts';
import { decodeCursor, encodeCursor } from '../shared/cursor.ts';
import { checkedAfterLoad } from './checked-after-load.ts';
import { currentEntityManager } from './current-entity-manager.ts';

/** Every DuplicateSubscription this repository hands out passes here. */
const restored = (record: DuplicateSubscription): DuplicateSubscription => checkedAfterLoad('DuplicateSubscription', record.id, record);

export class MikroOrmDuplicateSubscriptionRepository implements DuplicateSubscriptionRepository {
  private readonly orm: MikroORM;

  constructor(orm: MikroORM) {
    this.orm = orm;
  }

  async insert(record: DuplicateSubscription): Promise<void> {
    record.assertInvariants();
    await currentEntityManager(this.orm).persist(record).flush();
  }

  async findByIdForUpdate(id: string): Promise<DuplicateSubscription | null> {
    // refresh: a copy already in the identity map may predate the lock; re-read it under the lock.
    const record = await currentEntityManager(this.orm).findOne(DuplicateSubscription, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
    return record && restored(record);
  }

  async listDue(now: Date, limit: number, userId?: string): Promise<string[]> {
    const where = { _status: 'pending', _nextAttemptAt: { $lte: now }, ...(userId === undefined ? {} : { userId }) };
    const records = await currentEntityManager(this.orm).find(DuplicateSubscription, where as FilterQuery<DuplicateSubscription>, {
      orderBy: { _nextAttemptAt: 'asc', id: 'asc' } as never,
      limit,
      fields: ['id'],
    });
    return records.map((record) => record.id);
  }

  async list(filter: { readonly status?: DuplicateSubscriptionStatus }, page: PageRequest): Promise<Page<DuplicateSubscription>> {
    const conditions: object[] = filter.status ? [{ _status: filter.status }] : [];
    if (page.after !== undefined) {
      const position = decodeCursor(page.after);
      if (!position || typeof position[0] !== 'string' || Number.isNaN(Date.parse(position[0])) || typeof position[1] !== 'string') {
        throw new InvalidInputError('after', 'after is not a cursor from this list');
      }
      // A row comparison, which the (created_at desc, id desc) index starts its scan at; the same
      // condition spelled with \`or\` is only filtered, every row before the cursor read again.
      conditions.push({ [raw((alias: string) => `(${alias}.created_at, ${alias}.id) < (?, ?)`, [new Date(position[0]), position[1]])]: [] });
    }
    const found = await currentEntityManager(this.orm).find(DuplicateSubscription, (conditions.length > 0 ? { $and: conditions } : {}) as FilterQuery<DuplicateSubscription>, {
      orderBy: { createdAt: 'desc', id: 'desc' },
      limit: page.first + 1,
    });
    const records = found.map(restored);
    return {
      hasNextPage: records.length > page.first,
      items: records.slice(0, page.first).map((record) => ({ cursor: encodeCursor([record.createdAt.toISOString(), record.id]), node: record })),
    };
  }

  async save(record: DuplicateSubscription): Promise<void> {
    record.assertInvariants();
    await currentEntityManager(this.orm).persist(record).flush();
  }
}
