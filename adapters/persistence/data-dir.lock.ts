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
 * it. The lock is a file holding the owner's pid (and, on Linux, its start time), created whole in
 * one step (a hard link from a file already written), so no process ever reads a half-written one.
 * A lock whose process is gone (killed, the machine restarted) is stale and taken over, so a crash
 * never blocks the next start; so is one whose pid the system has given another process since
 * (told by its start time). Resolves with the release, which also runs by itself if the process
 * exits without it.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const lockPath = join(dataDir, DATA_DIR_LOCK_FILE);
  const ours = `${lockPath}.${process.pid}`;
  try {
    await mkdir(dataDir, { recursive: true });
    await writeFile(ours, `${process.pid}\n${startTimeOf('self') ?? ''}\n`);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && NOT_WRITABLE.has(code)) {
      throw new DatabaseOpenError(`cannot write to DATA_DIR ${resolve(dataDir)} (${code}): give this process a folder it can write, or set DATABASE_URL`);
    }
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw new DatabaseOpenError(`DATA_DIR ${resolve(dataDir)} is not a folder (${code}): a file is in its place or on its path; give this process a folder, or set DATABASE_URL`);
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
    if (isAlive(holder)) throw lockedBy(holder.pid, dataDir);
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
    if (moved !== undefined && (moved.pid !== holder.pid || moved.startTime !== holder.startTime) && isAlive(moved)) {
      await linked(aside, lockPath);
      await unlink(aside);
      throw lockedBy(moved.pid, dataDir);
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

/** The process a lock names: its pid, and its start time where the system tells it (a lock of an earlier version has none). */
interface Holder {
  readonly pid: number;
  readonly startTime: string | undefined;
}

/** The holder a lock file names; undefined when it is gone. Unreadable content names no live process (pid 0). */
async function holderOf(path: string): Promise<Holder | undefined> {
  try {
    const [first, second] = (await readFile(path, 'utf8')).split('\n');
    const pid = Number.parseInt(first ?? '', 10);
    return { pid: Number.isSafeInteger(pid) && pid > 0 ? pid : 0, startTime: second || undefined };
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Whether the process that wrote the lock runs. Our own pid in the file is an earlier run's (a
 * container restarted gives its process the same pid), since this process has not taken the lock
 * yet. A live process of that pid that started at another time than the holder is another process
 * the pid was given to after the holder died (a reboot, or pids wrapping around).
 */
function isAlive(holder: Holder): boolean {
  if (holder.pid === 0 || holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    // EPERM: it runs, as another user.
    if ((error as { code?: unknown }).code !== 'EPERM') return false;
  }
  const startTime = holder.startTime === undefined ? undefined : startTimeOf(holder.pid);
  return startTime === undefined || startTime === holder.startTime;
}

/**
 * When a process started, as Linux counts it (clock ticks since boot: field 22 of /proc/<pid>/stat);
 * with its pid it names one process, where a pid alone is reused. Undefined where there is no /proc.
 */
function startTimeOf(pid: number | 'self'): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2, the command name, is in parentheses and may hold spaces: fields are counted after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] || undefined;
  } catch {
    return undefined;
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
