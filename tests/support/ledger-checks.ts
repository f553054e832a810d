import { expect } from 'vitest';
import { runLedgerChecks } from '../../adapters/persistence/sql.ledger-audit.ts';

/**
 * The ledger's invariants, checked straight in the database whichever process wrote it: the
 * auditor's every rule (`npm run ledger:audit`), each broken one shown with its examples.
 */
export async function expectLedgerBalanced(query: (sql: string) => Promise<readonly unknown[]>): Promise<void> {
  const report = await runLedgerChecks(query);
  expect(report.checks.filter((check) => check.violations > 0)).toEqual([]);
}
