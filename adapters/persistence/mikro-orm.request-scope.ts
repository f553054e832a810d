import { RequestContext, type MikroORM } from '@mikro-orm/postgresql';
import type { RequestScope } from '../../application/shared/request-scope.port.ts';

/** One forked EntityManager per request or job, found by repositories through async context. */
export class MikroOrmRequestScope implements RequestScope {
  private readonly orm: MikroORM;

  constructor(orm: MikroORM) {
    this.orm = orm;
  }

  run<T>(work: () => Promise<T>): Promise<T> {
    return RequestContext.create(this.orm.em, work);
  }
}
