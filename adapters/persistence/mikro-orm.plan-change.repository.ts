import type { MikroORM } from '@mikro-orm/postgresql';
import type { PlanChangeRepository } from '../../application/billing/plan-change.repository.ts';
import { PlanChange } from '../../domain/billing/plan-change.entity.ts';
import { restoring } from '../../domain/shared/errors.ts';
import { currentEntityManager } from './current-entity-manager.ts';

/** Every change this repository hands out passes here: MikroORM ran no constructor, so the row is checked now (CorruptRecordError). */
function restored(change: PlanChange): PlanChange {
  return restoring('PlanChange', change.id, () => {
    change.assertInvariants();
    return change;
  });
}

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
