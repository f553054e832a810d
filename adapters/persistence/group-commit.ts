import { AsyncLocalStorage } from 'node:async_hooks';
import { invariant, OverloadedError } from '../../domain/shared/errors.ts';

/** Refused at once, not queued: so many items wait already that the database is far behind (503 UNAVAILABLE at the edge). */
export class GroupCommitFullError extends OverloadedError {
  override readonly name: string = 'GroupCommitFullError';

  constructor(maxWaiting: number) {
    super(`${maxWaiting} items are already waiting for the database: this one is refused rather than queued without end; try again shortly`);
  }
}

interface Waiting<I, O> {
  readonly item: I;
  resolve(result: O): void;
  reject(error: unknown): void;
}

/**
 * Group commit: items that arrive while earlier batches are in flight wait and go to the
 * database together, up to `maxBatch` in one statement and one commit instead of one each. A
 * quiet service sends every item at once, alone, so batching adds no latency; it only forms
 * under load, where it saves a round trip and a commit per item.
 *
 * `send` answers each item in order, a result or the Error that item alone is refused with. A
 * batch that fails whole (a lost connection, a deadlock with a racing duplicate) is sent again
 * one item at a time, so one item's trouble fails only that item; `send` must therefore be safe
 * to repeat for an item whose first batch committed (a replay by key, `on conflict do nothing`).
 * A batch serves many callers, so `send` runs in the async context the GroupCommit was made in
 * (the composition root's), not in that of the caller who happened to start it: it never sees
 * that caller's transaction, request scope or request id.
 *
 * At most `maxWaiting` items wait for a batch: one more is refused at once (GroupCommitFullError)
 * rather than queued, since a queue that only grows holds memory and answers ever later.
 */
export class GroupCommit<I, O> {
  private readonly send: (items: readonly I[]) => Promise<readonly (O | Error)[]>;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private readonly maxWaiting: number;
  private readonly waiting: Waiting<I, O>[] = [];
  private inFlight = 0;
  private readonly outsideCallers = AsyncLocalStorage.snapshot();

  constructor(options: { send: (items: readonly I[]) => Promise<readonly (O | Error)[]>; maxBatch: number; maxInFlight: number; maxWaiting: number }) {
    this.send = options.send;
    this.maxBatch = Math.max(1, options.maxBatch);
    this.maxInFlight = Math.max(1, options.maxInFlight);
    this.maxWaiting = Math.max(1, options.maxWaiting);
  }

  submit(item: I): Promise<O> {
    if (this.waiting.length >= this.maxWaiting) return Promise.reject(new GroupCommitFullError(this.maxWaiting));
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.sendWaiting();
    });
  }

  private sendWaiting(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxBatch);
      this.inFlight++;
      void this.run(batch)
        .catch(() => Promise.all(batch.map((waiting) => this.run([waiting]).catch(waiting.reject))))
        .finally(() => {
          this.inFlight--;
          this.sendWaiting();
        });
    }
  }

  private async run(batch: readonly Waiting<I, O>[]): Promise<void> {
    const results = await this.outsideCallers(() => this.send(batch.map((waiting) => waiting.item)));
    invariant(results.length === batch.length, `a batch of ${batch.length} was answered with ${results.length} results`);
    results.forEach((result, index) => {
      const waiting = batch[index]!;
      if (result instanceof Error) waiting.reject(result);
      else waiting.resolve(result);
    });
  }
}
