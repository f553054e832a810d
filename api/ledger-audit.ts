import { SqlLedgerAudit } from '../adapters/persistence/sql.ledger-audit.ts';
import { DatabaseOpenError, openDatabase } from '../adapters/persistence/database.ts';
import type { LedgerAuditReport } from '../application/wallet/ledger-audit.port.ts';
import { ConfigError, loadConfig } from './config.ts';

/**
 * `npm run ledger:audit`: checks the whole ledger on the service's database (DATABASE_URL, else the
 * embedded one in DATA_DIR, which belongs to one process: stop the service first), prints a report
 * and exits 1 when any rule is broken. Reads only; safe beside running servers on PostgreSQL.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, poolMax: 1 });
  let report: LedgerAuditReport;
  try {
    // No migration: an audit reads the database as the service left it and never changes its schema.
    report = await new SqlLedgerAudit(database.orm).run();
  } finally {
    await database.close();
  }
  process.stdout.write(printReport(report));
  process.exitCode = report.ok ? 0 : 1;
}

function printReport(report: LedgerAuditReport): string {
  const lines = report.checks.map((check) =>
    check.violations === 0
      ? `  ok    ${check.name}: ${check.description}`
      : `  FAIL  ${check.name}: ${check.violations} violation(s), e.g. ${check.examples.join(', ')}\n        (${check.description})`,
  );
  const verdict = report.ok ? 'every rule holds' : `${report.checks.filter((check) => check.violations > 0).length} rule(s) broken`;
  return `ledger audit at ${report.checkedAt.toISOString()}: ${verdict}\n${lines.join('\n')}\n`;
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError || error instanceof DatabaseOpenError ? error.message : error);
  process.exit(2);
});
