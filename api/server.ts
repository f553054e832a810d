import { serve, type ServerType } from '@hono/node-server';
import { openDatabase, type Database } from '../adapters/persistence/database.ts';
import type { AppConfig } from './config.ts';
import { buildContainer } from './container.ts';
import { createApp } from './http/app.ts';
import type { Logger } from './logger.ts';

export interface RunningServer {
  readonly url: string;
  readonly database: Database;
  stop(): Promise<void>;
}

/** Opens the database, applies migrations, and serves the app until `stop()`. */
export async function startServer(config: AppConfig, logger: Logger): Promise<RunningServer> {
  if (config.jwt.kind === 'secret' && config.jwt.development) {
    logger.warn('no JWT_SECRET or JWT_JWKS_URL: accepting tokens signed with the public development secret (npm run token)');
  }
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, poolMax: config.databasePoolMax });
  logger.info({ database: database.kind, ...(database.kind === 'pglite' ? { dataDir: config.dataDir } : {}) }, 'database open');
  await database.migrate();
  const app = createApp(buildContainer({ config, logger, database }));

  const server = await new Promise<ServerType>((resolve) => {
    const started = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, () => resolve(started));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`;
  logger.info({ url, graphql: `${url}/graphql` }, 'billing service listening');

  return {
    url,
    database,
    async stop() {
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
      await database.close();
    },
  };
}
