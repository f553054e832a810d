import { TransactionContext, type MikroORM } from '@mikro-orm/postgresql';
import { CompiledQuery, type Kysely } from 'kysely';

/**
 * Runs one statement with its `$1…` parameters sent as bind values, in the running transaction
 * when there is one, else on its own pooled connection (autocommit). MikroORM's `execute` writes
 * every parameter into the SQL text as an escaped literal, which for a webhook's payload of
 * several kilobytes costs an escape pass and a larger statement to parse, on the hottest paths.
 */
export async function boundQuery<R>(orm: MikroORM, sql: string, parameters: readonly unknown[]): Promise<readonly R[]> {
  // Looked up directly: resolving the request's EntityManager would fork one it does not need.
  const transaction = TransactionContext.getEntityManager(orm.em.name)?.getTransactionContext<Kysely<unknown>>();
  const client = transaction ?? orm.em.getConnection().getClient();
  const result = await client.executeQuery<R>(CompiledQuery.raw(sql, [...parameters]));
  return result.rows;
}
