import type { MikroORM } from '@mikro-orm/postgresql';
import type { PlanChangeRepository } from '../../application/billing/plan-change.repository.ts';
import { PlanChange } from '../../domain/billing/plan-change.entity.ts';
import { currentEntityManager } from './current-entity-manager.ts';

export class MikroOrmPlanChangeRepository implements PlanChangeRepository {
  private readonly orm: MikroORM;

  constructor(orm: MikroORM) {
    this.orm = orm;
  }

  async append(change: PlanChange): Promise<void> {
    await currentEntityManager(this.orm).persist(change).flush();
  }

  listForUser(userId: string, limit: number): Promise<PlanChange[]> {
    return currentEntityManager(this.orm).find(PlanChange, { userId }, { orderBy: { occurredAt: 'desc', id: 'desc' }, limit });
  }
}
