import { expect } from 'vitest';

/**
 * The ledger's invariants, checked straight in the database whichever process wrote it: every
 * transfer balances, and every wallet row equals the sum of its entries.
 */
export async function expectLedgerBalanced(query: (sql: string) => Promise<readonly unknown[]>): Promise<void> {
  expect(await query('select transfer_id from ledger_entries group by transfer_id having sum(amount_minor) <> 0')).toEqual([]);
  expect(
    await query(
      `select w.user_id from wallets w left join ledger_entries e on e.account = 'wallet:' || w.user_id
       group by w.user_id, w.balance_cents having w.balance_cents <> coalesce(sum(e.amount_minor), 0)`,
    ),
  ).toEqual([]);
}
