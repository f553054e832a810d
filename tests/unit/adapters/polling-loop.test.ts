import { describe, expect, it } from 'vitest';
import { PollingLoop } from '../../../adapters/jobs/polling-loop.ts';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the workers’ polling loop', () => {
  it('makes one run of a burst of wakes, runs again at once while it finds work, and polls when idle', async () => {
    const runs: number[] = [];
    let backlog = 0;
    const loop = new PollingLoop({
      step: async () => {
        runs.push(backlog);
        if (backlog === 0) return false;
        backlog--;
        return true;
      },
      idleMs: 10_000,
      gatherMs: 20,
      onError: () => undefined,
    });
    loop.start();
    await pause(30);
    const afterStart = runs.length;

    backlog = 3;
    for (let wake = 0; wake < 50; wake++) loop.wake();
    await pause(80);
    await loop.stop();

    expect(afterStart).toBe(1);
    // One run per item of work, then one that finds none: not one per wake.
    expect(runs.slice(afterStart)).toEqual([3, 2, 1, 0]);
  });

  it('keeps running after a step that failed, and finishes the run under way when stopped', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    let finished = false;
    const loop = new PollingLoop({
      step: async () => {
        calls++;
        if (calls === 1) throw new Error('the database is away');
        await pause(30);
        finished = true;
        return false;
      },
      idleMs: 5,
      gatherMs: 5,
      onError: (error) => errors.push(error),
    });
    loop.start();
    await pause(15);
    await loop.stop();

    expect(errors).toHaveLength(1);
    expect(finished).toBe(true);
  });
});
