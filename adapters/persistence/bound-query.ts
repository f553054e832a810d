import { TransactionContext, type MikroORM } from '@mikro-orm/postgresql';
import { CompiledQuery, type Kysely } from 'kysely';

/**
 * Statements with their `$1…` parameters sent as bind values: the one way SQL written by hand is
 * sent (the ledger, the inbox, payouts, invoices, the audit, the sandbox store, the migration
 * check). MikroORM's entity manager sends the rest, for the aggregates it loads and saves whole.
 * MikroORM's `execute` writes every parameter into the SQL text as an escaped literal, which for
 * a webhook's payload of several kilobytes costs an escape pass and a larger statement to parse,
 * on the hottest paths.
 */

/** In the running transaction when there is one, else on its own pooled connection (autocommit). */
export function boundQuery<R>(orm: MikroORM, sql: string, parameters: readonly unknown[]): Promise<readonly R[]> {
  // Looked up directly: resolving the request's EntityManager would fork one it does not need.
  const transaction = TransactionContext.getEntityManager(orm.em.name)?.getTransactionContext<Kysely<unknown>>();
  return queryOn(transaction ?? orm.em.getConnection().getClient(), sql, parameters);
}

/** Always on its own pooled connection, autocommit: for a batch (GroupCommit), which serves many callers. */
export function pooledQuery<R>(orm: MikroORM, sql: string, parameters: readonly unknown[]): Promise<readonly R[]> {
  return queryOn(orm.em.getConnection().getClient(), sql, parameters);
}

/** On the given connection or transaction. */
export async function queryOn<R>(client: Kysely<unknown>, sql: string, parameters: readonly unknown[]): Promise<readonly R[]> {
  const result = await client.executeQuery<R>(CompiledQuery.raw(sql, [...parameters]));
  return result.rows;
}
