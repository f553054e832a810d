import { AuditLedger } from '../../application/wallet/audit-ledger.use-case.ts';
import type { LedgerAuditReport, LedgerCheckResult } from '../../application/wallet/ledger-audit.port.ts';
import { builder } from './builder.ts';

const LedgerCheckRef = builder.objectRef<LedgerCheckResult>('LedgerCheck').implement({
  description: 'One rule the whole ledger keeps, and what breaks it.',
  fields: (t) => ({
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    violations: t.exposeInt('violations', { description: '0 when the rule holds.' }),
    examples: t.exposeStringList('examples', { description: 'A few of the transfers, accounts, sessions, charges or payouts that break it, by id.' }),
  }),
});

const LedgerAuditRef = builder.objectRef<LedgerAuditReport>('LedgerAudit').implement({
  fields: (t) => ({
    ok: t.exposeBoolean('ok', { description: 'Every rule holds.' }),
    checkedAt: t.field({ type: 'DateTime', resolve: (report) => report.checkedAt }),
    checks: t.field({ type: [LedgerCheckRef], resolve: (report) => [...report.checks] }),
  }),
});

builder.queryField('ledgerAudit', (t) =>
  t.field({
    type: LedgerAuditRef,
    description: 'For the admin role: the whole ledger checked on the live database, as `npm run ledger:audit` prints it. Reads every entry: for operators, not for dashboards.',
    resolve: async (_root, _args, ctx) => ctx.use(AuditLedger).execute({ requester: await ctx.requester() }),
  }),
);
