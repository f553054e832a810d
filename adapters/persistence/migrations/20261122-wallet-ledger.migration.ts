import { Migration } from '@mikro-orm/migrations';

/**
 * The wallet ledger. Every table is keyed so it can be distributed by account on Citus: a charge
 * locks only the consumer's `wallets` row; creator and fee credits are append-only entries whose
 * balances are sums, so no shared row serialises charges of different wallets.
 */
export class WalletLedgerMigration extends Migration {
  override up(): void {
    this.addSql(`
      create table wallets (
        user_id text primary key,
        balance_cents bigint not null default 0,
        flagged boolean not null default false,
        updated_at timestamptz not null,
        check (balance_cents >= 0 or flagged)
      )`);
    this.addSql(`
      create table ledger_transfers (
        id text primary key,
        kind text not null check (kind in ('deposit', 'tool_charge', 'adjustment', 'deposit_reversal', 'payout', 'payout_return')),
        currency char(3) not null,
        reference text not null,
        actor_id text,
        reason text,
        fx jsonb,
        created_at timestamptz not null
      )`);
    this.addSql(`create index ledger_transfers_reference_idx on ledger_transfers (reference)`);
    this.addSql(`
      create table ledger_entries (
        transfer_id text not null references ledger_transfers (id),
        seq smallint not null,
        account text not null,
        amount_minor bigint not null check (amount_minor <> 0),
        primary key (transfer_id, seq)
      )`);
    // Newest first per account, with the amount in the index: balances and pages read no heap.
    this.addSql(`create index ledger_entries_account_idx on ledger_entries (account, transfer_id desc) include (amount_minor)`);
    this.addSql(`
      create table tool_charges (
        id text primary key,
        idempotency_key text not null unique,
        consumer_id text not null,
        creator_id text not null,
        tool_id text not null,
        price_cents bigint not null check (price_cents > 0),
        wallet_balance_after bigint not null,
        -- Checked at commit: the hot path writes the charge before its transfer.
        transfer_id text not null references ledger_transfers (id) deferrable initially deferred,
        created_at timestamptz not null
      )`);
    // The hot path: a batch of charges in one round trip and one transaction (one commit for
    // many charges; a batch of one when the service is quiet). Per charge: replay by idempotency
    // key; guarded debit (never below zero, no read-modify-write), else 'insufficient' with
    // nothing written; then the charge, its transfer and entries. A charge that loses a race for
    // its key to another transaction gives its debit back and replays the winner. Charges are
    // taken in consumer order, so concurrent batches lock wallets in one order and never deadlock
    // on them.
    this.addSql(`
      create function charge_tool_calls(p_batch jsonb)
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
