import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_PAGE_SIZE, type Page, type PageRequest } from '../../application/shared/pagination.ts';
import { queryOn } from '../../adapters/persistence/bound-query.ts';
import type { Database } from '../../adapters/persistence/database.ts';
import { MikroOrmDuplicateSubscriptionRepository } from '../../adapters/persistence/mikro-orm.duplicate-subscription.repository.ts';
import { SqlInvoiceRepository } from '../../adapters/persistence/sql.invoice.repository.ts';
import { SqlPayoutRepository } from '../../adapters/persistence/sql.payout.repository.ts';
import { SqlProviderEventInbox } from '../../adapters/persistence/sql.provider-event-inbox.ts';
import { SqlSandboxStore } from '../../adapters/persistence/sql.sandbox-store.ts';
import { SqlWalletLedger } from '../../adapters/persistence/sql.wallet-ledger.ts';
import { LedgerAccount } from '../../domain/ledger/ledger-account.ts';
import { SANDBOX_LISTED_PER_KIND } from '../../adapters/sandbox/sandbox.provider.ts';
import { openTestDatabase, postgresUrl } from '../support/databases.ts';

/**
 * Issue 16: every page is read from an index in the page's own order, whatever the data, so a
 * page costs its size and never a sort of everything that matches. Each case calls the adapter
 * as the service does, captures the one statement it sends, and asks PostgreSQL for its plan.
 * Sequential and bitmap scans are turned off, so that small tables give the same answer as large
 * ones: the planner then takes an index whenever one can serve, and still has to sort (and this
 * test fails) when none reads the rows in the page's order. Between two indexes it still goes by
 * its estimates, so each page read is a rare share of its table (see LOAD), as a creator's payouts
 * or a quiet provider's events are in production: only the page's own index then looks cheap.
 * To add a page, load its table in LOAD and append a case to CASES.
 */

interface Statement {
  readonly text: string;
  readonly values: readonly unknown[];
}

interface PlanNode {
  readonly 'Node Type': string;
  readonly 'Index Name'?: string;
  readonly 'Filter'?: string;
  readonly Plans?: readonly PlanNode[];
}

interface PageCase {
  readonly name: string;
  /** The index that must serve the page, in its order. */
  readonly index: string;
  /** Reads the page through the adapter, as the service does. */
  readonly read: (after?: string) => Promise<Page<unknown> | readonly unknown[]>;
  /** False for a read that takes a limit but no cursor. */
  readonly paged?: boolean;
  /** A condition the scan may filter on because every row the index finds meets it (a wallet's entries are all its owner's; the owner is there for Citus's routing). */
  readonly filter?: RegExp;
}

const ROWS = 10_000;
/** Every this many rows of a table belong to the owner (or provider, or status) whose page is read: rare enough that only its own index finds them cheaply. */
const EVERY = 400;

/** The statements `work` sends to PostgreSQL, read off the driver as they go out. */
async function statementsSentBy(work: () => Promise<unknown>): Promise<Statement[]> {
  const query = vi.spyOn(pg.Client.prototype, 'query');
  try {
    await work();
    return query.mock.calls.map(([text, values]) =>
      typeof text === 'string' ? { text, values: Array.isArray(values) ? values : [] } : { text: String((text as { text?: unknown }).text), values: [] },
    );
  } finally {
    query.mockRestore();
  }
}

/** The one select `work` sends: a page is one statement. */
async function pageStatementOf(work: () => Promise<unknown>): Promise<Statement> {
  const selects = (await statementsSentBy(work)).filter((statement) => /^\s*select\b/i.test(statement.text));
  expect(selects, 'a page is read in one select').toHaveLength(1);
  return selects[0]!;
}

async function planOf(database: Database, statement: Statement): Promise<PlanNode> {
  const client = database.orm.em.getConnection().getClient<unknown>();
  return client.transaction().execute(async (transaction) => {
    await queryOn(transaction, 'set local enable_seqscan = off', []);
    await queryOn(transaction, 'set local enable_bitmapscan = off', []);
    const [row] = await queryOn<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(transaction, `explain (format json) ${statement.text}`, statement.values);
    return row!['QUERY PLAN'][0]!.Plan;
  });
}

function nodesOf(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(nodesOf)];
}

/**
 * The plan is a Limit reading straight from `indexName`, forward or backward, with nothing sorted
 * anywhere and every condition answered by the index rather than filtered from the rows it reads.
 */
function expectIndexOrdered(plan: PlanNode, indexName: string, filter?: RegExp): void {
  const described = JSON.stringify(plan, null, 2);
  expect(nodesOf(plan).map((node) => node['Node Type']).filter((type) => /sort/i.test(type)), described).toEqual([]);
  expect(plan['Node Type'], described).toBe('Limit');
  // A page joined to its details (an entry to its transfer) is driven by the outer side of the loop.
  let [scan] = plan.Plans ?? [];
  while (scan?.['Node Type'] === 'Nested Loop') scan = scan.Plans?.[0];
  expect(scan?.['Node Type'], described).toMatch(/^Index (Only )?Scan$/);
  expect(scan?.['Index Name'], described).toBe(indexName);
  if (filter) expect(scan?.Filter ?? '', described).toMatch(filter);
  else expect(scan?.Filter, described).toBeUndefined();
}

function cursorAfterFirstPage(page: Page<unknown> | readonly unknown[]): string {
  const items = 'items' in page ? page.items : [];
  expect(items.length, 'the first page is full, so the test reads a second one').toBe(DEFAULT_PAGE_SIZE);
  return items[items.length - 1]!.cursor;
}

/**
 * Set-based, so the rows load in a moment. The page read in each case is a small share of its
 * table (one creator among a thousand, one provider's events, a rare status), as in production,
 * so that an index which finds the rows only by filtering everything newer shows its cost; times
 * step back one row at a time so pages have a deterministic order.
 */
const owner = (prefix: string) => `case when i % ${EVERY} = 0 then '${prefix}-paged' else '${prefix}-' || (i % 997) end`;
const LOAD = [
  `insert into account_plans (user_id, country, payment_gateway, plan_tier, status, created_at, updated_at)
   select u, 'US', 'stripe', 'free', 'active', now(), now() from (select 'user-' || i from generate_series(0, 996) i union all select 'user-paged') users (u)`,
  `insert into invoices (id, user_id, gateway, kind, amount_minor, currency, provider_payment_id, status, created_at, updated_at)
   select 'inv-' || lpad(i::text, 6, '0'), ${owner('user')}, 'stripe', 'renewal', 1900, 'USD', 'pay-' || i, 'paid',
          now() - i * interval '1 minute', now()
   from generate_series(1, ${ROWS}) i`,
  `insert into checkout_sessions (id, user_id, purpose, gateway, amount_minor, currency, success_url, cancel_url, created_at, status)
   select 'cs-' || i, 'user-' || (i % 997), 'deposit', 'stripe', 500, 'USD', 'http://a/ok', 'http://a/no', now(), 'expired'
   from generate_series(1, ${2 * ROWS}) i`,
  `insert into duplicate_subscriptions (id, user_id, gateway, kept_session_id, canceled_session_id, subscription_id, amount_minor, currency,
     created_at, status, subscription_canceled_at, refunded_at, settled_at, updated_at)
   select 'dup-' || lpad(i::text, 6, '0'), 'user-' || (i % 997), 'stripe', 'cs-' || (2 * i - 1), 'cs-' || (2 * i), 'sub-' || i, 1900, 'USD',
          now() - i * interval '1 minute', s.status,
          case when s.status = 'done' then now() end, case when s.status = 'done' then now() end,
          case when s.status <> 'pending' then now() end, now()
   from generate_series(1, ${ROWS}) i,
     lateral (select case when i % ${EVERY} = 0 then 'failed' when i % 50 = 1 then 'pending' else 'done' end as status) s`,
  `insert into payout_accounts (creator_id, gateway, frequency, onboarding_status, created_at, updated_at)
   select c, 'stripe', 'manual', 'verified', now(), now() from (select 'creator-' || i from generate_series(0, 996) i union all select 'creator-paged') creators (c)`,
  `insert into payouts (id, creator_id, gateway, provider_account_id, amount_cents, payout_currency, payout_amount_minor, status,
     provider_transfer_id, created_at, updated_at)
   select 'payout-' || lpad(i::text, 6, '0'), ${owner('creator')}, 'stripe', 'acct-' || i, 1000, 'USD', 1000, 'paid', 'tr-' || i, now(), now()
   from generate_series(1, ${ROWS}) i`,
  // Razorpay's events are one in ${EVERY / 2}, and the failed ones one in ${EVERY}, all of them Razorpay's.
  `insert into webhook_events (provider, event_id, dedup_key, type, subject_kind, subject_id, occurred_at, received_at, payload,
     status, due_at, settled_at)
   select case when i % ${EVERY / 2} = 0 then 'razorpay' else 'stripe' end, 'evt-' || i, 'evt-' || i, 'payment.captured', 'payment', 'pay-' || (i % 997),
          now(), now(), '{}', s.status, case when s.status = 'pending' then now() end, case when s.status <> 'pending' then now() end
   from generate_series(1, ${ROWS}) i,
     lateral (select case when i % ${EVERY} = 0 then 'failed' when i % 50 = 1 then 'pending' when i % 4 = 1 then 'ignored' else 'applied' end as status) s`,
  `insert into ledger_transfers (owner_id, id, kind, currency, reference, created_at)
   select ${owner('user')}, 'tr-' || lpad(i::text, 6, '0'), 'tool_charge', 'USD', 'charge-' || i, now() from generate_series(1, ${ROWS}) i`,
  `insert into ledger_entries (owner_id, transfer_id, seq, account, amount_minor)
   select t.owner_id, t.id, e.seq, e.account, e.amount
   from ledger_transfers t, lateral (values (1, 'wallet:' || t.owner_id, -7),
     (2, 'creator_balance:' || case when substr(t.id, 4)::int % ${EVERY} = ${EVERY / 2} then 'creator-paged' else 'creator-' || (substr(t.id, 4)::int % 997) end, 6),
     (3, 'platform_fees', 1)) as e (seq, account, amount)`,
  `insert into sandbox_objects (kind, id, data)
   select (array['checkout', 'subscription', 'payment', 'dispute', 'account', 'transfer'])[i % 6 + 1], 'obj-' || i, '{}'
   from generate_series(1, ${ROWS}) i`,
  'analyze',
];

describe.skipIf(!postgresUrl)('pages read from their index, on PostgreSQL', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase('postgresql');
    const client = database.orm.em.getConnection().getClient<unknown>();
    for (const statement of LOAD) await queryOn(client, statement, []);
  });
  afterAll(async () => {
    await database?.close();
  });

  const page = (after?: string): PageRequest => ({ first: DEFAULT_PAGE_SIZE, after });
  const inbox = () => new SqlProviderEventInbox(database.orm);
  const webhookCase = (filter: { provider?: 'razorpay'; status?: 'failed' }, index: string): PageCase => ({
    name: `webhook events${filter.provider ? ` of ${filter.provider}` : ''}${filter.status ? ` ${filter.status}` : ''}`,
    index,
    read: (after) => inbox().list(filter, page(after)),
  });

  const CASES: PageCase[] = [
    {
      name: "a wallet's transactions",
      index: 'ledger_entries_account_page_idx',
      read: (after) => new SqlWalletLedger(database.orm).entries(LedgerAccount.wallet('user-paged'), page(after)),
      filter: /^\(owner_id = 'user-paged'::text\)$/,
    },
    {
      name: "a creator's earnings",
      index: 'ledger_entries_account_page_idx',
      read: (after) => new SqlWalletLedger(database.orm).entries(LedgerAccount.creatorBalance('creator-paged'), page(after)),
    },
    { name: "a creator's payouts", index: 'payouts_creator_idx', read: (after) => new SqlPayoutRepository(database.orm).list('creator-paged', page(after)) },
    { name: "a user's invoices", index: 'invoices_user_page_idx', read: (after) => new SqlInvoiceRepository(database.orm).listForUser('user-paged', page(after)) },
    webhookCase({}, 'webhook_events_pkey'),
    webhookCase({ provider: 'razorpay' }, 'webhook_events_provider_page_idx'),
    webhookCase({ status: 'failed' }, 'webhook_events_status_idx'),
    webhookCase({ provider: 'razorpay', status: 'failed' }, 'webhook_events_provider_status_page_idx'),
    {
      name: 'second subscriptions settled',
      index: 'duplicate_subscriptions_created_idx',
      read: (after) => new MikroOrmDuplicateSubscriptionRepository(database.orm).list({}, page(after)),
    },
    {
      name: 'second subscriptions that failed',
      index: 'duplicate_subscriptions_status_page_idx',
      read: (after) => new MikroOrmDuplicateSubscriptionRepository(database.orm).list({ status: 'failed' }, page(after)),
    },
    {
      name: "the sandbox's latest payments",
      index: 'sandbox_objects_latest_idx',
      read: () => new SqlSandboxStore(database.orm).latest('payment', SANDBOX_LISTED_PER_KIND),
      paged: false,
    },
  ];

  describe.each(CASES)('$name', (pageCase) => {
    it(`reads the first page from ${pageCase.index} in its order, with no sort`, async () => {
      expectIndexOrdered(await planOf(database, await pageStatementOf(() => pageCase.read())), pageCase.index, pageCase.filter);
    });

    it.skipIf(pageCase.paged === false)(`reads a page after a cursor from ${pageCase.index} in its order, with no sort`, async () => {
      const after = cursorAfterFirstPage(await pageCase.read());
      expectIndexOrdered(await planOf(database, await pageStatementOf(() => pageCase.read(after))), pageCase.index, pageCase.filter);
    });
  });
});
