import { serve, type ServerType } from '@hono/node-server';
import { openDatabase, type Database } from '../adapters/persistence/database.ts';
import { startBackgroundWork } from './background.ts';
import { DEVELOPMENT_SANDBOX_WEBHOOK_SECRET, type AppConfig } from './config.ts';
import { buildContainer } from './container.ts';
import { createApp } from './http/app.ts';
import type { Logger } from './logger.ts';

/** A start that failed for a reason the operator can fix, said in one sentence (no stack). */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/** How long each step of the start took, in ms, logged with "billing service listening". */
export class StartupTimer {
  readonly phases: Record<string, number> = {};
  /** The first step counts from the process's own start. */
  private last = 0;

  /** Ends the step `phase` now (or at `atMs`, on the process's clock). */
  mark(phase: string, atMs = performance.now()): void {
    const now = atMs;
    this.phases[phase] = Math.round(now - this.last);
    this.last = now;
  }

  get totalMs(): number {
    return Math.round(this.last);
  }
}

export interface RunningServer {
  readonly url: string;
  readonly database: Database;
  stop(): Promise<void>;
}

/**
 * Listens first, answering 503 until the database is open and migrated, then serves the app, and
 * only then starts the background work. Listening first also tells the server its own address
 * (PORT=0 picks a free one), which the sandbox's hosted pages need when PUBLIC_URL is not set.
 */
export async function startServer(config: AppConfig, logger: Logger, timer = new StartupTimer()): Promise<RunningServer> {
  if (config.jwt.kind === 'secret' && config.jwt.development) {
    logger.warn('no JWT_SECRET or JWT_JWKS_URL: accepting tokens signed with the public development secret (npm run token)');
  }
  warnAboutProviders(config, logger);
  let handle: (request: Request) => Response | Promise<Response> = () =>
    Response.json({ error: 'the service is starting', code: 'UNAVAILABLE' }, { status: 503, headers: { 'retry-after': '1' } });
  let draining = false;
  const serveRequest = async (request: Request) => {
    if (!draining) return handle(request);
    if (new URL(request.url).pathname === '/healthz') {
      return Response.json({ status: 'draining', error: 'the process is shutting down', code: 'UNAVAILABLE' }, { status: 503, headers: { connection: 'close' } });
    }
    // Still served while draining, but the client is told not to send more on this connection.
    const response = await handle(request);
    const headers = new Headers(response.headers);
    headers.set('connection', 'close');
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };
  const server = await listen(config, serveRequest);
  timer.mark('listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`;

  let database: Database | undefined;
  try {
    database = await openDatabase({
      url: config.databaseUrl,
      dataDir: config.dataDir,
      poolMax: config.databasePoolMax,
      onProgress: (message) => logger.info({ dataDir: config.dataDir }, message),
    });
    logger.info({ database: database.kind, ...(database.kind === 'pglite' ? { dataDir: config.dataDir } : {}) }, 'database open');
    timer.mark('database');
    await database.migrate();
    timer.mark('migrations');
  } catch (error) {
    await database?.close();
    server.close();
    throw error;
  }
  const container = buildContainer({ config: { ...config, publicUrl: config.publicUrl ?? url }, logger, database });
  const app = createApp(container);
  handle = app.fetch;
  timer.mark('container');
  const background = await startBackgroundWork(config, logger, container);
  timer.mark('background');
  logger.info({ url, graphql: `${url}/graphql`, startupMs: { total: timer.totalMs, ...timer.phases } }, 'billing service listening');

  return {
    url,
    database,
    /**
     * Drains: readiness answers 503 while requests are still served for SHUTDOWN_DRAIN_SECONDS (so
     * a load balancer stops sending any), then stops taking connections, lets requests and jobs
     * under way finish (provider events being applied, scheduled work), and closes the pool.
     */
    async stop() {
      draining = true;
      await new Promise((resolve) => setTimeout(resolve, config.shutdownDrainSeconds * 1000));
      const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
      await Promise.all([closed, background.stop()]);
      await database.close();
    },
  };
}

/** Binds HOST:PORT; a port that is taken or not ours to take, or a HOST that is none of ours or no name at all, is a StartupError saying so. */
function listen(config: AppConfig, fetch: (request: Request) => Response | Promise<Response>): Promise<ServerType> {
  return new Promise<ServerType>((resolve, reject) => {
    const started = serve({ fetch, hostname: config.host, port: config.port }, () => resolve(started));
    started.once('error', (error: NodeJS.ErrnoException) => {
      const at = `port ${config.port} on ${config.host}`;
      if (error.code === 'EADDRINUSE') reject(new StartupError(`${at} is already in use by another process: stop it, or set PORT to a free port`));
      else if (error.code === 'EACCES') reject(new StartupError(`${at} is not open to this user (EACCES): set PORT to 1024 or above`));
      else if (error.code === 'EADDRNOTAVAIL') reject(new StartupError(`HOST ${config.host} is not an address of this machine (EADDRNOTAVAIL): set HOST to one of its addresses, or 0.0.0.0`));
      else if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') {
        reject(new StartupError(`HOST ${config.host} is not a name or address this machine can find (${error.code}): set HOST to one of its addresses, or 0.0.0.0`));
      }
      else reject(error);
    });
  });
}

/** The spec: test keys in development, live keys only in production, and say so loudly otherwise. */
function warnAboutProviders(config: AppConfig, logger: Logger): void {
  const regions = [
    ['stripe', config.stripe],
    ['razorpay', config.razorpay],
  ] as const;
  for (const [region, provider] of regions) {
    if (!provider && config.production) {
      // Only with SANDBOX_IN_PRODUCTION=1: without it the configuration refuses to start.
      logger.error({ region }, `SANDBOX_IN_PRODUCTION=1 and no ${region} keys: the sandbox serves this region in production, confirms every payment and takes no money`);
    } else if (!provider) {
      logger.info({ region }, `no ${region} keys: the local sandbox gateway serves this region and no money moves`);
    } else if (config.production && !provider.live) {
      logger.error({ region }, `PRODUCTION IS USING ${region.toUpperCase()} TEST KEYS: no real payment will be taken`);
    }
  }
  if (config.stripe && config.razorpay) return;
  if (!config.sandboxWebhookSecret) logger.error('no SANDBOX_WEBHOOK_SECRET: the sandbox sends no events, so nothing it does after a checkout reaches this service');
  else if (config.sandboxWebhookSecret === DEVELOPMENT_SANDBOX_WEBHOOK_SECRET) logger.warn('no SANDBOX_WEBHOOK_SECRET: the sandbox signs its events with the public development secret');
}
