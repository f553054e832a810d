import { serve, type ServerType } from '@hono/node-server';
import { openDatabase, type Database } from '../adapters/persistence/database.ts';
import type { AppConfig } from './config.ts';
import { EndGracePeriods } from '../application/billing/end-grace-periods.use-case.ts';
import { ReconcileCheckouts } from '../application/billing/reconcile-checkouts.use-case.ts';
import { PgBossPayoutSchedule, SCHEDULED_FREQUENCIES, type ScheduledFrequency } from '../adapters/jobs/pg-boss.payout-schedule.ts';
import { ResendUnansweredPayouts, RunScheduledPayouts } from '../application/payouts/payouts.use-cases.ts';
import { REQUEST_SCOPE } from '../application/shared/request-scope.port.ts';
import { buildContainer, resolve } from './container.ts';
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
  const scope = resolve(container, REQUEST_SCOPE);
  const reconciling = scheduleReconciliation(config, logger, async () => ({
    checkouts: await scope.run(() => resolve(container, ReconcileCheckouts).execute()),
    gracePeriods: await scope.run(() => resolve(container, EndGracePeriods).execute()),
    unansweredPayouts: await scope.run(() => resolve(container, ResendUnansweredPayouts).execute()),
  }));
  const payouts = config.payoutSchedule
    ? await startPayoutSchedule(config, logger, (frequency) => scope.run(() => resolve(container, RunScheduledPayouts).execute(frequency)))
    : undefined;
  logger.info({ url, graphql: `${url}/graphql` }, 'billing service listening');

  return {
    url,
    database,
    /**
     * Drains: readiness answers 503 while requests are still served for SHUTDOWN_DRAIN_SECONDS (so
     * a load balancer stops sending any), then stops taking connections, lets requests and jobs
     * under way finish, and closes the pool.
     */
    async stop() {
      draining = true;
      await new Promise((resolve) => setTimeout(resolve, config.shutdownDrainSeconds * 1000));
      const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
      await Promise.all([closed, reconciling.stop(), payouts?.stop()]);
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
}

/** How often the embedded database's single process looks for a payout period to pay. */
const EMBEDDED_PAYOUT_CHECK_MS = 60 * 60 * 1000;

/**
 * The weekly and monthly payout runs. On PostgreSQL they run on pg-boss, once per tick across every
 * process; the embedded database serves one process only, so a timer runs the passes hourly there
 * (each pays a creator at most once per period, so the extra passes pay no one twice).
 */
async function startPayoutSchedule(
  config: AppConfig,
  logger: Logger,
  run: (frequency: ScheduledFrequency) => Promise<unknown>,
): Promise<{ stop(): Promise<void> }> {
  const logged = async (frequency: ScheduledFrequency) => logger.info({ report: await run(frequency) }, `${frequency} payout run`);
  if (config.databaseUrl) {
    const schedule = new PgBossPayoutSchedule({
      connectionString: config.databaseUrl,
      run: logged,
      onError: (error) => logger.error({ err: error }, 'payout schedule error'),
    });
    // A schedule that cannot start (the database away for a moment) must not stop the service.
    const started = schedule.start().then(
      () => true,
      (error: unknown) => {
        logger.error({ err: error }, 'the payout schedule did not start: this process runs no scheduled payouts');
        return false;
      },
    );
    return { stop: async () => void ((await started) && (await schedule.stop())) };
  }
  const timer = setInterval(() => {
    for (const frequency of SCHEDULED_FREQUENCIES) logged(frequency).catch((error: unknown) => logger.error({ err: error }, `${frequency} payout run failed`));
  }, EMBEDDED_PAYOUT_CHECK_MS);
  timer.unref();
  return { stop: async () => clearInterval(timer) };
}

/**
 * Every process asks the providers about checkouts left open now and then; reconciliation is
 * idempotent, so processes running it at the same moment do no harm, only extra provider calls.
 */
function scheduleReconciliation(config: AppConfig, logger: Logger, run: () => Promise<unknown>): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const timer =
    config.reconcileIntervalSeconds === 0
      ? undefined
      : setInterval(() => {
          running = run().then(
            (report) => logger.info({ report }, 'reconciled open checkouts and grace periods'),
            (error: unknown) => logger.error({ err: error }, 'reconciliation failed'),
          );
        }, config.reconcileIntervalSeconds * 1000);
  timer?.unref();
  return {
    /** No new pass; the one under way finishes. */
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
