import type { SandboxClock } from '../adapters/sandbox/sandbox.clock.ts';
import type { SandboxProvider } from '../adapters/sandbox/sandbox.provider.ts';
import type { ProviderEventInbox } from '../application/webhooks/provider-event-inbox.port.ts';
import { SCHEDULED_FREQUENCIES, type ScheduledFrequency } from '../domain/payouts/payout-account.entity.ts';
import { InvalidInputError } from '../domain/shared/errors.ts';
import type { Logger } from './logger.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** The furthest one advance goes: five years, a day at a time at most. */
export const MAX_ADVANCE_SECONDS = 5 * 366 * 24 * 60 * 60;
/** How long an advance waits for the events it caused to be applied before it answers anyway. */
const SETTLE_TIMEOUT_MS = 15_000;
const SETTLE_POLL_MS = 5;
/**
 * Subscription changes due within this long of the next one are made in the same step, at their
 * own due times: a step costs a settle, and checkouts paid together renew together.
 */
const STEP_WINDOW_MS = 60 * 60 * 1000;
const PENDING_LOOKED_AT = 100;

/**
 * Moves the sandbox's clock, and with it the whole lifecycle, as Stripe's test clocks do: the
 * clock goes forward from one due moment to the next (a renewal, a period end or a past-due
 * subscription given up, with those due within the hour after it; a scheduled payout run; and at
 * least once a day), and at each the sandbox
 * makes its changes, sends their events through this service's webhook routes, the workers apply
 * them, and the service's own scheduled work (periods not renewed, grace periods, payout runs) runs at that time. It
 * answers once everything due up to the new time has happened.
 */
export class SandboxLifecycle {
  private readonly deps: Readonly<{
    sandbox: SandboxProvider;
    clock: SandboxClock;
    inbox: ProviderEventInbox;
    /** One run of this process's inbox workers. */
    applyEvents: () => Promise<readonly unknown[]>;
    /** The service's end of paid periods: those not renewed, then grace periods over. */
    endPeriods: () => Promise<unknown>;
    /** The weekly and monthly payout runs, when this process takes part in them. */
    runScheduledPayouts: ((frequency: ScheduledFrequency) => Promise<unknown>) | null;
    logger: Logger;
  }>;

  constructor(deps: SandboxLifecycle['deps']) {
    this.deps = deps;
  }

  /** Advances the clock by `seconds` (a whole number from 1 to five years' worth); answers the time then. */
  async advance(seconds: unknown): Promise<Date> {
    if (typeof seconds !== 'number' || !Number.isSafeInteger(seconds) || seconds < 1 || seconds > MAX_ADVANCE_SECONDS) {
      throw new InvalidInputError('seconds', `seconds must be a whole number from 1 to ${MAX_ADVANCE_SECONDS}`);
    }
    const { sandbox, clock } = this.deps;
    const target = new Date((await clock.refresh()).getTime() + seconds * 1000);
    for (let now = clock.now(); now < target; ) {
      const payoutRuns = this.payoutRunsAfter(now);
      const due = await sandbox.nextDueAt(target);
      const candidates = [due && due > now ? new Date(due.getTime() + STEP_WINDOW_MS) : target, new Date(now.getTime() + DAY_MS), ...payoutRuns.map((run) => run.at)];
      const next = new Date(Math.min(target.getTime(), ...candidates.filter((at) => at > now).map((at) => at.getTime())));
      now = await clock.advanceTo(next);
      await this.settle();
      await this.upkeep(payoutRuns.filter((run) => run.at <= next).map((run) => run.frequency));
    }
    return clock.now();
  }

  /**
   * Makes the subscription changes due by now, delivers the sandbox's events, and waits until every
   * one is acknowledged and the workers (of any process) have applied every one not yet tried.
   * Another process's upkeep may be making some of the due changes at the same moment: looking for
   * due work again waits on its locks, and then on its events.
   */
  async settle(): Promise<void> {
    const { sandbox, clock, inbox, applyEvents, logger } = this.deps;
    const deadline = performance.now() + SETTLE_TIMEOUT_MS;
    for (;;) {
      const renewed = await sandbox.runDue(clock.now());
      await sandbox.deliverEvents();
      if (renewed > 0 || (await applyEvents()).length > 0) continue;
      const undelivered = await sandbox.undeliveredEvents();
      const pending = (await inbox.list({ status: 'pending' }, { first: PENDING_LOOKED_AT })).items.filter(({ node }) => node.lastError === null).length;
      if (undelivered === 0 && pending === 0) return;
      if (performance.now() > deadline) {
        logger.warn({ undelivered, pending }, 'sandbox: events still undelivered or pending after the action; answering anyway');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
    }
  }

  private async upkeep(payoutRuns: readonly ScheduledFrequency[]): Promise<void> {
    await this.deps.endPeriods();
    for (const frequency of payoutRuns) await this.deps.runScheduledPayouts?.(frequency);
    if (payoutRuns.length > 0) await this.settle();
  }

  /** The next weekly run (Monday 00:00 UTC) and monthly run (the 1st, 00:00 UTC) after `now`, when this process runs them. */
  private payoutRunsAfter(now: Date): { readonly frequency: ScheduledFrequency; readonly at: Date }[] {
    if (!this.deps.runScheduledPayouts) return [];
    const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    const next: Record<ScheduledFrequency, Date> = {
      weekly: new Date(midnight + ((8 - now.getUTCDay()) % 7 || 7) * DAY_MS),
      monthly: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)),
    };
    return SCHEDULED_FREQUENCIES.map((frequency) => ({ frequency, at: next[frequency] }));
  }
}
