/**
 * What the benches share: the settings, a database created for the run, the service started as
 * `npm start` runs it, the closed-loop callers and the table printer.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Agent, createServer, request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { SignJWT } from 'jose';
import pg from 'pg';

export const run = promisify(execFile);
export const SERVER_URL = process.env['BENCH_DATABASE_URL'] || process.env['TEST_DATABASE_URL'] || 'postgresql://postgres@127.0.0.1:5432/test';
export const SECONDS = Math.min(Math.max(Number(process.env['BENCH_SECONDS'] ?? 10), 2), 120);
export const CONCURRENCY = 32;
export const POOL = Number(process.env['BENCH_POOL'] ?? 16);
/**
 * Service processes behind the callers. One by default: on this 2-core machine a second process
 * only takes CPU from PostgreSQL and the callers (measured: 1,088/s with two, ~1,300/s with one).
 */
export const PROCESSES = Math.min(Math.max(Number(process.env['BENCH_PROCESSES'] ?? 1), 1), 8);
/** `graphql` (the 10,000-wallet GraphQL phase alone), `charges`, `webhooks`; unset: everything. */
export const ONLY = process.env['BENCH_ONLY'] ?? '';
export const JWT_SECRET = randomBytes(32).toString('hex');

/** A token the benchmarked service accepts: HS256 with JWT_SECRET, issued now, good for two hours (within JWT_MAX_TTL_SECONDS). */
export function benchToken(subject: string, claims: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(subject).setIssuedAt().setExpirationTime('2h').sign(new TextEncoder().encode(JWT_SECRET));
}

/** A suffix for the names of the databases created for one run. */
export function randomSuffix(): string {
  return randomBytes(4).toString('hex');
}

export interface Result {
  readonly name: string;
  readonly perSecond: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  readonly errors?: number;
  /** What the answers said, counted by label (a webhook's outcome). */
  readonly outcomes?: Readonly<Record<string, number>>;
}

/** The service processes and the database they run on, for the length of the run. */
export interface BenchContext {
  readonly databaseUrl: string;
  readonly urls: readonly string[];
  readonly services: readonly RunningProcess[];
}

/** Something a bench runs beside the service for the whole run (the provider fakes), and the settings that point the service at it. */
export interface Companion {
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

/** One bench: the service settings it needs, and what it seeds and runs once the service is up. */
export interface Bench {
  readonly env: Readonly<Record<string, string>>;
  /** Started before the service, which gets its settings too; stopped after the service. */
  startCompanion?(): Promise<Companion>;
  prepare(context: BenchContext): Promise<{ run: () => Promise<void>; teardown: () => Promise<void> }>;
}

export async function admin(sql: string, url = SERVER_URL): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export function databaseUrl(name: string): string {
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** What a process wrote to its log at pino's warn (40) and error (50) levels and above, counted as it ran. */
export interface LogTally {
  warnings: number;
  errors: number;
  /** The first few such lines, shortened. */
  readonly first: string[];
}

const MAX_LOG_LINES_KEPT = 5;
const MAX_LOG_LINE_KEPT_CHARS = 400;

export interface RunningProcess {
  readonly url: string;
  readonly pid: number;
  readonly log: LogTally;
  stop(): Promise<void>;
}

/** Passes a child's output on as it comes, and counts its pino lines at warn and error (and above). */
function tally(stream: NodeJS.ReadableStream, out: NodeJS.WriteStream, log: LogTally): void {
  let rest = '';
  stream.on('data', (chunk: Buffer) => {
    out.write(chunk);
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      const level = Number(/"level":(\d+)/.exec(line)?.[1] ?? 0);
      if (level < 40) continue;
      if (level >= 50) log.errors++;
      else log.warnings++;
      if (log.first.length < MAX_LOG_LINES_KEPT) log.first.push(line.slice(0, MAX_LOG_LINE_KEPT_CHARS));
    }
  });
}

/** A Node program in its own process on a free loopback port, ready once `readyPath` answers at all. */
export async function startProcess(script: string, env: Record<string, string>, options: { nodeArgs?: string[]; readyPath: string }): Promise<RunningProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), script], { env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  const log: LogTally = { warnings: 0, errors: 0, first: [] };
  tally(child.stdout!, process.stdout, log);
  tally(child.stderr!, process.stderr, log);
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}`);
    const ready = await fetch(`${url}${options.readyPath}`).then((response) => response.status < 500, () => false);
    if (ready) break;
    if (attempt > 300) throw new Error(`${script} did not start in 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    pid: child.pid!,
    log,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** The service as `npm start` runs it, in its own process, as it would be deployed. */
export function startService(env: Record<string, string>): Promise<RunningProcess> {
  const nodeArgs = (process.env['BENCH_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  return startProcess('api/main.ts', env, { nodeArgs, readyPath: '/healthz' });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** One POST over a kept-alive connection; resolves with the status and the body as text. */
export function post(agent: Agent, url: URL, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** What one call's answer counts as: a success or not, and optionally a label to count. */
export interface Answer {
  readonly ok: boolean;
  readonly label?: string;
}

/**
 * CONCURRENCY callers on kept-alive loopback connections, each sending its next request as soon as
 * the last is answered, for SECONDS (or `seconds`, for a warm-up). Throughput counts the successful
 * answers only; the latency percentiles are over every answer.
 */
export async function closedLoop(name: string, send: (agent: Agent, worker: number) => Promise<Answer>, seconds = SECONDS): Promise<Result> {
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const worker = async (_: unknown, index: number) => {
    while (performance.now() < deadline) {
      const started = performance.now();
      const answer = await send(agent, index);
      latencies.push(performance.now() - started);
      if (!answer.ok) errors++;
      if (answer.label !== undefined) outcomes[answer.label] = (outcomes[answer.label] ?? 0) + 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  agent.destroy();
  const elapsed = (performance.now() - started) / 1000;
  return summarize(name, latencies, errors, outcomes, elapsed);
}

/** Sockets an open-loop sender may keep open at once: far more than its rate needs while the service keeps up. */
export const OPEN_LOOP_SOCKETS = 64;

/**
 * Requests sent at a steady `perSecond` for SECONDS whatever the answers (an open loop, as a
 * provider sends): request `n` is due at start + n / perSecond and goes as soon as it is due, on
 * kept-alive loopback connections. Latency counts from when a request was due, not from when it
 * went, so a sender that falls behind shows in the figures instead of hiding the wait.
 * `send` gets the request's number and when it was due, as wall-clock milliseconds.
 */
export async function openLoop(name: string, perSecond: number, send: (agent: Agent, n: number, dueAtWallMs: number) => Promise<Answer>): Promise<Result> {
  const total = Math.round(perSecond * SECONDS);
  const intervalMs = 1000 / perSecond;
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  let errors = 0;
  const agent = new Agent({ keepAlive: true, maxSockets: OPEN_LOOP_SOCKETS });
  const answers: Promise<void>[] = [];
  const started = performance.now();
  for (let n = 0; n < total; n++) {
    const due = started + n * intervalMs;
    const wait = due - performance.now();
    if (wait >= 1) await new Promise((resolve) => setTimeout(resolve, wait));
    answers.push(
      send(agent, n, performance.timeOrigin + due).then(
        (answer) => {
          latencies.push(performance.now() - due);
          if (!answer.ok) errors++;
          if (answer.label !== undefined) outcomes[answer.label] = (outcomes[answer.label] ?? 0) + 1;
        },
        () => {
          latencies.push(performance.now() - due);
          errors++;
        },
      ),
    );
  }
  await Promise.all(answers);
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  return summarize(name, latencies, errors, outcomes, elapsed);
}

/** pgbench against `url` with CONCURRENCY clients for SECONDS: a floor measured beside the service. */
export async function pgbench(name: string, url: string, args: string[]): Promise<Result> {
  const target = new URL(url);
  const { stdout } = await run('pgbench', [
    '-h', target.hostname, '-p', target.port || '5432', '-U', decodeURIComponent(target.username || 'postgres'),
    '-n', '-c', String(CONCURRENCY), '-j', '2', '-T', String(SECONDS), '-r', ...args, target.pathname.slice(1),
  ], { env: { ...process.env, PGPASSWORD: decodeURIComponent(target.password) } });
  const tps = /tps = ([\d.]+)/.exec(stdout);
  const latency = /latency average = ([\d.]+) ms/.exec(stdout);
  return { name, perSecond: Number(tps?.[1] ?? Number.NaN), ...(latency ? { p50Ms: Number(latency[1]) } : {}) };
}

/** Linux's clock ticks per second for /proc times (USER_HZ): 100 on every mainstream kernel. */
const TICKS_PER_SECOND = 100;

interface CpuSample {
  readonly atMs: number;
  /** Every core's non-idle ticks since boot, from /proc/stat. */
  readonly busyTicks: number;
  /** user + system ticks of each live process, with its command name. */
  readonly processes: ReadonlyMap<number, { readonly comm: string; readonly ticks: number }>;
}

function sampleCpu(): CpuSample {
  const [, user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).map(Number);
  const processes = new Map<number, { comm: string; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      // After the command: state is field 3, utime 14 and stime 15 (1-based, as proc(5) numbers them).
      processes.set(Number(entry), { comm: stat.slice(stat.indexOf('(') + 1, close), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return { atMs: performance.now(), busyTicks: user + nice + system + irq + softirq + steal, processes };
}

/**
 * Where the machine's CPU went while something ran, in cores: the named processes, PostgreSQL's
 * (every live `postgres` process), and the rest (whatever else ran, other people's work on a
 * shared machine among it, and processes that ended meanwhile, such as pgbench's backends).
 */
export function measureCpu(named: Readonly<Record<string, readonly number[]>>): () => string {
  const before = sampleCpu();
  return () => {
    const after = sampleCpu();
    const seconds = (after.atMs - before.atMs) / 1000;
    const used = (pid: number) => {
      const now = after.processes.get(pid);
      return now ? (now.ticks - (before.processes.get(pid)?.ticks ?? 0)) / TICKS_PER_SECOND : 0;
    };
    const shares: [string, number][] = Object.entries(named).map(([name, pids]) => [name, pids.reduce((sum, pid) => sum + used(pid), 0)]);
    const namedPids = new Set(Object.values(named).flat());
    const postgres = [...after.processes].filter(([pid, { comm }]) => comm === 'postgres' && !namedPids.has(pid)).reduce((sum, [pid]) => sum + used(pid), 0);
    shares.push(['postgres', postgres]);
    const total = (after.busyTicks - before.busyTicks) / TICKS_PER_SECOND;
    shares.push(['rest', Math.max(0, total - shares.reduce((sum, [, cpu]) => sum + cpu, 0))]);
    return `CPU in cores: ${shares.map(([name, cpu]) => `${name} ${(cpu / seconds).toFixed(2)}`).join(', ')} (of ${availableParallelism()})`;
  };
}

/** Runs phases one after another, printing each figure as it comes. */
export function phases(): { results: Result[]; phase: (result: Promise<Result>) => Promise<Result> } {
  const results: Result[] = [];
  return {
    results,
    phase: async (result) => {
      const done = await result;
      results.push(done);
      console.log(`  ${done.name}: ${done.perSecond.toFixed(0)}/s`);
      return done;
    },
  };
}

export interface Row {
  readonly result: Result;
  /** The floor the result is held to; null for a floor itself. */
  readonly floor: Result | null;
  /** Further floors it is shown against, in the same column. */
  readonly alsoAgainst?: readonly Result[];
  /** A target checked against the result, shown in its own column when any row has one. */
  readonly target?: { readonly text: string; readonly met: boolean };
  /** Shown in the ratio column instead, for a row held to no floor (what the figures mean). */
  readonly note?: string;
}

export function printTable(rows: readonly Row[], unit = 'per second'): void {
  const targets = rows.some((row) => row.target);
  const ms = (value?: number) => (value === undefined ? '' : value.toFixed(2));
  console.log(`\n| scenario | ${unit} | p50 ms | p99 ms | errors | ratio to floor |${targets ? ' target |' : ''}`);
  console.log(`| --- | ---: | ---: | ---: | ---: | --- |${targets ? ' --- |' : ''}`);
  for (const { result, floor, alsoAgainst = [], target, note } of rows) {
    const against = (other: Result) => `${(result.perSecond / other.perSecond).toFixed(2)}× ${other.name}`;
    const ratio = floor ? [floor, ...alsoAgainst].map(against).join('; ') : (note ?? 'floor');
    const goal = targets ? ` ${target ? `${target.text}: ${target.met ? 'met' : '**missed**'}` : ''} |` : '';
    console.log(`| ${result.name} | ${result.perSecond.toFixed(0)} | ${ms(result.p50Ms)} | ${ms(result.p99Ms)} | ${result.errors ?? ''} | ${ratio} |${goal}`);
  }
}

/**
 * Creates a database for the run, starts the service on it with every bench's settings, lets each
 * bench seed and run in turn, and drops the database at the end whatever happens.
 */
export async function runBenches(benches: readonly Bench[]): Promise<void> {
  const name = `billing_bench_${randomSuffix()}`;
  await admin(`create database ${name}`);
  const env = {
    DATABASE_URL: databaseUrl(name),
    JWT_SECRET,
    DATABASE_POOL_MAX: String(POOL),
    LOG_LEVEL: 'warn',
    RECONCILE_INTERVAL_SECONDS: '0',
    // Stop at once at the end of the run: nothing is sending by then.
    SHUTDOWN_DRAIN_SECONDS: '0',
    ...Object.assign({}, ...benches.map((bench) => bench.env)),
  };
  const servers: RunningProcess[] = [];
  const teardowns: (() => Promise<void>)[] = [];
  const companions: Companion[] = [];
  try {
    for (const bench of benches) if (bench.startCompanion) companions.push(await bench.startCompanion());
    Object.assign(env, ...companions.map((companion) => companion.env));
    servers.push(...(await Promise.all(Array.from({ length: PROCESSES }, () => startService(env)))));
    const context: BenchContext = { databaseUrl: databaseUrl(name), urls: servers.map((server) => server.url), services: servers };
    for (const bench of benches) {
      const prepared = await bench.prepare(context);
      teardowns.push(prepared.teardown);
      await prepared.run();
    }
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    for (const teardown of teardowns.reverse()) await teardown();
    await Promise.all(companions.map((companion) => companion.stop()));
    await admin(`drop database if exists ${name} with (force)`);
  }
}

/** A phase's figures from its answers' latencies (sorted here), over `elapsed` seconds. */
function summarize(name: string, latencies: number[], errors: number, outcomes: Record<string, number>, elapsed: number): Result {
  // A phase in which nothing succeeded measured nothing (a refused token, a broken query): say so rather than print 0/s.
  if (latencies.length > 0 && errors === latencies.length) throw new Error(`${name}: all ${errors} requests failed`);
  latencies.sort((a, b) => a - b);
  return {
    name,
    perSecond: (latencies.length - errors) / elapsed,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    errors,
    ...(Object.keys(outcomes).length ? { outcomes } : {}),
  };
}
