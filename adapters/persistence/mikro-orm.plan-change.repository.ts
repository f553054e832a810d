import type { MikroORM } from '@mikro-orm/postgresql';
import type { PlanChangeRepository } from '../../application/billing/plan-change.repository.ts';
import { PlanChange } from '../../domain/billing/plan-change.entity.ts';
import { checkedAfterLoad } from './checked-after-load.ts';
import { currentEntityManager } from './current-entity-manager.ts';

/** Every PlanChange this repository hands out passes here. */
const restored = (change: PlanChange): PlanChange => checkedAfterLoad('PlanChange', change.id, change);

export class MikroOrmPlanChangeRepository implements PlanChangeRepository {
  private readonly orm: MikroORM;

  constructor(orm: MikroORM) {
    this.orm = orm;
  }

  async append(change: PlanChange): Promise<void> {
    change.assertInvariants();
    await currentEntityManager(this.orm).persist(change).flush();
  }

  async listForUser(userId: string, limit: number): Promise<PlanChange[]> {
    const changes = await currentEntityManager(this.orm).find(PlanChange, { userId }, { orderBy: { occurredAt: 'desc', id: 'desc' }, limit });
    return changes.map(restored);
  }
}
