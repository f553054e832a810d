import pg from 'pg';
import type { TestProject } from 'vitest/node';

export const DEFAULT_TEST_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/test';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The server's URL when PostgreSQL answers; null runs the PGlite and in-memory legs only. */
    postgresUrl: string | null;
  }
}

/**
 * Finds the PostgreSQL the suite runs against. Without one the suite still runs everything else
 * and says so plainly; with REQUIRE_POSTGRES=1 (as .ci/run sets) its absence fails the run.
 */
export default async function setup(project: TestProject): Promise<void> {
  const url = process.env['TEST_DATABASE_URL'] || DEFAULT_TEST_DATABASE_URL;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('select 1');
    project.provide('postgresUrl', url);
    console.log(`PostgreSQL leg: running against ${redact(url)}`);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (process.env['REQUIRE_POSTGRES'] === '1') {
      throw new Error(`REQUIRE_POSTGRES=1 but PostgreSQL at ${redact(url)} does not answer: ${reason}`);
    }
    project.provide('postgresUrl', null);
    console.log(`\n*** PostgreSQL leg did NOT run: no server answers at ${redact(url)} (${reason}).`);
    console.log('*** Set TEST_DATABASE_URL or start PostgreSQL to run it; the PGlite leg still runs.\n');
  } finally {
    await client.end().catch(() => undefined);
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
