import { TransactionContext, type MikroORM } from '@mikro-orm/postgresql';
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
    if (TransactionContext.getEntityManager(this.orm.em.name)) return work();
    // The transaction forks its own EntityManager and hands what it loaded to its parent at the
    // end: a bare fork as the parent keeps that out of the request's (and does not make one).
    return this.orm.em.fork({ disableContextResolution: true }).transactional(() => work());
  }
}
