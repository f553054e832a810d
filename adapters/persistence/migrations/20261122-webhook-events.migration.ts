import { Migration } from '@mikro-orm/migrations';

export class WebhookEventsMigration extends Migration {
  override up(): void {
    this.addSql(`alter table account_plans add column provider_state_at timestamptz, add column past_due_since timestamptz`);
    this.addSql(`create index account_plans_past_due_idx on account_plans (past_due_since) where status = 'past_due'`);
    this.addSql(`
      alter table checkout_sessions
        add column provider_payment_id text,
        add column refunded_usd_cents bigint not null default 0 check (refunded_usd_cents >= 0),
        add column disputed_usd_cents bigint not null default 0 check (disputed_usd_cents >= 0)`);
    this.addSql(`create index checkout_sessions_payment_idx on checkout_sessions (gateway, provider_payment_id) where provider_payment_id is not null`);
    this.addSql(`create index account_plans_subscription_idx on account_plans (provider_subscription_id) where provider_subscription_id is not null`);
    // One row per provider event, written in the same transaction as its effect: the primary key
    // is what makes a redelivery change nothing.
    this.addSql(`
      create table webhook_events (
        provider text not null check (provider in ('stripe', 'razorpay')),
        event_id text not null,
        type text not null,
        outcome text not null check (outcome in ('applied', 'ignored', 'stale')),
        occurred_at timestamptz not null,
        received_at timestamptz not null,
        payload jsonb not null,
        primary key (provider, event_id)
      )`);
    this.addSql(`create index webhook_events_received_idx on webhook_events (received_at desc)`);
  }
}
