import { parseArgs } from 'node:util';
import { DatabaseOpenError, openDatabase } from '../adapters/persistence/database.ts';
import { RunScheduledPayouts } from '../application/payouts/run-scheduled-payouts.use-case.ts';
import { REQUEST_SCOPE } from '../application/shared/request-scope.port.ts';
import { SCHEDULED_FREQUENCIES, type ScheduledFrequency } from '../domain/payouts/payout-account.entity.ts';
import { ConfigError, loadConfig } from './config.ts';
import { buildContainer, resolve } from './container.ts';
import { createLogger } from './logger.ts';

const USAGE = 'usage: npm run payouts:run [-- --frequency weekly|monthly]   (both when omitted)';

/**
 * One pass of the payout schedule by hand, with the service's own configuration: pays every
 * verified creator on the schedule who has not been paid this period, sends again payouts a
 * provider never answered about, prints what it did and exits. Safe beside running servers and
 * their scheduled runs. The embedded database belongs to one process: stop the service first.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { frequency: { type: 'string' } } });
  const frequencies: readonly ScheduledFrequency[] = values.frequency === undefined ? SCHEDULED_FREQUENCIES : [values.frequency as ScheduledFrequency];
  if (!frequencies.every((frequency) => SCHEDULED_FREQUENCIES.includes(frequency))) fail(USAGE);

  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, poolMax: 2 });
  try {
    await database.migrate();
    const container = buildContainer({ config, logger, database });
    const scope = resolve(container, REQUEST_SCOPE);
    for (const frequency of frequencies) {
      const report = await scope.run(() => resolve(container, RunScheduledPayouts).execute(frequency));
      process.stdout.write(`${JSON.stringify(report)}\n`);
    }
  } finally {
    await database.close();
  }
}

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError || error instanceof DatabaseOpenError ? error.message : error);
  process.exit(1);
});
