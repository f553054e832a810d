import { Migration } from '@mikro-orm/migrations';

/**
 * D15: a charge the wallet cannot pay waits for the wallet's row lock before it answers
 * `insufficient`, then looks at its idempotency key again. Its guarded debit matched no row and so
 * never waited for anyone: when another transaction was charging this same key at a lower price
 * (holding the wallet, not yet committed), the caller was told INSUFFICIENT_FUNDS for a key that
 * was then used, instead of the key's charge, which the use case answers as CONFLICT (another
 * call) or a replay (the same call). Waiting costs nothing on the paid path: only a refusal takes
 * the lock. The rest of the function is as 20261214-owner-keyed-ledger made it.
 */
export class ChargeRefusalWaitsForWalletMigration extends Migration {
  override up(): void {
    this.addSql(`
      create or replace function charge_consumer_tool_calls(p_consumer text, p_charges jsonb)
      returns table (idx int, charge_id text, creator_id text, tool_id text, price_cents bigint, wallet_balance_cents bigint, outcome text)
      language plpgsql as $$
      declare
        c record;
        v_balance bigint;
        v_inserted int;
      begin
        for c in
          select * from jsonb_to_recordset(p_charges) as x(
            idx int, charge_id text, key text, creator text, tool text, price bigint, transfer_id text, entries jsonb, at timestamptz)
          order by x.idx
        loop
          return query
            select c.idx, t.id, t.creator_id, t.tool_id, t.price_cents, t.wallet_balance_after, 'replayed'::text
            from tool_charges t where t.consumer_id = p_consumer and t.idempotency_key = c.key;
          if found then
            continue;
          end if;
          update wallets w set balance_cents = w.balance_cents - c.price, updated_at = c.at
            where w.user_id = p_consumer and w.balance_cents >= c.price
            returning w.balance_cents into v_balance;
          if not found then
            perform 1 from wallets w where w.user_id = p_consumer for update;
            return query
              select c.idx, t.id, t.creator_id, t.tool_id, t.price_cents, t.wallet_balance_after, 'replayed'::text
              from tool_charges t where t.consumer_id = p_consumer and t.idempotency_key = c.key;
            if not found then
              return query select c.idx, null::text, c.creator, c.tool, c.price, null::bigint, 'insufficient'::text;
            end if;
            continue;
          end if;
          insert into tool_charges (id, idempotency_key, consumer_id, creator_id, tool_id, price_cents, wallet_balance_after, transfer_id, created_at)
            values (c.charge_id, c.key, p_consumer, c.creator, c.tool, c.price, v_balance, c.transfer_id, c.at)
            on conflict (consumer_id, idempotency_key) do nothing;
          get diagnostics v_inserted = row_count;
          if v_inserted = 0 then
            update wallets w set balance_cents = w.balance_cents + c.price where w.user_id = p_consumer;
            return query
              select c.idx, t.id, t.creator_id, t.tool_id, t.price_cents, t.wallet_balance_after, 'replayed'::text
              from tool_charges t where t.consumer_id = p_consumer and t.idempotency_key = c.key;
            continue;
          end if;
          insert into ledger_transfers (owner_id, id, kind, currency, reference, created_at)
            values (p_consumer, c.transfer_id, 'tool_charge', 'USD', c.charge_id, c.at);
          perform post_ledger_entries(p_consumer, c.transfer_id, c.entries);
          return query select c.idx, c.charge_id, c.creator, c.tool, c.price, v_balance, 'charged'::text;
        end loop;
      end;
      $$`);
  }
}
