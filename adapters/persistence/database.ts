import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { AccountPlanSchema } from './account-plan.schema.ts';
import { CheckoutSessionSchema } from './checkout-session.schema.ts';
import { DuplicateSubscriptionSchema } from './duplicate-subscription.schema.ts';
import { PlanChangeSchema } from './plan-change.schema.ts';
import { MIGRATIONS } from './migrations/index.ts';
import { scopedEntityManager } from './mikro-orm.request-scope.ts';

export const ENTITY_SCHEMAS = [AccountPlanSchema, CheckoutSessionSchema, PlanChangeSchema, DuplicateSubscriptionSchema];

/** Any fixed 64-bit number: every process that migrates takes this advisory lock first. */
const MIGRATION_LOCK_KEY = 7_465_901_223;

/**
 * PGlite runs one Postgres session and multiplexes every socket onto it; a second pooled
 * connection would interleave two transactions in that one session, so the pool holds one.
 */
const PGLITE_MAX_CONNECTIONS = 1;

export interface DatabaseOptions {
  /** A PostgreSQL connection URL; without one an embedded PGlite database is used. */
  readonly url?: string | undefined;
  /** Where the embedded database keeps its files; `memory://` keeps nothing. */
  readonly dataDir: string;
  readonly poolMax: number;
}

export interface Database {
  readonly orm: MikroORM;
  readonly kind: 'postgresql' | 'pglite';
  /** Applies pending migrations; safe to call from several processes at once. */
  migrate(): Promise<void>;
  /** Resolves when the database answers a query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) return openPostgres(options.url, options.poolMax);
  return openPglite(options.dataDir);
}

async function openPostgres(url: string, poolMax: number): Promise<Database> {
  const orm = await initOrm(url, poolMax);
  return {
    orm,
    kind: 'postgresql',
    async migrate() {
      // The migrator runs on the ORM's pool; a separate session holds the lock around it so
      // that processes starting together apply each migration once, one after another.
      const lock = new pg.Client({ connectionString: url });
      await lock.connect();
      try {
        await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
        await orm.migrator.up();
      } finally {
        await lock.end();
      }
    },
    ping: () => ping(orm),
    close: () => orm.close(),
  };
}

async function openPglite(dataDir: string): Promise<Database> {
  const inMemory = dataDir.startsWith('memory://');
  const pgliteDir = inMemory ? dataDir : join(dataDir, 'pglite');
  if (!inMemory) await mkdir(pgliteDir, { recursive: true });
  const db = await PGlite.create(pgliteDir);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: PGLITE_MAX_CONNECTIONS });
  await server.start();
  const orm = await initOrm(`postgresql://postgres@${server.getServerConn()}/postgres`, PGLITE_MAX_CONNECTIONS);
  return {
    orm,
    kind: 'pglite',
    async migrate() {
      await orm.migrator.up();
    },
    ping: () => ping(orm),
    async close() {
      await orm.close();
      await server.stop();
      await db.close();
    },
  };
}

async function initOrm(clientUrl: string, poolMax: number): Promise<MikroORM> {
  let orm: MikroORM | undefined;
  orm = await MikroORM.init({
    clientUrl,
    entities: ENTITY_SCHEMAS,
    extensions: [Migrator],
    migrations: { migrationsList: MIGRATIONS, snapshot: false, snapshotOnMigrate: false, silent: true },
    pool: { min: 0, max: poolMax },
    ensureDatabase: false,
    allowGlobalContext: false,
    context: () => scopedEntityManager(orm),
    debug: false,
  });
  return orm;
}

async function ping(orm: MikroORM): Promise<void> {
  await orm.em.getConnection().execute('select 1');
}
