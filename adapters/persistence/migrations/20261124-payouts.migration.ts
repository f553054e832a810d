import { Migration } from '@mikro-orm/migrations';

/**
 * Creator payouts. `payout_accounts` holds one row per creator, locked while a payout is taken
 * from the balance; a scheduled payout names its period, unique per creator, so the schedule pays
 * a creator at most once a period however many processes run it.
 */
export class PayoutsMigration extends Migration {
  override up(): void {
    this.addSql(`
      create table payout_accounts (
        creator_id text primary key,
        gateway text not null check (gateway in ('stripe', 'razorpay')),
        frequency text not null check (frequency in ('manual', 'weekly', 'monthly')),
        onboarding_status text not null check (onboarding_status in ('not_started', 'pending', 'verified', 'restricted')),
        provider_account_id text,
        restriction_reason text,
        created_at timestamptz not null,
        updated_at timestamptz not null
      )`);
    this.addSql(`create unique index payout_accounts_provider_idx on payout_accounts (gateway, provider_account_id)`);
    this.addSql(`create index payout_accounts_schedule_idx on payout_accounts (frequency, creator_id) where onboarding_status = 'verified'`);
    this.addSql(`
      create table payouts (
        id text primary key,
        creator_id text not null references payout_accounts (creator_id),
        gateway text not null,
        provider_account_id text not null,
        amount_cents bigint not null check (amount_cents > 0),
        payout_currency char(3) not null,
        payout_amount_minor bigint not null check (payout_amount_minor > 0),
        fx jsonb,
        period text,
        retry_of text references payouts (id),
        status text not null check (status in ('pending', 'in_transit', 'paid', 'failed', 'canceled')),
        provider_transfer_id text,
        failure_reason text,
        created_at timestamptz not null,
        updated_at timestamptz not null
      )`);
    this.addSql(`create unique index payouts_period_idx on payouts (creator_id, period) where period is not null`);
    // A failed payout is paid anew at most once, however often an admin presses retry.
    this.addSql(`create unique index payouts_retry_idx on payouts (retry_of) where retry_of is not null`);
    this.addSql(`create unique index payouts_transfer_idx on payouts (gateway, provider_transfer_id)`);
    this.addSql(`create index payouts_creator_idx on payouts (creator_id, id desc)`);
    this.addSql(`create index payouts_unanswered_idx on payouts (updated_at) where status = 'pending'`);
  }
}
