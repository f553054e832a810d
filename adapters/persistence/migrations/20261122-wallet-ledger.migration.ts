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
        transfer_id text not null references ledger_transfers (id),
        created_at timestamptz not null
      )`);
    // The hot path in one round trip and one transaction: replay by idempotency key, guarded
    // debit (never below zero, no read-modify-write), then the transfer, its entries and the
    // charge record. A concurrent call with the same key fails on the unique key and is rolled
    // back whole, debit included; the caller then reads the first charge back.
    this.addSql(`
      create function charge_tool_call(
        p_charge_id text, p_key text, p_consumer text, p_creator text, p_tool text, p_price bigint,
        p_transfer_id text, p_entries jsonb, p_now timestamptz)
      returns table (charge_id text, consumer_id text, creator_id text, tool_id text, price_cents bigint,
                     wallet_balance_cents bigint, replayed boolean)
      language plpgsql as $$
      declare
        v_balance bigint;
      begin
        return query
          select c.id, c.consumer_id, c.creator_id, c.tool_id, c.price_cents, c.wallet_balance_after, true
          from tool_charges c where c.idempotency_key = p_key;
        if found then
          return;
        end if;
        update wallets w set balance_cents = w.balance_cents - p_price, updated_at = p_now
          where w.user_id = p_consumer and w.balance_cents >= p_price
          returning w.balance_cents into v_balance;
        if not found then
          raise exception 'INSUFFICIENT_FUNDS' using errcode = 'P0001';
        end if;
        insert into ledger_transfers (id, kind, currency, reference, created_at)
          values (p_transfer_id, 'tool_charge', 'USD', p_charge_id, p_now);
        insert into ledger_entries (transfer_id, seq, account, amount_minor)
          select p_transfer_id, e.seq, e.entry->>'account', (e.entry->>'amount')::bigint
          from jsonb_array_elements(p_entries) with ordinality as e(entry, seq);
        insert into tool_charges (id, idempotency_key, consumer_id, creator_id, tool_id, price_cents, wallet_balance_after, transfer_id, created_at)
          values (p_charge_id, p_key, p_consumer, p_creator, p_tool, p_price, v_balance, p_transfer_id, p_now);
        return query select p_charge_id, p_consumer, p_creator, p_tool, p_price, v_balance, false;
      end;
      $$`);
  }
}
