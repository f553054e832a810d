/**
 * Runs `step` over and over, one run at a time: again at once while it finds work, else after
 * `idleMs`. `wake()` starts a run within `gatherMs` (deliveries wake their own process's workers;
 * other processes find the work on their next poll), so a burst of wakes makes one run, which
 * takes all of the burst at once.
 */
export class PollingLoop {
  private readonly step: () => Promise<boolean>;
  private readonly idleMs: number;
  private readonly gatherMs: number;
  private readonly onError: (error: unknown) => void;
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | null = null;
  private woken = false;
  /** The delay the pending timer was set with: a wake brings forward only a longer one (the idle poll). */
  private timerMs = 0;
  private stopped = true;

  constructor(options: { step: () => Promise<boolean>; idleMs: number; gatherMs: number; onError: (error: unknown) => void }) {
    this.step = options.step;
    this.idleMs = options.idleMs;
    this.gatherMs = options.gatherMs;
    this.onError = options.onError;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  wake(): void {
    if (this.stopped) return;
    if (this.current) this.woken = true;
    else if (!this.timer || this.timerMs > this.gatherMs) this.schedule(this.gatherMs);
  }

  /** No new run; the one under way finishes. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.current;
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timerMs = ms;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.run();
    }, ms);
    this.timer.unref();
  }

  private run(): void {
    if (this.stopped || this.current) return;
    this.woken = false;
    this.current = this.step()
      .catch((error: unknown) => {
        this.onError(error);
        return false;
      })
      .then((foundWork) => {
        this.current = null;
        if (!this.stopped) this.schedule(foundWork ? 0 : this.woken ? this.gatherMs : this.idleMs);
      });
  }
}
