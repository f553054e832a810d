import { enableCompileCache } from 'node:module';

// V8 keeps the code it compiled for the service's modules on disk (in the OS's temp folder, or
// NODE_COMPILE_CACHE), keyed by their content: later starts skip most of the parsing and compiling
// that is half of a cold start. So the service's modules are imported only once it is on, and the
// configuration is checked before the bulk of them load, so a bad one is refused at once.
enableCompileCache();
const { ConfigError, loadConfig } = await import('./config.ts');

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * A start that fails for a reason the operator can fix (bad configuration, a taken port, a
 * database that is not there or is another process's) says so on stderr, one line per problem
 * and no stack, and exits 1. Anything else is a bug and keeps its stack.
 */
function refuseToStart(error: unknown, expected: readonly ErrorClass[]): never {
  if (!expected.some((kind) => error instanceof kind)) throw error;
  console.error(error instanceof ConfigError ? error.message : `the billing service did not start: ${(error as Error).message}`);
  process.exit(1);
}

let config;
try {
  config = loadConfig();
} catch (error) {
  refuseToStart(error, [ConfigError]);
}
const configuredAtMs = performance.now();

const { DatabaseOpenError } = await import('../adapters/persistence/database.ts');
const { createLogger } = await import('./logger.ts');
const { startServer, StartupError, StartupTimer } = await import('./server.ts');
const timer = new StartupTimer();
timer.mark('config', configuredAtMs);
timer.mark('imports');

const logger = createLogger(config.logLevel);
const server = await startServer(config, logger, timer).catch((error: unknown) => refuseToStart(error, [StartupError, DatabaseOpenError]));

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'shutting down');
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
