import type { MikroORM } from '@mikro-orm/postgresql';
import type { LedgerAudit, LedgerAuditReport, LedgerCheckResult } from '../../application/wallet/ledger-audit.port.ts';
import { pooledQuery } from './bound-query.ts';

/** Ids kept of each check's violations, for the report. */
const EXAMPLES_PER_CHECK = 5;

export interface LedgerCheck {
  readonly name: string;
  readonly description: string;
  /** Every violation as one row with a `subject` column naming it. */
  readonly sql: string;
}

/** What a deposit session credits to the wallet: its US-dollar amount (behind an INR charge, the FX snapshot's). */
const SESSION_CREDIT = `coalesce((s.fx->>'baseAmountMinor')::bigint, s.amount_minor)`;

/** Every account's balance as stored: a wallet's row, or a rolled-up balance with the deltas behind it. */
const STORED_BALANCES = `
  select 'wallet:' || user_id as account, balance_cents as balance from wallets
  union all
  select account, sum(balance) from (
    select account, balance_minor as balance from ledger_balances
    union all
    select account, amount_minor from ledger_balance_deltas
  ) b group by account`;

/**
 * The ledger's rules, each a query for what breaks it. Full scans by design: the auditor reads the
 * whole ledger once, off the hot path.
 */
export const LEDGER_CHECKS: readonly LedgerCheck[] = [
  {
    name: 'transfers_balance',
    description: 'every transfer has at least two entries and they sum to zero',
    sql: `select t.id as subject from ledger_transfers t
          left join ledger_entries e on e.owner_id = t.owner_id and e.transfer_id = t.id
          group by t.owner_id, t.id having count(e.seq) < 2 or coalesce(sum(e.amount_minor), 0) <> 0
          union all
          select distinct e.transfer_id from ledger_entries e
          where not exists (select 1 from ledger_transfers t where t.owner_id = e.owner_id and t.id = e.transfer_id)`,
  },
  {
    name: 'stored_balances_match_entries',
    description: 'every stored balance (wallets, and every other account rolled up with its pending deltas) equals the sum of its entries',
    sql: `select coalesce(b.account, e.account) as subject
          from (${STORED_BALANCES}) b
          full join (select account, sum(amount_minor) as balance from ledger_entries group by account) e on e.account = b.account
          where coalesce(b.balance, 0) <> coalesce(e.balance, 0)`,
  },
  {
    name: 'no_unflagged_negative_wallet',
    description: 'a wallet below zero (a deposit refunded or disputed after it was spent) is flagged for review',
    sql: `select user_id as subject from wallets where balance_cents < 0 and not flagged`,
  },
  {
    name: 'deposits_credited_once',
    description: "every paid deposit checkout is credited to its user's wallet exactly once, at its session's amount, and no deposit credits anything else",
    sql: `select s.id as subject from checkout_sessions s
          left join ledger_transfers t on t.kind = 'deposit' and t.reference = s.id
          left join ledger_entries e on e.owner_id = t.owner_id and e.transfer_id = t.id and e.account = 'wallet:' || s.user_id
          where s.purpose = 'deposit' and s.status = 'completed'
          group by s.id, s.amount_minor, s.fx
          having count(distinct t.id) <> 1 or coalesce(sum(e.amount_minor), 0) <> ${SESSION_CREDIT}
          union all
          select t.id from ledger_transfers t
          where t.kind = 'deposit'
            and not exists (select 1 from checkout_sessions s where s.id = t.reference and s.purpose = 'deposit' and s.status = 'completed' and s.user_id = t.owner_id)`,
  },
  {
    name: 'tool_charges_have_transfers',
    description: "every tool charge has its transfer, which takes the charge's price from the consumer's wallet, and every tool-charge transfer has its charge",
    sql: `select c.id as subject from tool_charges c
          left join ledger_transfers t on t.owner_id = c.consumer_id and t.id = c.transfer_id and t.kind = 'tool_charge' and t.reference = c.id
          left join ledger_entries e on e.owner_id = t.owner_id and e.transfer_id = t.id and e.account = 'wallet:' || c.consumer_id
          group by c.consumer_id, c.id, c.price_cents
          having count(t.id) = 0 or coalesce(sum(e.amount_minor), 0) <> -c.price_cents
          union all
          select t.id from ledger_transfers t
          where t.kind = 'tool_charge' and not exists (select 1 from tool_charges c where c.consumer_id = t.owner_id and c.transfer_id = t.id)`,
  },
  {
    name: 'payouts_match_entries',
    description:
      "every payout has moved its amount out of the creator's balance unless it failed (then back), and holds it in flight while pending or in transit",
    sql: `select p.id as subject from payouts p
          left join ledger_transfers t on t.owner_id = p.creator_id and t.reference = p.id and t.kind in ('payout', 'payout_return')
          left join ledger_entries e on e.owner_id = t.owner_id and e.transfer_id = t.id
          group by p.id, p.creator_id, p.status, p.amount_cents
          having coalesce(sum(e.amount_minor) filter (where e.account = 'creator_balance:' || p.creator_id), 0)
                   <> case when p.status in ('failed', 'canceled') then 0 else -p.amount_cents end
              or coalesce(sum(e.amount_minor) filter (where e.account = 'payouts_in_flight:' || p.creator_id), 0)
                   <> case when p.status in ('pending', 'in_transit') then p.amount_cents else 0 end`,
  },
  {
    name: 'ledger_sums_to_zero',
    description: 'all entries together, and all stored balances together, sum to zero: money is only ever moved',
    sql: `select 'entries' as subject where (select coalesce(sum(amount_minor), 0) from ledger_entries) <> 0
          union all
          select 'stored balances' where (select coalesce(sum(balance), 0) from (${STORED_BALANCES}) b) <> 0`,
  },
];

/** The rules about the ledger's own tables alone, which hold whatever wrote to it (the others also read checkouts and payouts). */
export const LEDGER_OWN_CHECKS = ['transfers_balance', 'stored_balances_match_entries', 'no_unflagged_negative_wallet', 'ledger_sums_to_zero'] as const;

/** Runs each check's query (or those named) and keeps its count and first few subjects. */
export async function runLedgerChecks(query: (sql: string) => Promise<readonly unknown[]>, only?: readonly string[]): Promise<LedgerAuditReport> {
  const checks: LedgerCheckResult[] = [];
  for (const check of LEDGER_CHECKS.filter((candidate) => !only || only.includes(candidate.name))) {
    const [row] = (await query(
      `select count(*)::int as violations, (array_agg(subject order by subject))[1:${EXAMPLES_PER_CHECK}] as examples from (${check.sql}) v`,
    )) as { violations: number; examples: string[] | null }[];
    checks.push({ name: check.name, description: check.description, violations: row?.violations ?? 0, examples: row?.examples ?? [] });
  }
  return { ok: checks.every((check) => check.violations === 0), checkedAt: new Date(), checks };
}

/** The auditor on the service's own database. */
export class SqlLedgerAudit implements LedgerAudit {
  private readonly orm: MikroORM;

  constructor(orm: MikroORM) {
    this.orm = orm;
  }

  run(): Promise<LedgerAuditReport> {
    return runLedgerChecks((sql) => pooledQuery(this.orm, sql, []));
  }
}
