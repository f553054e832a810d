import type { MikroORM } from '@mikro-orm/postgresql';
import { CompiledQuery } from 'kysely';

/**
 * Runs one statement on its own connection from the pool (autocommit, outside any unit of work)
 * with its `$1…` parameters sent as bind values. MikroORM's `execute` writes every parameter
 * into the SQL text as an escaped literal, which for a webhook's payload of several kilobytes
 * costs an escape pass and a larger statement to parse, on the hottest write path.
 */
export async function boundQuery<R>(orm: MikroORM, sql: string, parameters: readonly unknown[]): Promise<readonly R[]> {
  const result = await orm.em.getConnection().getClient().executeQuery<R>(CompiledQuery.raw(sql, [...parameters]));
  return result.rows;
}
