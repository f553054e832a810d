import { Migration } from '@mikro-orm/migrations';

/**
 * D6: a charge whose debit finds too little in the wallet, after waiting on its lock, looks at its
 * idempotency key again before it answers `insufficient`. The wait may have been for another
 * transaction charging this same key (the same call sent twice at once): once that one commits,
 * the wallet holds nothing more, and the caller must get that charge replayed rather than "not
 * paid" for a call that was paid. The rest of the function is as it was.
 */
export class ChargeReplayAfterWaitMigration extends Migration {
  override up(): void {
    this.addSql(`
      create or replace function charge_tool_calls(p_batch jsonb)
      returns table (idx int, charge_id text, consumer_id text, creator_id text, tool_id text, price_cents bigint,
                     wallet_balance_cents bigint, outcome text)
      language plpgsql as $$
      declare
        c record;
        v_balance bigint;
        v_inserted int;
      begin
        for c in
          select * from jsonb_to_recordset(p_batch) as x(
            idx int, charge_id text, key text, consumer text, creator text, tool text, price bigint,
            transfer_id text, entries jsonb, at timestamptz)
          order by x.consumer, x.idx
        loop
          return query
            select c.idx, t.id, t.consumer_id, t.creator_id, t.tool_id, t.price_cents, t.wallet_balance_after, 'replayed'::text
            from tool_charges t where t.idempotency_key = c.key;
          if found then
            continue;
          end if;
          update wallets w set balance_cents = w.balance_cents - c.price, updated_at = c.at
            where w.user_id = c.consumer and w.balance_cents >= c.price
            returning w.balance_cents into v_balance;
          if not found then
            -- The debit may have waited on the wallet's lock for another transaction charging this
            -- very key: once that one committed, its charge is visible here and is the answer.
            return query
              select c.idx, t.id, t.consumer_id, t.creator_id, t.tool_id, t.price_cents, t.wallet_balance_after, 'replayed'::text
              from tool_charges t where t.idempotency_key = c.key;
            if found then
              continue;
            end if;
            return query select c.idx, null::text, c.consumer, c.creator, c.tool, c.price, null::bigint, 'insufficient'::text;
            continue;
          end if;
          insert into tool_charges (id, idempotency_key, consumer_id, creator_id, tool_id, price_cents, wallet_balance_after, transfer_id, created_at)
            values (c.charge_id, c.key, c.consumer, c.creator, c.tool, c.price, v_balance, c.transfer_id, c.at)
            on conflict (idempotency_key) do nothing;
          get diagnostics v_inserted = row_count;
          if v_inserted = 0 then
            update wallets w set balance_cents = w.balance_cents + c.price where w.user_id = c.consumer;
            return query
              select c.idx, t.id, t.consumer_id, t.creator_id, t.tool_id, t.price_cents, t.wallet_balance_after, 'replayed'::text
              from tool_charges t where t.idempotency_key = c.key;
            continue;
          end if;
          insert into ledger_transfers (id, kind, currency, reference, created_at)
            values (c.transfer_id, 'tool_charge', 'USD', c.charge_id, c.at);
          insert into ledger_entries (transfer_id, seq, account, amount_minor)
            select c.transfer_id, e.seq, e.entry->>'account', (e.entry->>'amount')::bigint
            from jsonb_array_elements(c.entries) with ordinality as e(entry, seq);
          return query select c.idx, c.charge_id, c.consumer, c.creator, c.tool, c.price, v_balance, 'charged'::text;
        end loop;
      end;
      $$`);
  }
}
