import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { openDatabase, type Database } from '../../adapters/persistence/database.ts';

export const postgresUrl = inject('postgresUrl');

/** A database of its own for one test file, created empty and dropped afterwards. */
export interface TestDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

export async function createPostgresDatabase(serverUrl: string): Promise<TestDatabase> {
  const name = `billing_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminQuery(serverUrl, `create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => adminQuery(serverUrl, `drop database if exists ${name} with (force)`),
  };
}

/** One statement on a connection of its own. */
export async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export type Backend = 'postgresql' | 'pglite';

/** Opens and migrates a fresh database of the given kind; `close` also drops it. */
export async function openTestDatabase(backend: Backend): Promise<Database> {
  if (backend === 'pglite') {
    const database = await openDatabase({ dataDir: 'memory://', poolMax: 1 });
    await database.migrate();
    return database;
  }
  if (!postgresUrl) throw new Error('PostgreSQL is not available');
  const created = await createPostgresDatabase(postgresUrl);
  const database = await openDatabase({ url: created.url, dataDir: '', poolMax: 5 });
  await database.migrate();
  return {
    ...database,
    async close() {
      await database.close();
      await created.drop();
    },
  };
}

/** The backends this run can reach: PGlite always, PostgreSQL when a server answers. */
export const BACKENDS: Backend[] = postgresUrl ? ['postgresql', 'pglite'] : ['pglite'];
