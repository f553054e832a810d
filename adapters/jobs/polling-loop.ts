/**
 * Runs `step` over and over, one run at a time: again at once while it finds work or was woken
 * meanwhile, else after `idleMs`. `wake()` starts a run now (deliveries wake their own process's
 * workers; other processes find the work on their next poll).
 */
export class PollingLoop {
  private readonly step: () => Promise<boolean>;
  private readonly idleMs: number;
  private readonly onError: (error: unknown) => void;
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | null = null;
  private woken = false;
  private stopped = true;

  constructor(options: { step: () => Promise<boolean>; idleMs: number; onError: (error: unknown) => void }) {
    this.step = options.step;
    this.idleMs = options.idleMs;
    this.onError = options.onError;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  wake(): void {
    if (this.stopped) return;
    if (this.current) this.woken = true;
    else this.schedule(0);
  }

  /** No new run; the one under way finishes. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.current;
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), ms);
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
        if (!this.stopped) this.schedule(foundWork || this.woken ? 0 : this.idleMs);
      });
  }
}
