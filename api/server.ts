import { serve, type ServerType } from '@hono/node-server';
import { openDatabase, type Database } from '../adapters/persistence/database.ts';
import { startBackgroundWork } from './background.ts';
import { DEVELOPMENT_SANDBOX_WEBHOOK_SECRET, type AppConfig } from './config.ts';
import { buildContainer } from './container.ts';
import { createApp } from './http/app.ts';
import type { Logger } from './logger.ts';

export interface RunningServer {
  readonly url: string;
  readonly database: Database;
  stop(): Promise<void>;
}

/**
 * Listens first, answering 503 until the database is open and migrated, then serves the app.
 * Listening first also tells the server its own address (PORT=0 picks a free one), which the
 * sandbox's hosted pages need when PUBLIC_URL is not set.
 */
export async function startServer(config: AppConfig, logger: Logger): Promise<RunningServer> {
  if (config.jwt.kind === 'secret' && config.jwt.development) {
    logger.warn('no JWT_SECRET or JWT_JWKS_URL: accepting tokens signed with the public development secret (npm run token)');
  }
  warnAboutProviders(config, logger);
  let handle: (request: Request) => Response | Promise<Response> = () =>
    Response.json({ error: 'the service is starting' }, { status: 503, headers: { 'retry-after': '1' } });
  let draining = false;
  const serveRequest = async (request: Request) => {
    if (!draining) return handle(request);
    if (new URL(request.url).pathname === '/healthz') {
      return Response.json({ status: 'draining', error: 'the process is shutting down' }, { status: 503, headers: { connection: 'close' } });
    }
    // Still served while draining, but the client is told not to send more on this connection.
    const response = await handle(request);
    const headers = new Headers(response.headers);
    headers.set('connection', 'close');
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };
  const server = await new Promise<ServerType>((resolve) => {
    const started = serve({ fetch: serveRequest, hostname: config.host, port: config.port }, () => resolve(started));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`;

  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, poolMax: config.databasePoolMax });
  logger.info({ database: database.kind, ...(database.kind === 'pglite' ? { dataDir: config.dataDir } : {}) }, 'database open');
  await database.migrate();
  const container = buildContainer({ config: { ...config, publicUrl: config.publicUrl ?? url }, logger, database });
  const app = createApp(container);
  handle = app.fetch;
  const background = await startBackgroundWork(config, logger, container);
  logger.info({ url, graphql: `${url}/graphql` }, 'billing service listening');

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

/** The spec: test keys in development, live keys only in production, and say so loudly otherwise. */
function warnAboutProviders(config: AppConfig, logger: Logger): void {
  const regions = [
    ['stripe', config.stripe],
    ['razorpay', config.razorpay],
  ] as const;
  for (const [region, provider] of regions) {
    if (!provider) {
      logger[config.production ? 'error' : 'info'](
        { region },
        `no ${region} keys: the local sandbox gateway serves this region and no money moves`,
      );
    } else if (config.production && !provider.live) {
      logger.error({ region }, `PRODUCTION IS USING ${region.toUpperCase()} TEST KEYS: no real payment will be taken`);
    }
  }
  if (config.stripe && config.razorpay) return;
  if (!config.sandboxWebhookSecret) logger.error('no SANDBOX_WEBHOOK_SECRET: the sandbox sends no events, so nothing it does after a checkout reaches this service');
  else if (config.sandboxWebhookSecret === DEVELOPMENT_SANDBOX_WEBHOOK_SECRET) logger.warn('no SANDBOX_WEBHOOK_SECRET: the sandbox signs its events with the public development secret');
}
