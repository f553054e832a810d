import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DatabaseOpenError } from './database-open.error.ts';

/** Holds the pid of the process that has the embedded database open. */
export const DATA_DIR_LOCK_FILE = 'billing.lock';
/** Rounds of "taken, but by a process that is gone" before giving up: each round clears one stale lock. */
const MAX_ATTEMPTS = 5;
const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);

/**
 * Takes DATA_DIR for this process, or refuses (DatabaseOpenError) while another live process has
 * it. The lock is a file holding the owner's pid, created whole in one step (a hard link from a
 * file already written), so no process ever reads a half-written one. A lock whose process is
 * gone (killed, the machine restarted) is stale and taken over, so a crash never blocks the next
 * start. Resolves with the release, which also runs by itself if the process exits without it.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const lockPath = join(dataDir, DATA_DIR_LOCK_FILE);
  const ours = `${lockPath}.${process.pid}`;
  try {
    await mkdir(dataDir, { recursive: true });
    await writeFile(ours, `${process.pid}\n`);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && NOT_WRITABLE.has(code)) {
      throw new DatabaseOpenError(`cannot write to DATA_DIR ${resolve(dataDir)} (${code}): give this process a folder it can write, or set DATABASE_URL`);
    }
    throw error;
  }
  try {
    await takeOver(lockPath, ours, dataDir);
  } finally {
    await unlink(ours);
  }
  const releaseOnExit = () => releaseSync(lockPath);
  process.once('exit', releaseOnExit);
  return async () => {
    process.removeListener('exit', releaseOnExit);
    releaseSync(lockPath);
  };
}

async function takeOver(lockPath: string, ours: string, dataDir: string): Promise<void> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (await linked(ours, lockPath)) return;
    const holder = await holderOf(lockPath);
    if (holder === undefined) continue; // released meanwhile
    if (isAlive(holder)) throw lockedBy(holder, dataDir);
    // Stale. Moved aside under a name of our own, so that two processes clearing it at once
    // cannot both succeed; if what was moved is not the stale lock just read, it goes back.
    const aside = `${lockPath}.stale.${process.pid}`;
    try {
      await rename(lockPath, aside);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') continue;
      throw error;
    }
    const moved = await holderOf(aside);
    if (moved !== holder && moved !== undefined && isAlive(moved)) {
      await linked(aside, lockPath);
      await unlink(aside);
      throw lockedBy(moved, dataDir);
    }
    await unlink(aside);
  }
  throw new DatabaseOpenError(`could not take DATA_DIR ${resolve(dataDir)}: other processes keep starting on it`);
}

function lockedBy(pid: number, dataDir: string): DatabaseOpenError {
  return new DatabaseOpenError(
    `another process (pid ${pid}) has the embedded database in DATA_DIR ${resolve(dataDir)} open: stop it, or give this one another DATA_DIR (or a DATABASE_URL)`,
  );
}

/** Creates `target` as another name for `source`, or false when `target` exists. */
async function linked(source: string, target: string): Promise<boolean> {
  try {
    await link(source, target);
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'EEXIST') return false;
    throw error;
  }
}

/** The pid a lock file names; undefined when it is gone. Unreadable content names no live process (0). */
async function holderOf(path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await readFile(path, 'utf8'), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : 0;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Whether a process with this pid runs. Our own pid in the file is an earlier run's (a container
 * restarted gives its process the same pid), since this process has not taken the lock yet.
 */
function isAlive(pid: number): boolean {
  if (pid === 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as { code?: unknown }).code === 'EPERM';
  }
}

/** Removes the lock if it is still ours; synchronous, so that it also runs in an 'exit' handler. */
function releaseSync(lockPath: string): void {
  try {
    if (Number.parseInt(readFileSync(lockPath, 'utf8'), 10) === process.pid) unlinkSync(lockPath);
  } catch {
    // Already gone.
  }
}
