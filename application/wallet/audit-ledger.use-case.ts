import { requireRole } from '../shared/authorization.ts';
import type { Requester } from '../shared/requester.ts';
import type { LedgerAudit, LedgerAuditReport } from './ledger-audit.port.ts';

export interface AuditLedgerInput {
  readonly requester: Requester;
}

/** An admin's look at the whole ledger's invariants (the same report as `npm run ledger:audit`). */
export class AuditLedger {
  private readonly audit: LedgerAudit;

  constructor(audit: LedgerAudit) {
    this.audit = audit;
  }

  execute(input: AuditLedgerInput): Promise<LedgerAuditReport> {
    requireRole(input.requester, 'admin');
    return this.audit.run();
  }
}
