import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 17, internal tools: a plan an admin sets (`adjustPlan`) is recorded in `plan_changes` with
 * who set it (`actor_id`, their token's `sub`), their reason (`note`) and the end they gave it
 * (`period_end`); both of the first two exactly on reason `admin`, which nothing recorded before.
 * The admin's account look-up reads a user's recent checkout sessions, to find the provider events
 * about them, newest first: `checkout_sessions_user_idx` serves it.
 */
export class AdminPlanChangesMigration extends Migration {
  override up(): void {
    this.addSql(`
      alter table plan_changes
        add column actor_id text,
        add column note text,
        add column period_end timestamptz,
        add constraint plan_changes_admin_check check ((reason = 'admin') = (actor_id is not null and note is not null))`);
    this.addSql(`create index checkout_sessions_user_idx on checkout_sessions (user_id, created_at desc, id desc)`);
  }
}
