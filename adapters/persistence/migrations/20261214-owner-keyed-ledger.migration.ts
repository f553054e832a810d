import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 16: balances that read in time independent of history, on tables keyed by their owner.
 *
 * Owner. Every transfer has one: the user whose accounts it moves (the consumer for a charge, the
 * wallet's owner for deposits, adjustments and reversals, the creator for payouts and returns).
 * `ledger_transfers`, `ledger_entries` and `tool_charges` lead their keys with it, their foreign
 * keys join on it, and an idempotency key is unique per consumer (as Stripe scopes keys per
 * account), so the four tables with `wallets` can be co-located by owner on Citus and a charge
 * touches its consumer's shard only (see the README's scale-out section).
 *
 * Balances. A wallet's balance is its `wallets` row, as before. Every other account (creator
 * balances, platform fees, provider clearing, payouts in flight, corrections) is credited by many
 * owners at once, so one balance row would serialise the charges of different wallets. Instead
 * each entry on such an account also appends a delta row (the writer's own, owner-keyed, no row
 * shared with anyone), and a background roll-up moves deltas into `ledger_balances` in one
 * transaction: it deletes the deltas it adds. A balance is its row plus the deltas not yet rolled
 * up, read in one statement and so from one snapshot: exact at every commit, and as cheap as the
 * few seconds of deltas behind it, whatever the history. (Measured against running balance rows
 * updated inside the charge transaction: bench/balance-designs.bench.ts and the README.)
 *
 * Pages. Entries are read newest first per account by `(transfer_id, seq)`, which
 * `ledger_entries_account_idx (account, transfer_id desc)` did not serve (it left out `seq`); the
 * new index does, and no balance needs the old one any longer.
 */
export class OwnerKeyedLedgerMigration extends Migration {
  override up(): void {
    // The owner of every transfer so far: the wallet it moves, else the creator's account.
    this.addSql(`alter table ledger_transfers add column owner_id text`);
    this.addSql(`
      update ledger_transfers t set owner_id = o.owner_id
      from (
        select distinct on (transfer_id) transfer_id, substr(account, strpos(account, ':') + 1) as owner_id
        from ledger_entries
        where account like 'wallet:%' or account like 'creator_balance:%' or account like 'payouts_in_flight:%'
        order by transfer_id, account like 'wallet:%' desc, seq
      ) o
      where o.transfer_id = t.id`);
    this.addSql(`alter table ledger_transfers alter column owner_id set not null`);
    this.addSql(`alter table ledger_entries add column owner_id text`);
    this.addSql(`update ledger_entries e set owner_id = t.owner_id from ledger_transfers t where t.id = e.transfer_id`);
    this.addSql(`alter table ledger_entries alter column owner_id set not null`);

    this.addSql(`alter table tool_charges drop constraint tool_charges_transfer_id_fkey`);
    this.addSql(`alter table ledger_entries drop constraint ledger_entries_transfer_id_fkey`);
    this.addSql(`alter table ledger_entries drop constraint ledger_entries_pkey`);
    this.addSql(`alter table ledger_transfers drop constraint ledger_transfers_pkey`);
    this.addSql(`alter table ledger_transfers add primary key (owner_id, id)`);
    this.addSql(`alter table ledger_entries add primary key (owner_id, transfer_id, seq)`);
    this.addSql(`alter table ledger_entries add foreign key (owner_id, transfer_id) references ledger_transfers (owner_id, id)`);
    this.addSql(`alter table tool_charges drop constraint tool_charges_pkey`);
    this.addSql(`alter table tool_charges drop constraint tool_charges_idempotency_key_key`);
    this.addSql(`alter table tool_charges add primary key (consumer_id, id)`);
    this.addSql(`alter table tool_charges add unique (consumer_id, idempotency_key)`);
    // Checked at commit: the hot path writes the charge before its transfer.
    this.addSql(`
      alter table tool_charges add foreign key (consumer_id, transfer_id) references ledger_transfers (owner_id, id)
        deferrable initially deferred`);

    this.addSql(`drop index ledger_entries_account_idx`);
    this.addSql(`create index ledger_entries_account_page_idx on ledger_entries (account, transfer_id, seq)`);

    this.addSql(`
      create table ledger_balances (
        account text primary key check (account not like 'wallet:%'),
        balance_minor bigint not null,
        updated_at timestamptz not null
      )`);
    // No key of their own: the roll-up takes them by row and deletes them, nothing refers to one.
    this.addSql(`
      create table ledger_balance_deltas (
        owner_id text not null,
        account text not null check (account not like 'wallet:%'),
        amount_minor bigint not null
      )`);
    this.addSql(`create index ledger_balance_deltas_account_idx on ledger_balance_deltas (account) include (amount_minor)`);
    this.addSql(`
      insert into ledger_balances (account, balance_minor, updated_at)
      select account, sum(amount_minor), now() from ledger_entries where account not like 'wallet:%' group by account`);

    // One transfer's entries, and a delta for each that is not on a wallet (wallets keep their
    // balance in their own row): the one way entries are written, by charges and by every post.
    this.addSql(`
      create function post_ledger_entries(p_owner text, p_transfer text, p_entries jsonb) returns void
      language sql as $$
        with written as (
          insert into ledger_entries (owner_id, transfer_id, seq, account, amount_minor)
          select p_owner, p_transfer, e.seq, e.entry->>'account', (e.entry->>'amount')::bigint
          from jsonb_array_elements(p_entries) with ordinality as e(entry, seq)
          returning account, amount_minor
        )
        insert into ledger_balance_deltas (owner_id, account, amount_minor)
        select p_owner, account, amount_minor from written where account not like 'wallet:%'
      $$`);

    // Folds up to p_limit deltas into their balances and deletes them, in one transaction: a
    // balance read sees both or neither. Rows another roll-up has taken are skipped, never added
    // twice; balances are written in account order, so two roll-ups never deadlock.
    this.addSql(`
      create function roll_up_ledger_balances(p_limit int) returns int
      language sql as $$
        with moved as (
          delete from ledger_balance_deltas
          where ctid = any (array(select ctid from ledger_balance_deltas limit p_limit for update skip locked))
          returning account, amount_minor
        ), sums as (
          select account, sum(amount_minor) as total, count(*) as deltas from moved group by account
        ), folded as (
          insert into ledger_balances (account, balance_minor, updated_at)
          select account, total, now() from sums order by account
          on conflict (account) do update
            set balance_minor = ledger_balances.balance_minor + excluded.balance_minor, updated_at = excluded.updated_at
        )
        select coalesce(sum(deltas), 0)::int from sums
      $$`);

    // One consumer's charges, in order: everything a charge locks and writes is keyed by that
    // consumer, so on Citus this function runs on the consumer's shard (create_distributed_function
    // by p_consumer). Per charge: replay by key; guarded debit (never below zero, no
    // read-modify-write), else, having looked at the key again (D6: the debit may have waited on
    // the wallet's lock for a transaction charging this very key), 'insufficient' with nothing
    // written; then the charge, its transfer, entries and deltas. A charge that still loses a race
    // for its key gives its debit back and replays the winner.
    this.addSql(`
      create function charge_consumer_tool_calls(p_consumer text, p_charges jsonb)
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

    // The hot path on one PostgreSQL: a batch of charges in one round trip and one transaction
    // (one commit for many charges; a batch of one when the service is quiet), consumer by
    // consumer in consumer order, so concurrent batches lock wallets in one order and never
    // deadlock on them.
    this.addSql(`
      create or replace function charge_tool_calls(p_batch jsonb)
      returns table (idx int, charge_id text, consumer_id text, creator_id text, tool_id text, price_cents bigint,
                     wallet_balance_cents bigint, outcome text)
      language plpgsql as $$
      declare
        g record;
      begin
        for g in
          select x->>'consumer' as consumer, jsonb_agg(x order by (x->>'idx')::int) as charges
          from jsonb_array_elements(p_batch) as x group by 1 order by 1
        loop
          return query
            select r.idx, r.charge_id, g.consumer, r.creator_id, r.tool_id, r.price_cents, r.wallet_balance_cents, r.outcome
            from charge_consumer_tool_calls(g.consumer, g.charges) r;
        end loop;
      end;
      $$`);
  }
}
