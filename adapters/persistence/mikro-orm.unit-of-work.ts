import type { MikroORM } from '@mikro-orm/postgresql';
import type { UnitOfWork } from '../../application/shared/unit-of-work.port.ts';

/**
 * One transaction per unit of work. MikroORM keeps the transaction's EntityManager in async
 * context, so repositories called inside `work` find it through `currentEntityManager`.
 */
export class MikroOrmUnitOfWork implements UnitOfWork {
  private readonly orm: MikroORM;

  constructor(orm: MikroORM) {
    this.orm = orm;
  }

  transactional<T>(work: () => Promise<T>): Promise<T> {
    const em = this.orm.em.getContext(false);
    if (em.isInTransaction()) return work();
    return em.fork().transactional(() => work());
  }
}
