import type { LedgerAudit, LedgerAuditReport, LedgerCheckResult } from '../../application/wallet/ledger-audit.port.ts';
import { LedgerAccount } from '../../domain/ledger/ledger-account.ts';
import type { InMemoryWalletLedger } from './in-memory.wallet-ledger.ts';

/**
 * The auditor over the in-memory ledger: the rules it can see there (checkouts and payouts live in
 * their own repositories): transfers balance, wallets equal their entries, no unflagged negative wallet.
 */
export class InMemoryLedgerAudit implements LedgerAudit {
  private readonly ledger: InMemoryWalletLedger;

  constructor(ledger: InMemoryWalletLedger) {
    this.ledger = ledger;
  }

  async run(): Promise<LedgerAuditReport> {
    const { transfers, wallets } = this.ledger.contents();
    const check = (name: string, description: string, subjects: string[]): LedgerCheckResult => ({ name, description, violations: subjects.length, examples: subjects.slice(0, 5) });
    const walletEntries = (userId: string) => transfers.reduce((sum, transfer) => sum + transfer.entryFor(LedgerAccount.wallet(userId)), 0);
    const checks = [
      check('transfers_balance', 'every transfer has at least two entries and they sum to zero', transfers.filter((t) => t.entries.length < 2 || t.entries.reduce((sum, e) => sum + e.amountMinor, 0) !== 0).map((t) => t.id)),
      check('stored_balances_match_entries', 'every wallet equals the sum of its entries', [...wallets].filter(([userId, wallet]) => wallet.balanceCents !== walletEntries(userId)).map(([userId]) => `wallet:${userId}`)),
      check('no_unflagged_negative_wallet', 'a wallet below zero is flagged for review', [...wallets].filter(([, wallet]) => wallet.balanceCents < 0 && !wallet.flagged).map(([userId]) => userId)),
    ];
    return { ok: checks.every((c) => c.violations === 0), checkedAt: new Date(), checks };
  }
}
