import { TransactionContext, type MikroORM } from '@mikro-orm/postgresql';
import type { SandboxEvent, SandboxIndex, SandboxKind, SandboxObjects, SandboxStore } from '../sandbox/sandbox.store.ts';
import { boundQuery } from './bound-query.ts';
import { MikroOrmUnitOfWork } from './mikro-orm.unit-of-work.ts';

/**
 * The sandbox's objects, clock and undelivered events in its own tables of the service's database
 * (PostgreSQL or the embedded PGlite), so any number of processes and restarts agree. Statements
 * join the running transaction, so an action's changes and the events it sends commit together.
 */
export class SqlSandboxStore implements SandboxStore {
  private readonly orm: MikroORM;
  private readonly uow: MikroOrmUnitOfWork;

  constructor(orm: MikroORM) {
    this.orm = orm;
    this.uow = new MikroOrmUnitOfWork(orm);
  }

  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.uow.transactional(work);
  }

  inTransaction(): boolean {
    return TransactionContext.getEntityManager(this.orm.em.name) !== undefined;
  }

  async get<K extends SandboxKind>(kind: K, id: string, options: { readonly forUpdate?: boolean } = {}): Promise<SandboxObjects[K] | null> {
    const rows = await this.query<{ data: SandboxObjects[K] }>(
      `select data from sandbox_objects where kind = $1 and id = $2${options.forUpdate ? ' for update' : ''}`,
      [kind, id],
    );
    return rows[0]?.data ?? null;
  }

  async put<K extends SandboxKind>(kind: K, object: SandboxObjects[K], index: SandboxIndex = {}): Promise<void> {
    await this.query(
      `insert into sandbox_objects (kind, id, data, due_at, lookup) values ($1, $2, $3::jsonb, $4, $5)
       on conflict (kind, id) do update set data = excluded.data, due_at = excluded.due_at, lookup = excluded.lookup`,
      [kind, object.id, JSON.stringify(object), index.dueAt ?? null, index.lookup ?? null],
    );
  }

  async findBy<K extends SandboxKind>(kind: K, lookup: string): Promise<SandboxObjects[K][]> {
    const rows = await this.query<{ data: SandboxObjects[K] }>(`select data from sandbox_objects where kind = $1 and lookup = $2 order by seq`, [kind, lookup]);
    return rows.map((row) => row.data);
  }

  async nextDue<K extends SandboxKind>(kind: K, until: Date): Promise<{ object: SandboxObjects[K]; dueAt: Date } | null> {
    const rows = await this.query<{ data: SandboxObjects[K]; due_at: Date | string }>(
      `select data, due_at from sandbox_objects where kind = $1 and due_at is not null and due_at <= $2 order by due_at, seq limit 1`,
      [kind, until],
    );
    return rows[0] ? { object: rows[0].data, dueAt: new Date(rows[0].due_at) } : null;
  }

  async latest<K extends SandboxKind>(kind: K, limit: number): Promise<SandboxObjects[K][]> {
    const rows = await this.query<{ data: SandboxObjects[K] }>(`select data from sandbox_objects where kind = $1 order by seq desc limit $2`, [kind, limit]);
    return rows.map((row) => row.data);
  }

  async clockOffsetMs(): Promise<number> {
    const rows = await this.query<{ offset_ms: string | number }>(`select offset_ms from sandbox_clock`, []);
    return Number(rows[0]?.offset_ms ?? 0);
  }

  async advanceClockOffset(offsetMs: number): Promise<number> {
    const rows = await this.query<{ offset_ms: string | number }>(
      `update sandbox_clock set offset_ms = greatest(offset_ms, $1) returning offset_ms`,
      [Math.round(offsetMs)],
    );
    return Number(rows[0]!.offset_ms);
  }

  async appendEvent(event: SandboxEvent): Promise<void> {
    await this.query(`insert into sandbox_events (id, region, type, body) values ($1, $2, $3, $4)`, [event.id, event.region, event.type, event.body]);
  }

  async takeUndelivered(limit: number, leaseMs: number): Promise<SandboxEvent[]> {
    const rows = await this.query<SandboxEvent & { seq: string | number }>(
      `update sandbox_events set leased_until = now() + make_interval(secs => $2::double precision / 1000)
       where seq in (
         select seq from sandbox_events
         where delivered_at is null and (leased_until is null or leased_until <= now())
         order by seq limit $1 for update skip locked)
       returning id, region, type, body, seq`,
      [limit, leaseMs],
    );
    // UPDATE … RETURNING answers in no particular order: events go out in the order they were made.
    return [...rows].sort((a, b) => Number(a.seq) - Number(b.seq)).map(({ id, region, type, body }) => ({ id, region, type, body }));
  }

  async markDelivered(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.query(`update sandbox_events set delivered_at = now(), leased_until = null where id = any($1)`, [ids]);
  }

  async release(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.query(`update sandbox_events set leased_until = null where id = any($1) and delivered_at is null`, [ids]);
  }

  async countUndelivered(): Promise<number> {
    const rows = await this.query<{ n: string | number }>(`select count(*) as n from sandbox_events where delivered_at is null`, []);
    return Number(rows[0]!.n);
  }

  private query<R>(sql: string, parameters: readonly unknown[]): Promise<readonly R[]> {
    return boundQuery<R>(this.orm, sql, parameters);
  }
}
