import { Migration } from '@mikro-orm/migrations';

/**
 * Changing a running plan: a checkout session may be a subscriber's confirmation of a plan change
 * (purpose `plan_change`, naming the plan it moves to), and an account keeps the change its provider
 * has scheduled for the end of the period (a downgrade), as the provider last reported it.
 */
export class PlanChangesMigration extends Migration {
  override up(): void {
    this.addSql(`
      alter table checkout_sessions
        drop constraint if exists checkout_sessions_purpose_check,
        drop constraint if exists checkout_sessions_check,
        add constraint checkout_sessions_purpose_check check (purpose in ('plan', 'deposit', 'plan_change')),
        add constraint checkout_sessions_plan_named_check check ((purpose in ('plan', 'plan_change')) = (tier is not null and billing_interval is not null))`);
    this.addSql(`
      alter table account_plans
        add column scheduled_tier text check (scheduled_tier in ('starter', 'pro', 'business')),
        add column scheduled_billing_interval text check (scheduled_billing_interval in ('monthly', 'yearly')),
        add column scheduled_change_at timestamptz,
        add constraint account_plans_scheduled_change_check check (
          (scheduled_tier is null and scheduled_billing_interval is null and scheduled_change_at is null)
          or (scheduled_tier is not null and scheduled_billing_interval is not null and scheduled_change_at is not null and plan_tier <> 'free'))`);
  }
}
