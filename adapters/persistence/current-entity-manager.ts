import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';

/**
 * The EntityManager of the running transaction or request when there is one; otherwise a fresh
 * fork, so that a read outside any context never shares an identity map with another request.
 */
export function currentEntityManager(orm: MikroORM): EntityManager {
  const em = orm.em.getContext(false);
  return em === orm.em ? orm.em.fork() : em;
}
