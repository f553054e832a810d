import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { GroupCommit, GroupCommitFullError } from '../../../adapters/persistence/group-commit.ts';

/** What a send saw: the batches it was given, and the async context each ran in. */
function aRecordingSend(answer: (items: readonly number[]) => readonly (string | Error)[] | Promise<never>) {
  const caller = new AsyncLocalStorage<string>();
  const batches: number[][] = [];
  const contexts: (string | undefined)[] = [];
  const send = async (items: readonly number[]) => {
    batches.push([...items]);
    contexts.push(caller.getStore());
    await new Promise((resolve) => setTimeout(resolve, 5));
    return answer(items);
  };
  return { caller, batches, contexts, send };
}

describe('GroupCommit', () => {
  it('sends items that arrive while a batch is in flight together, and answers each its own result', async () => {
    const { send, batches } = aRecordingSend((items) => items.map((item) => `done ${item}`));
    const group = new GroupCommit({ send, maxBatch: 4, maxInFlight: 1, maxWaiting: 100 });

    const answers = await Promise.all([1, 2, 3, 4, 5, 6].map((item) => group.submit(item)));

    expect(answers).toEqual(['done 1', 'done 2', 'done 3', 'done 4', 'done 5', 'done 6']);
    expect(batches).toEqual([[1], [2, 3, 4, 5], [6]]);
  });

  it('refuses only the item its result is an Error for', async () => {
    const { send } = aRecordingSend((items) => items.map((item) => (item === 2 ? new Error('no funds for 2') : `done ${item}`)));
    const group = new GroupCommit({ send, maxBatch: 8, maxInFlight: 1, maxWaiting: 100 });

    const answers = await Promise.allSettled([1, 2, 3].map((item) => group.submit(item)));

    expect(answers.map((answer) => (answer.status === 'fulfilled' ? answer.value : (answer.reason as Error).message))).toEqual(['done 1', 'no funds for 2', 'done 3']);
  });

  it('sends a batch that failed whole again one item at a time, so one bad item fails alone', async () => {
    const { send, batches } = aRecordingSend((items) => (items.length > 1 || items[0] === 3 ? Promise.reject(new Error(`batch of ${items.join(',')} failed`)) : items.map((item) => `done ${item}`)));
    const group = new GroupCommit({ send, maxBatch: 8, maxInFlight: 1, maxWaiting: 100 });
    const first = group.submit(0);

    const answers = await Promise.allSettled([first, ...[1, 2, 3, 4].map((item) => group.submit(item))]);

    expect(answers.map((answer) => (answer.status === 'fulfilled' ? answer.value : (answer.reason as Error).message))).toEqual([
      'done 0',
      'done 1',
      'done 2',
      'batch of 3 failed',
      'done 4',
    ]);
    expect(batches.slice(0, 2)).toEqual([[0], [1, 2, 3, 4]]);
    expect(batches.slice(2).sort()).toEqual([[1], [2], [3], [4]]);
  });

  it("runs each batch outside the async context of the caller who started it, so no caller's transaction or request leaks into it", async () => {
    const { send, caller, contexts } = aRecordingSend((items) => items.map(String));
    const group = new GroupCommit({ send, maxBatch: 8, maxInFlight: 1, maxWaiting: 100 });

    await caller.run('request A', () => Promise.all([group.submit(1), group.submit(2)]));
    await caller.run('request B', () => group.submit(3));

    expect(contexts).toEqual([undefined, undefined, undefined]);
  });

  it('refuses an item at once when maxWaiting items already wait for a batch, and takes items again once they are sent', async () => {
    const { send, batches } = aRecordingSend((items) => items.map((item) => `done ${item}`));
    const group = new GroupCommit({ send, maxBatch: 2, maxInFlight: 1, maxWaiting: 3 });
    // 0 goes out alone; 1, 2 and 3 wait for it: the queue is full.
    const accepted = [0, 1, 2, 3].map((item) => group.submit(item));

    const refused = await group.submit(4).catch((error: unknown) => error);
    const answers = await Promise.all(accepted);
    const later = await group.submit(5);

    expect(refused).toBeInstanceOf(GroupCommitFullError);
    expect((refused as Error).message).toMatch(/3 items are already waiting/);
    expect(answers).toEqual(['done 0', 'done 1', 'done 2', 'done 3']);
    expect(later).toBe('done 5');
    expect(batches.flat()).not.toContain(4);
  });
});
