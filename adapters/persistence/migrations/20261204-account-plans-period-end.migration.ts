import { Migration } from '@mikro-orm/migrations';

/** The scheduled check of paid periods that ended with no renewal confirmed finds them by their end. */
export class AccountPlansPeriodEndMigration extends Migration {
  override up(): void {
    this.addSql(`create index account_plans_period_end_idx on account_plans (current_period_end, user_id) where plan_tier <> 'free'`);
  }
}
