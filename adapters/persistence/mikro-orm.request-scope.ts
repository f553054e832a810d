import { AsyncLocalStorage } from 'node:async_hooks';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { RequestScope } from '../../application/shared/request-scope.port.ts';

/** Each scope's forks, one per ORM (a test may open two databases in one process). */
const scopes = new AsyncLocalStorage<Map<MikroORM, EntityManager>>();

/**
 * The running request's or job's own EntityManager, forked the first time something asks for it;
 * undefined outside any scope. MikroORM calls it as its `context` (see database.ts). Forking is
 * lazy because most requests never read outside a transaction (a transaction forks its own): a
 * webhook delivery or a tool-call charge would pay for a fork it never uses.
 */
export function scopedEntityManager(orm: MikroORM | undefined): EntityManager | undefined {
  const scope = scopes.getStore();
  if (!scope || !orm) return undefined;
  let em = scope.get(orm);
  if (!em) {
    // A fork being made resolves the context itself (MikroORM's constructors ask for it), which
    // would ask this function for the fork it is making: it runs outside the scope, so it sees
    // none meanwhile, as when MikroORM forks for its own RequestContext.
    em = scopes.exit(() => orm.em.fork({ useContext: true, disableContextResolution: true }));
    scope.set(orm, em);
  }
  return em;
}

/** One EntityManager per request or job, found by repositories through async context. */
export class MikroOrmRequestScope implements RequestScope {
  run<T>(work: () => Promise<T>): Promise<T> {
    return scopes.run(new Map(), work);
  }
}
