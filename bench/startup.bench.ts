/**
 * How long the service takes from process start to a healthy `/healthz`, as `npm start` runs it:
 * on an embedded data folder that already exists, and on a PostgreSQL database already migrated
 * (median of STARTUP_RUNS starts each), beside the first run that creates the embedded database.
 * Each start's own account of where its time went (the `startupMs` of its "billing service
 * listening" line) is shown as medians: module import, configuration, database open, migration
 * check, container, background work.
 *
 *   BENCH_ONLY=startup npm run bench
 *   BENCH_ONLY=startup BENCH_SERVICE_DIR=<another checkout> npm run bench   (the same starts of another build, to compare)
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { admin, databaseUrl, freePort, JWT_SECRET, percentile, randomSuffix } from './support.ts';

/** Where the service that is started lives: this checkout unless told otherwise. */
const SERVICE_DIR = process.env['BENCH_SERVICE_DIR'] || process.cwd();
const RUNS = Math.min(Math.max(Number(process.env['STARTUP_RUNS'] ?? 5), 1), 20);
const POLL_MS = 10;
const START_TIMEOUT_MS = 60_000;
/** The targets on this machine. */
const TARGET_MS = { embedded: 1_500, postgresql: 1_000 } as const;
const PHASES = ['config', 'imports', 'listening', 'database', 'migrations', 'container', 'background'] as const;

interface Start {
  /** From spawning the process to the first 200 from `/healthz`. */
  readonly healthyMs: number;
  /** CPU the process used until then (user and system): what a busy machine stretches but does not change. */
  readonly cpuMs: number;
  /** What the process says its start took, phase by phase, when it says so. */
  readonly phases: Partial<Record<string, number>>;
}

/** Starts the service once on a port of its own choosing, times it to healthy, and stops it. */
async function timeOneStart(env: Record<string, string>): Promise<Start> {
  const port = await freePort();
  const startedAt = performance.now();
  const child = spawn(process.execPath, ['api/main.ts'], {
    cwd: SERVICE_DIR,
    env: { ...process.env, NODE_ENV: 'development', JWT_SECRET, LOG_LEVEL: 'info', PORT: String(port), SHUTDOWN_DRAIN_SECONDS: '0', RECONCILE_INTERVAL_SECONDS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stderr!.on('data', (chunk) => output.push(String(chunk)));
  let phases: Partial<Record<string, number>> = {};
  createInterface({ input: child.stdout! }).on('line', (line) => {
    output.push(line);
    const entry = JSON.parse(line) as { startupMs?: Record<string, number> };
    if (entry.startupMs) phases = entry.startupMs;
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode} before it was healthy:\n${output.join('\n')}`);
      const healthy = await fetch(`http://127.0.0.1:${port}/healthz`).then((response) => response.status === 200, () => false);
      if (healthy) break;
      if (performance.now() - startedAt > START_TIMEOUT_MS) throw new Error(`not healthy in ${START_TIMEOUT_MS} ms:\n${output.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    const healthyMs = performance.now() - startedAt;
    const cpuMs = cpuMsOf(child.pid!);
    // The breakdown line comes once background work has started, which may be just after /healthz answers.
    for (let wait = 0; !phases['background'] && wait < 100; wait++) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    return { healthyMs, cpuMs, phases };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  }
}

/** Linux's clock ticks per second for /proc times (USER_HZ). */
const TICKS_PER_SECOND = 100;

/** user + system CPU of a live process so far, from /proc (fields 14 and 15 of its stat). */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

async function timeStarts(env: Record<string, string>): Promise<Start[]> {
  const starts: Start[] = [];
  for (let run = 0; run < RUNS; run++) starts.push(await timeOneStart(env));
  return starts;
}

function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

function printStarts(rows: readonly (readonly [string, readonly Start[], number | undefined])[]): void {
  console.log(`\n| start | median ms to healthy | min | max | CPU ms (median) | target |`);
  console.log('| --- | ---: | ---: | ---: | ---: | --- |');
  for (const [name, starts, target] of rows) {
    const ms = starts.map((start) => start.healthyMs);
    const met = target === undefined ? '' : `≤ ${target} ms: ${median(ms) <= target ? 'met' : '**missed**'}`;
    const cpu = median(starts.map((start) => start.cpuMs)).toFixed(0);
    console.log(`| ${name} | ${median(ms).toFixed(0)} | ${Math.min(...ms).toFixed(0)} | ${Math.max(...ms).toFixed(0)} | ${cpu} | ${met} |`);
  }
  console.log(`\nWhere the time goes, as each process measured it (median ms; config counts from the process's own start, imports are the modules loaded after it):\n`);
  console.log(`| start | ${PHASES.join(' | ')} |`);
  console.log(`| --- |${PHASES.map(() => ' ---: |').join('')}`);
  for (const [name, starts] of rows) {
    const cells = PHASES.map((phase) => {
      const values = starts.map((start) => start.phases[phase]).filter((value): value is number => value !== undefined);
      return values.length ? median(values).toFixed(0) : '–';
    });
    console.log(`| ${name} | ${cells.join(' | ')} |`);
  }
}

export async function startupBench(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'billing-startup-'));
  const name = `billing_bench_${randomSuffix()}`;
  await admin(`create database ${name}`);
  try {
    console.log(`startup: ${RUNS} starts each of ${SERVICE_DIR}, node ${process.version}`);
    const created = await timeOneStart({ DATA_DIR: dataDir });
    const embedded = await timeStarts({ DATA_DIR: dataDir });
    const migrating = await timeOneStart({ DATABASE_URL: databaseUrl(name) });
    const postgresql = await timeStarts({ DATABASE_URL: databaseUrl(name) });
    printStarts([
      ['embedded, first run (creates the database)', [created], undefined],
      ['embedded, existing data folder', embedded, TARGET_MS.embedded],
      ['PostgreSQL, first run (migrates)', [migrating], undefined],
      ['PostgreSQL, migrated', postgresql, TARGET_MS.postgresql],
    ]);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
    await admin(`drop database if exists ${name} with (force)`);
  }
}
