/** Work that runs on a schedule, once per tick across every process (PostgreSQL) or in the one process (embedded). */
export interface ScheduledJob {
  /** Also its pg-boss queue. */
  readonly name: string;
  /** A cron expression in UTC, or a fixed number of seconds between runs. */
  readonly every: { readonly cron: string } | { readonly seconds: number };
  /** How often the embedded single process runs a cron job: each run must be safe to repeat within a tick. */
  readonly embeddedEveryMs?: number;
  /** Whether a tick missed while no process ran still runs when one starts. */
  readonly catchUp?: boolean;
  readonly run: () => Promise<unknown>;
}

/** The embedded database serves one process: timers run the jobs there, one run of a job at a time. */
export class TimerSchedule {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Set<Promise<unknown>>();
  private readonly jobs: readonly ScheduledJob[];
  private readonly onError: (error: unknown) => void;

  constructor(options: { jobs: readonly ScheduledJob[]; onError: (error: unknown) => void }) {
    this.jobs = options.jobs;
    this.onError = options.onError;
  }

  start(): void {
    for (const job of this.jobs) {
      const everyMs = 'seconds' in job.every ? job.every.seconds * 1000 : job.embeddedEveryMs;
      if (!everyMs) continue;
      let busy = false;
      const timer = setInterval(() => {
        if (busy) return;
        busy = true;
        const run = job.run().catch(this.onError).finally(() => {
          busy = false;
          this.running.delete(run);
        });
        this.running.add(run);
      }, everyMs);
      timer.unref();
      this.timers.push(timer);
    }
  }

  /** No new runs; the ones under way finish. */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await Promise.all(this.running);
  }
}
