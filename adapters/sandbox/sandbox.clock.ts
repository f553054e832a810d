import type { Clock } from '../../application/shared/clock.port.ts';
import type { SandboxStore } from './sandbox.store.ts';

/**
 * The sandbox's test clock, as Stripe's test clocks are: the system's time plus an offset that only
 * grows, kept in the sandbox's store so that every process runs on the same time. While the sandbox
 * serves a region the service's own work (grace periods, renewal checks, scheduled payouts) reads
 * this clock too, so the whole lifecycle moves together when it is advanced. Each process caches
 * the offset and refreshes it often (and before any sandbox action), since `now()` cannot wait.
 */
export class SandboxClock implements Clock {
  private readonly system: Clock;
  private readonly store: SandboxStore;
  private offsetMs = 0;

  constructor(system: Clock, store: SandboxStore) {
    this.system = system;
    this.store = store;
  }

  now(): Date {
    return new Date(this.system.now().getTime() + this.offsetMs);
  }

  /** Reads the offset another process may have moved. */
  async refresh(): Promise<Date> {
    this.offsetMs = Math.max(this.offsetMs, await this.store.clockOffsetMs());
    return this.now();
  }

  /** Moves the clock forward to `to` (never back), for every process; answers the time now. */
  async advanceTo(to: Date): Promise<Date> {
    const wanted = to.getTime() - this.system.now().getTime();
    this.offsetMs = Math.max(this.offsetMs, await this.store.advanceClockOffset(wanted));
    return this.now();
  }
}
