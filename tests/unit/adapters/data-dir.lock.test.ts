import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatabaseOpenError } from '../../../adapters/persistence/database-open.error.ts';
import { DATA_DIR_LOCK_FILE, lockDataDir } from '../../../adapters/persistence/data-dir.lock.ts';

/** Linux names a process by its pid and start time (/proc); elsewhere a pid alone is all there is. */
const procStart = (pid: number | 'self') => readFile(`/proc/${pid}/stat`, 'utf8').then((stat) => stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!);

describe.runIf(existsSync('/proc/self/stat'))('the DATA_DIR lock', () => {
  let dataDir: string;
  let unrelated: ChildProcess;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'billing-lock-'));
    unrelated = spawn('sleep', ['30'], { stdio: 'ignore' });
    await once(unrelated, 'spawn');
  });
  afterEach(async () => {
    unrelated.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('takes over a stale lock whose pid an unrelated process has been given since', async () => {
    // As a killed holder left it: its pid (now the sleeper's) and the start time of that holder, which was another process.
    await writeFile(join(dataDir, DATA_DIR_LOCK_FILE), `${unrelated.pid}\n${await procStart('self')}\n`);

    const release = await lockDataDir(dataDir);

    expect(Number.parseInt(await readFile(join(dataDir, DATA_DIR_LOCK_FILE), 'utf8'), 10)).toBe(process.pid);
    await release();
    expect(existsSync(join(dataDir, DATA_DIR_LOCK_FILE))).toBe(false);
  });

  it('refuses while the process its lock names is the one that wrote it, and names that pid', async () => {
    await writeFile(join(dataDir, DATA_DIR_LOCK_FILE), `${unrelated.pid}\n${await procStart(unrelated.pid!)}\n`);

    await expect(lockDataDir(dataDir)).rejects.toThrow(`another process (pid ${unrelated.pid}) has the embedded database`);
  });

  it('refuses a DATA_DIR that is a file, or under one, with one sentence saying so', async () => {
    const file = join(dataDir, 'not-a-folder');
    await writeFile(file, '');

    for (const path of [file, join(file, 'data')]) {
      const refused = lockDataDir(path);
      await expect(refused).rejects.toThrow(DatabaseOpenError);
      await expect(refused).rejects.toThrow(`DATA_DIR ${path} is not a folder`);
    }
  });
});
