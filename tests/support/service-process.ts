import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

const START_TIMEOUT_MS = 30_000;
const run = promisify(execFile);

/** The environment a child process gets: this one's, minus anything that would pick a database or secret. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const { DATABASE_URL, JWT_SECRET, JWT_JWKS_URL, JWT_ISSUER, JWT_AUDIENCE, DATA_DIR, PORT, ...rest } = process.env;
  // A small pool: test files run two at a time against one PostgreSQL, whose connections are limited.
  return { ...rest, NODE_ENV: 'development', LOG_LEVEL: 'info', DATABASE_POOL_MAX: '4', ...env };
}

export interface ServiceProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** The lines it has written to stdout (its log), from its start. */
  readonly stdout: readonly string[];
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `node api/main.ts` as `npm start` does, on a free port, and waits until it listens. */
export async function startService(env: Record<string, string>): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['api/main.ts'], { env: childEnv({ PORT: '0', ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  const stdout: string[] = [];
  child.stderr!.on('data', (chunk) => stderr.push(String(chunk)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left running behind a failed test.
      child.kill('SIGKILL');
      reject(new Error(`service did not start in ${START_TIMEOUT_MS} ms: ${stderr.join('')}`));
    }, START_TIMEOUT_MS);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      stdout.push(line);
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      if (entry.msg === 'billing service listening' && entry.url) {
        clearTimeout(timer);
        resolve(entry.url);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code} before listening: ${stderr.join('')}`));
    });
  });
  return {
    url,
    child,
    stdout,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
}

/** Runs a script as a person would (`node api/token.ts …`) and returns what it printed. */
export async function runScript(script: string, args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [script, ...args], { env: childEnv(env) });
    return { code: 0, stdout: stdout.trim(), stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout.trim(), stderr: failed.stderr };
  }
}
