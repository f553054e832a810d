import type { Container } from 'inversify';
import { TimerSchedule, type ScheduledJob } from '../adapters/jobs/scheduled-job.ts';
import { EndGracePeriods } from '../application/billing/end-grace-periods.use-case.ts';
import { EndUnrenewedPeriods } from '../application/billing/end-unrenewed-periods.use-case.ts';
import { ReconcileCheckouts } from '../application/billing/reconcile-checkouts.use-case.ts';
import { SettleDuplicateSubscriptions } from '../application/billing/settle-duplicate-subscriptions.use-case.ts';
import { ResendUnansweredPayouts } from '../application/payouts/resend-unanswered-payouts.use-case.ts';
import { RunScheduledPayouts } from '../application/payouts/run-scheduled-payouts.use-case.ts';
import { SyncPayoutObjects } from '../application/payouts/sync-payout-objects.service.ts';
import { REQUEST_SCOPE } from '../application/shared/request-scope.port.ts';
import { WALLET_LEDGER } from '../application/wallet/wallet-ledger.port.ts';
import { SCHEDULED_FREQUENCIES, type ScheduledFrequency } from '../domain/payouts/payout-account.entity.ts';
import type { AppConfig } from './config.ts';
import { INBOX_WORKERS, resolve, SANDBOX_CLOCK, SANDBOX_PROVIDER, type ServiceId } from './container.ts';
import { PollingLoop } from '../adapters/jobs/polling-loop.ts';
import type { Logger } from './logger.ts';

/** Mondays and the first of the month, at midnight UTC. */
const PAYOUT_CRON: Record<ScheduledFrequency, string> = { weekly: '0 0 * * 1', monthly: '0 0 1 * *' };
/** How often the embedded single process looks for a payout period to pay (each pays a creator at most once per period). */
const EMBEDDED_PAYOUT_CHECK_MS = 60 * 60 * 1000;
/** How often each process folds recent ledger movements into their balances when it found few to fold, and how many at most in one go. */
const BALANCE_ROLLUP_IDLE_MS = 1_000;
const BALANCE_ROLLUP_BATCH = 10_000;
/** How often each process reads the sandbox's clock, makes its due renewals and sends events whose delivery failed. */
const SANDBOX_TICK_MS = 500;

export interface BackgroundWork {
  /** No new work; what is under way finishes. */
  stop(): Promise<void>;
}

/**
 * What a server process does besides answering requests: its workers apply provider events from
 * the inbox, it folds ledger movements into balances, and the scheduled work runs once per tick
 * across every process (pg-boss, on PostgreSQL) or on timers (the embedded database's single process): reconciliation of open
 * checkouts, paid periods that ended with no renewal, the end of grace periods, second subscriptions to cancel and refund, payouts a provider never answered about sent again, payouts
 * in transit whose settle event never came asked about, and the weekly and monthly payout runs.
 */
export async function startBackgroundWork(config: AppConfig, logger: Logger, container: Container): Promise<BackgroundWork> {
  const workers = resolve(container, INBOX_WORKERS);
  workers.start();
  const rollUp = balanceRollUp(logger, container);
  rollUp.start();
  const sandbox = sandboxTicks(logger, container);
  sandbox?.start();
  const jobs = scheduledJobs(config, logger, container);
  const schedule = config.databaseUrl ? await startPgBoss(config.databaseUrl, jobs, logger) : startTimers(jobs, logger);
  return {
    async stop() {
      await Promise.all([workers.stop(), rollUp.stop(), schedule.stop(), sandbox?.stop()]);
    },
  };
}

/**
 * Every process folds the ledger's recent movements into balances, so that a balance read sums a
 * few seconds of them at most (each roll-up takes rows no other one holds).
 */
function balanceRollUp(logger: Logger, container: Container): PollingLoop {
  const ledger = resolve(container, WALLET_LEDGER);
  return new PollingLoop({
    step: async () => (await ledger.rollUpBalances(BALANCE_ROLLUP_BATCH)) >= BALANCE_ROLLUP_BATCH,
    idleMs: BALANCE_ROLLUP_IDLE_MS,
    gatherMs: 0,
    onError: (error) => logger.error({ err: error }, 'balance roll-up failed'),
  });
}

/**
 * While the sandbox serves a region: its clock as another process moved it, the renewals that came
 * due as real time passed, and the events whose delivery failed, sent again.
 */
function sandboxTicks(logger: Logger, container: Container): PollingLoop | null {
  if (!container.isBound(SANDBOX_PROVIDER)) return null;
  const sandbox = resolve(container, SANDBOX_PROVIDER);
  const clock = resolve(container, SANDBOX_CLOCK);
  return new PollingLoop({
    step: async () => {
      await sandbox.runDue(await clock.refresh());
      await sandbox.deliverEvents();
      return false;
    },
    idleMs: SANDBOX_TICK_MS,
    gatherMs: 0,
    onError: (error) => logger.error({ err: error }, 'sandbox upkeep failed'),
  });
}

function scheduledJobs(config: AppConfig, logger: Logger, container: Container): ScheduledJob[] {
  const scope = resolve(container, REQUEST_SCOPE);
  const job = <T>(name: string, every: ScheduledJob['every'], service: ServiceId<T>, run: (service: T) => Promise<unknown>, extra: Partial<ScheduledJob> = {}): ScheduledJob => ({
    name,
    every,
    ...extra,
    run: async () => logger.info({ job: name, report: await scope.run(() => run(resolve(container, service))) }, 'scheduled job ran'),
  });
  const jobs: ScheduledJob[] = [];
  if (config.reconcileIntervalSeconds > 0) {
    const every = { seconds: config.reconcileIntervalSeconds };
    jobs.push(
      job('maintenance-reconcile-checkouts', every, ReconcileCheckouts, (reconcile) => reconcile.execute()),
      job('maintenance-end-unrenewed-periods', every, EndUnrenewedPeriods, (end) => end.execute()),
      job('maintenance-end-grace-periods', every, EndGracePeriods, (end) => end.execute()),
      job('maintenance-settle-duplicate-subscriptions', every, SettleDuplicateSubscriptions, (settle) => settle.execute()),
      job('maintenance-resend-payouts', every, ResendUnansweredPayouts, (resend) => resend.execute()),
      job('maintenance-poll-payouts-in-transit', every, SyncPayoutObjects, (sync) => sync.pollInTransit()),
    );
  }
  if (config.payoutSchedule) {
    for (const frequency of SCHEDULED_FREQUENCIES) {
      jobs.push(
        job(`payouts-${frequency}`, { cron: PAYOUT_CRON[frequency] }, RunScheduledPayouts, (payouts) => payouts.execute(frequency), {
          embeddedEveryMs: EMBEDDED_PAYOUT_CHECK_MS,
          catchUp: true,
        }),
      );
    }
  }
  return jobs;
}

async function startPgBoss(connectionString: string, jobs: readonly ScheduledJob[], logger: Logger): Promise<BackgroundWork> {
  if (jobs.length === 0) return { stop: async () => undefined };
  // Loaded here, not at start: the embedded database never needs it, and PostgreSQL only once the service answers.
  const { PgBossSchedule } = await import('../adapters/jobs/pg-boss.schedule.ts');
  const schedule = new PgBossSchedule({ connectionString, jobs, onError: (error) => logger.error({ err: error }, 'schedule error') });
  // A schedule that cannot start (the database away for a moment) must not stop the service.
  const started = schedule.start().then(
    () => true,
    (error: unknown) => {
      logger.error({ err: error }, 'the schedule did not start: this process runs no scheduled work');
      return false;
    },
  );
  return { stop: async () => void ((await started) && (await schedule.stop())) };
}

function startTimers(jobs: readonly ScheduledJob[], logger: Logger): BackgroundWork {
  const schedule = new TimerSchedule({ jobs, onError: (error) => logger.error({ err: error }, 'scheduled job failed') });
  schedule.start();
  return schedule;
}
