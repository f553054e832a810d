import { token } from '../shared/token.ts';

/** One rule the whole ledger must keep, and what broke it. */
export interface LedgerCheckResult {
  readonly name: string;
  readonly description: string;
  /** How many transfers, accounts, sessions, charges or payouts break the rule; 0 when it holds. */
  readonly violations: number;
  /** A few of them, by id, for whoever looks into it. */
  readonly examples: readonly string[];
}

export interface LedgerAuditReport {
  readonly ok: boolean;
  readonly checkedAt: Date;
  readonly checks: readonly LedgerCheckResult[];
}

/**
 * Checks the whole ledger where it is stored, on the live database: every transfer balances, every
 * stored balance equals its entries, no unflagged negative wallet, every paid deposit credited once
 * at its session's amount, every tool charge with its transfer, payouts matching their entries,
 * and the whole ledger summing to zero. Reads only; safe beside a running service.
 */
export interface LedgerAudit {
  run(): Promise<LedgerAuditReport>;
}

export const LEDGER_AUDIT = token<LedgerAudit>('LedgerAudit');
