import { Migration } from '@mikro-orm/migrations';

export class CheckoutSessionsMigration extends Migration {
  override up(): void {
    this.addSql(`
      create table checkout_sessions (
        id text primary key,
        user_id text not null references account_plans (user_id),
        purpose text not null check (purpose in ('plan', 'deposit')),
        gateway text not null check (gateway in ('stripe', 'razorpay')),
        tier text check (tier in ('starter', 'pro', 'business')),
        billing_interval text check (billing_interval in ('monthly', 'yearly')),
        amount_minor bigint not null check (amount_minor > 0),
        currency char(3) not null check (currency in ('USD', 'INR')),
        fx jsonb,
        success_url text not null,
        cancel_url text not null,
        created_at timestamptz not null,
        provider_session_id text,
        status text not null check (status in ('open', 'completed', 'expired', 'canceled')),
        completed_at timestamptz,
        check ((purpose = 'plan') = (tier is not null and billing_interval is not null)),
        check ((status = 'completed') = (completed_at is not null)),
        check ((currency = 'USD') = (fx is null))
      )`);
    this.addSql(`create unique index checkout_sessions_provider_session_key on checkout_sessions (gateway, provider_session_id)`);
    this.addSql(`create index checkout_sessions_provider_session_idx on checkout_sessions (provider_session_id)`);
    this.addSql(`create index checkout_sessions_open_idx on checkout_sessions (created_at) where status = 'open'`);
    this.addSql(`
      create table plan_changes (
        id text primary key,
        user_id text not null references account_plans (user_id),
        reason text not null,
        from_tier text not null,
        to_tier text not null,
        from_interval text,
        to_interval text,
        reference text,
        occurred_at timestamptz not null
      )`);
    this.addSql(`create index plan_changes_user_idx on plan_changes (user_id, occurred_at desc)`);
  }
}
