import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { AccountPlanSchema } from './account-plan.schema.ts';
import { CheckoutSessionSchema } from './checkout-session.schema.ts';
import { DuplicateSubscriptionSchema } from './duplicate-subscription.schema.ts';
import { PlanChangeSchema } from './plan-change.schema.ts';
import { pooledQuery } from './bound-query.ts';
import { MIGRATIONS } from './migrations/index.ts';
import { scopedEntityManager } from './mikro-orm.request-scope.ts';
import { lockDataDir } from './data-dir.lock.ts';
import { DatabaseOpenError } from './database-open.error.ts';

export { DatabaseOpenError } from './database-open.error.ts';

export const ENTITY_SCHEMAS = [AccountPlanSchema, CheckoutSessionSchema, PlanChangeSchema, DuplicateSubscriptionSchema];

/** Any fixed 64-bit number: every process that migrates takes this advisory lock first. */
const MIGRATION_LOCK_KEY = 7_465_901_223;

/** Where MikroORM records the migrations it applied (its default name). */
const MIGRATIONS_TABLE = 'mikro_orm_migrations';
const UNDEFINED_TABLE = '42P01';

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
  /** Told what the opening is doing when it takes long (creating the embedded database). */
  readonly onProgress?: (message: string) => void;
}

export interface Database {
  readonly orm: MikroORM;
  readonly kind: 'postgresql' | 'pglite';
  /**
   * Applies pending migrations; safe to call from several processes at once. One query when the
   * database is already at the newest migration.
   */
  migrate(): Promise<void>;
  /** Resolves when the database answers a query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens the database and resolves once it has answered a query, so that "open" means connected.
 * A database that cannot be reached or does not exist, or an embedded one held by another
 * process, is a DatabaseOpenError saying so in one sentence.
 */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) return openPostgres(options.url, options.poolMax);
  return openPglite(options.dataDir, options.onProgress);
}

async function openPostgres(url: string, poolMax: number): Promise<Database> {
  const orm = await initOrm(url, poolMax);
  try {
    await ping(orm);
  } catch (error) {
    await orm.close();
    throw DatabaseOpenError.fromConnection(error, url) ?? error;
  }
  return {
    orm,
    kind: 'postgresql',
    async migrate() {
      if (await atNewestMigration(orm)) return;
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

/**
 * The embedded database belongs to one process: a second one writing the same files would lose
 * the first one's writes, so DATA_DIR is locked for as long as the database is open.
 */
async function openPglite(dataDir: string, onProgress?: (message: string) => void): Promise<Database> {
  if (dataDir.startsWith('memory://')) return servePglite(await PGlite.create(dataDir), async () => undefined);
  const unlock = await lockDataDir(dataDir);
  try {
    const pgliteDir = join(dataDir, 'pglite');
    if (!existsSync(join(pgliteDir, 'PG_VERSION'))) onProgress?.(`creating the embedded database in ${resolve(dataDir)} (first run, takes a few seconds)`);
    await mkdir(pgliteDir, { recursive: true });
    return await servePglite(await PGlite.create(pgliteDir), unlock);
  } catch (error) {
    await unlock();
    throw error;
  }
}

/** The ORM and the SQL adapters speak the PostgreSQL protocol: PGlite is served to them on a loopback socket. */
async function servePglite(db: PGlite, unlock: () => Promise<void>): Promise<Database> {
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: PGLITE_MAX_CONNECTIONS });
  await server.start();
  const orm = await initOrm(`postgresql://postgres@${server.getServerConn()}/postgres`, PGLITE_MAX_CONNECTIONS);
  return {
    orm,
    kind: 'pglite',
    async migrate() {
      if (!(await atNewestMigration(orm))) await orm.migrator.up();
    },
    ping: () => ping(orm),
    async close() {
      await orm.close();
      await server.stop();
      await db.close();
      await unlock();
    },
  };
}

async function initOrm(clientUrl: string, poolMax: number): Promise<MikroORM> {
  let orm: MikroORM | undefined;
  orm = await MikroORM.init({
    clientUrl,
    entities: ENTITY_SCHEMAS,
    extensions: [Migrator],
    migrations: { tableName: MIGRATIONS_TABLE, migrationsList: MIGRATIONS, snapshot: false, snapshotOnMigrate: false, silent: true },
    pool: { min: 0, max: poolMax },
    ensureDatabase: false,
    allowGlobalContext: false,
    context: () => scopedEntityManager(orm),
    debug: false,
  });
  return orm;
}

/** Whether every migration this build knows has been applied: one query, where the migrator would make several. */
async function atNewestMigration(orm: MikroORM): Promise<boolean> {
  try {
    const rows = await pooledQuery<{ name: string }>(orm, `select name from ${MIGRATIONS_TABLE}`, []);
    const applied = new Set(rows.map((row) => row.name));
    return MIGRATIONS.every((migration) => applied.has(migration.name));
  } catch (error) {
    // No migrations table yet: a new database.
    if ((error as { code?: unknown }).code === UNDEFINED_TABLE) return false;
    throw error;
  }
}

async function ping(orm: MikroORM): Promise<void> {
  await pooledQuery(orm, 'select 1', []);
}
