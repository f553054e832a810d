import { Migration } from '@mikro-orm/migrations';

/**
 * Invoices and receipts: one row per payment the service applied for a user (a plan checkout's
 * first payment, each renewal of its subscription, each deposit), written in the transaction that
 * applies it. Unique per provider payment, so replays, concurrent paths and several processes
 * record a payment once; the caller's page is read in its own order from one index. Payments
 * applied before this table existed are not listed.
 */
export class InvoicesMigration extends Migration {
  override up(): void {
    this.addSql(`
      create table invoices (
        id text primary key,
        user_id text not null references account_plans (user_id),
        gateway text not null check (gateway in ('stripe', 'razorpay')),
        kind text not null check (kind in ('plan', 'renewal', 'deposit')),
        tier text check (tier in ('starter', 'pro', 'business')),
        billing_interval text check (billing_interval in ('monthly', 'yearly')),
        amount_minor bigint not null check (amount_minor >= 0),
        currency char(3) not null,
        fx_rate_micros bigint check (fx_rate_micros > 0),
        fx_source text,
        fx_quoted_at timestamptz,
        fx_base_amount_minor bigint,
        period_start timestamptz,
        period_end timestamptz,
        provider_payment_id text not null,
        receipt_url text,
        checkout_session_id text references checkout_sessions (id),
        status text not null check (status in ('paid', 'partially_refunded', 'refunded', 'disputed')),
        created_at timestamptz not null,
        updated_at timestamptz not null,
        check ((fx_rate_micros is null) = (fx_source is null) and (fx_source is null) = (fx_quoted_at is null) and (fx_quoted_at is null) = (fx_base_amount_minor is null)),
        check ((tier is null) = (billing_interval is null)),
        check ((kind = 'renewal') = (checkout_session_id is null)),
        check (kind = 'deposit' or status = 'paid')
      )`);
    this.addSql(`create unique index invoices_provider_payment_key on invoices (gateway, provider_payment_id)`);
    this.addSql(`create unique index invoices_checkout_session_key on invoices (checkout_session_id) where checkout_session_id is not null`);
    this.addSql(`create index invoices_user_page_idx on invoices (user_id, created_at desc, id desc)`);
  }
}
