import { Migration } from '@mikro-orm/migrations';

export class AccountPlansMigration extends Migration {
  override up(): void {
    this.addSql(`
      create table account_plans (
        user_id text primary key check (length(user_id) between 1 and 255),
        country char(2) not null check (country ~ '^[A-Z]{2}$'),
        payment_gateway text not null check (payment_gateway in ('stripe', 'razorpay')),
        plan_tier text not null check (plan_tier in ('free', 'starter', 'pro', 'business')),
        billing_interval text check (billing_interval in ('monthly', 'yearly')),
        status text not null check (status in ('active', 'past_due', 'canceled', 'incomplete')),
        current_period_end timestamptz,
        provider_customer_id text,
        provider_subscription_id text,
        created_at timestamptz not null,
        updated_at timestamptz not null,
        check ((plan_tier = 'free') = (billing_interval is null))
      )`);
    this.addSql(`create unique index account_plans_provider_customer_key on account_plans (payment_gateway, provider_customer_id)`);
    this.addSql(`create unique index account_plans_provider_subscription_key on account_plans (payment_gateway, provider_subscription_id)`);
  }
}
