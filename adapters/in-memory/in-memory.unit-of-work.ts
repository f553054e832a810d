import { AsyncLocalStorage } from 'node:async_hooks';
import type { UnitOfWork } from '../../application/shared/unit-of-work.port.ts';

/**
 * Runs units of work one at a time, which is what serialisable transactions look like from
 * outside. It has no rollback: in-memory repositories are for tests of the happy paths and of
 * the rules, and anything about atomicity is tested against PostgreSQL.
 */
export class InMemoryUnitOfWork implements UnitOfWork {
  private readonly inside = new AsyncLocalStorage<true>();
  private tail: Promise<unknown> = Promise.resolve();

  /** Whether the caller runs inside a unit of work already. */
  inTransaction(): boolean {
    return this.inside.getStore() === true;
  }

  transactional<T>(work: () => Promise<T>): Promise<T> {
    if (this.inside.getStore()) return work();
    const run = this.tail.then(() => this.inside.run(true, work));
    this.tail = run.catch(() => undefined);
    return run;
  }
}
