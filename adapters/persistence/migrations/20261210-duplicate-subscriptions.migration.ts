import { Migration } from '@mikro-orm/migrations';

/**
 * One live subscription per account. A completed plan checkout keeps the subscription it started
 * (`provider_subscription_id`), so a second subscription on the account is traced back to its
 * checkout; `duplicate_subscriptions` records each second subscription settled: the checkout kept
 * and the one canceled, the subscription canceled at once and the payment refunded in full, and
 * how the provider calls went. One per canceled checkout; pending ones are found by when they are due.
 */
export class DuplicateSubscriptionsMigration extends Migration {
  override up(): void {
    this.addSql(`alter table checkout_sessions add column provider_subscription_id text`);
    this.addSql(`create index checkout_sessions_subscription_idx on checkout_sessions (gateway, provider_subscription_id) where provider_subscription_id is not null`);
    this.addSql(`create index checkout_sessions_open_user_idx on checkout_sessions (user_id, created_at) where status = 'open'`);
    this.addSql(`
      create table duplicate_subscriptions (
        id text primary key,
        user_id text not null references account_plans (user_id),
        gateway text not null check (gateway in ('stripe', 'razorpay')),
        kept_session_id text not null references checkout_sessions (id),
        canceled_session_id text not null unique references checkout_sessions (id),
        subscription_id text not null,
        payment_id text,
        amount_minor bigint not null check (amount_minor > 0),
        currency char(3) not null check (currency in ('USD', 'INR')),
        created_at timestamptz not null,
        status text not null check (status in ('pending', 'done', 'failed')),
        attempts integer not null default 0 check (attempts >= 0),
        last_error text,
        next_attempt_at timestamptz,
        leased_until timestamptz,
        subscription_canceled_at timestamptz,
        refund_id text,
        refunded_minor bigint check (refunded_minor >= 0),
        refunded_at timestamptz,
        settled_at timestamptz,
        updated_at timestamptz not null,
        check (kept_session_id <> canceled_session_id),
        check ((status = 'pending') = (settled_at is null)),
        check (status <> 'done' or (subscription_canceled_at is not null and refunded_at is not null))
      )`);
    this.addSql(`create index duplicate_subscriptions_due_idx on duplicate_subscriptions (next_attempt_at, id) where status = 'pending'`);
    this.addSql(`create index duplicate_subscriptions_created_idx on duplicate_subscriptions (created_at desc, id desc)`);
  }
}
