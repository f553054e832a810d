import { Migration } from '@mikro-orm/migrations';

/**
 * A checkout session may pay, once, the period a past-due subscription did not renew (purpose
 * `renewal`, naming the plan it renews): the renewal link of a plan whose debit needs approval.
 */
export class RenewalPaymentsMigration extends Migration {
  override up(): void {
    this.addSql(`
      alter table checkout_sessions
        drop constraint if exists checkout_sessions_purpose_check,
        drop constraint if exists checkout_sessions_plan_named_check,
        add constraint checkout_sessions_purpose_check check (purpose in ('plan', 'deposit', 'plan_change', 'renewal')),
        add constraint checkout_sessions_plan_named_check check ((purpose in ('plan', 'plan_change', 'renewal')) = (tier is not null and billing_interval is not null))`);
  }
}
