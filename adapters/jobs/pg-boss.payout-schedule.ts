import { PgBoss } from 'pg-boss';
import type { PayoutFrequency } from '../../domain/payouts/payout-account.entity.ts';

export type ScheduledFrequency = Exclude<PayoutFrequency, 'manual'>;
export const SCHEDULED_FREQUENCIES: readonly ScheduledFrequency[] = ['weekly', 'monthly'];

/** Mondays and the first of the month, at midnight UTC. */
const CRON: Record<ScheduledFrequency, string> = { weekly: '0 0 * * 1', monthly: '0 0 1 * *' };
const queueOf = (frequency: ScheduledFrequency) => `payouts-${frequency}`;

export interface PayoutScheduleOptions {
  readonly connectionString: string;
  /** One pass of the schedule; safe to repeat (a creator is paid at most once per period). */
  readonly run: (frequency: ScheduledFrequency) => Promise<unknown>;
  readonly onError: (error: unknown) => void;
}

/**
 * Weekly and monthly payout runs on pg-boss, in the service's own PostgreSQL: every process
 * registers the same cron schedules and workers, and pg-boss turns each cron tick into one job
 * across all of them (a singleton per tick) that one worker takes (SKIP LOCKED). A run that
 * throws is retried with backoff; as the run itself pays a creator at most once per period, a
 * retry or a second run never pays twice.
 */
export class PgBossPayoutSchedule {
  private readonly boss: PgBoss;
  private readonly options: PayoutScheduleOptions;

  constructor(options: PayoutScheduleOptions) {
    this.options = options;
    this.boss = new PgBoss({ connectionString: options.connectionString, schema: 'pgboss', max: 2, application_name: 'billing-payouts' });
    this.boss.on('error', options.onError);
  }

  async start(): Promise<void> {
    await this.boss.start();
    for (const frequency of SCHEDULED_FREQUENCIES) {
      const queue = queueOf(frequency);
      // `stately`: at most one run queued and one active per queue, however many processes trigger it.
      await this.boss.createQueue(queue, { policy: 'stately', retryLimit: 5, retryDelay: 60, retryBackoff: true, expireInSeconds: 3600 });
      // `once`: a tick missed while no process ran (a deploy at midnight) still runs when one starts.
      await this.boss.schedule(queue, CRON[frequency], null, { tz: 'UTC', missed: 'once' });
      await this.boss.work(queue, async () => {
        await this.options.run(frequency);
      });
    }
  }

  /** Queues a run now, as the cron tick would; returns null when one is already queued. */
  trigger(frequency: ScheduledFrequency): Promise<string | null> {
    return this.boss.send(queueOf(frequency), null);
  }

  stop(): Promise<void> {
    return this.boss.stop({ graceful: true, close: true });
  }
}
