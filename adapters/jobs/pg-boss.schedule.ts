import { PgBoss } from 'pg-boss';
import type { ScheduledJob } from './scheduled-job.ts';

/** Triggers within this many seconds of each other make one run, as one tick does. */
const TRIGGER_WINDOW_SECONDS = 60;

export interface PgBossScheduleOptions {
  readonly connectionString: string;
  readonly jobs: readonly ScheduledJob[];
  readonly onError: (error: unknown) => void;
}

/**
 * Scheduled work on pg-boss, in the service's own PostgreSQL: every process registers the same
 * schedules and workers, and pg-boss turns each tick into one job across all of them that one
 * worker takes (SKIP LOCKED), so a tick runs once however many processes there are. A run that
 * throws is retried with backoff; every job here is safe to repeat (a creator is paid at most
 * once per period, a checkout completes once, a payout is sent with its own idempotency key).
 */
export class PgBossSchedule {
  private readonly boss: PgBoss;
  private readonly options: PgBossScheduleOptions;

  constructor(options: PgBossScheduleOptions) {
    this.options = options;
    this.boss = new PgBoss({ connectionString: options.connectionString, schema: 'pgboss', max: 2, application_name: 'billing-schedule' });
    this.boss.on('error', options.onError);
  }

  async start(): Promise<void> {
    await this.boss.start();
    for (const job of this.options.jobs) {
      // `stately`: at most one run queued and one active per job, however many processes trigger it.
      await this.boss.createQueue(job.name, { policy: 'stately', retryLimit: 5, retryDelay: 60, retryBackoff: true, expireInSeconds: 3600 });
      const expression = 'cron' in job.every ? job.every.cron : `FREQ=SECONDLY;INTERVAL=${job.every.seconds}`;
      // `once`: a tick missed while no process ran (a deploy at midnight) still runs when one starts.
      await this.boss.schedule(job.name, expression, null, { tz: 'UTC', ...(job.catchUp ? { missed: 'once' } : {}) });
      await this.boss.work(job.name, async () => {
        await job.run();
      });
    }
  }

  /**
   * Queues a run of the job now, as its tick would: once per minute however many processes ask
   * (a queued job alone would not stop a second once the first is taken); null when one was already.
   */
  trigger(name: string): Promise<string | null> {
    return this.boss.sendThrottled(name, null, null, TRIGGER_WINDOW_SECONDS, 'trigger');
  }

  stop(): Promise<void> {
    return this.boss.stop({ graceful: true, close: true });
  }
}
