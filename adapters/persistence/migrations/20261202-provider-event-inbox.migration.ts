import { Migration } from '@mikro-orm/migrations';

/**
 * `webhook_events` becomes the inbox: every verified delivery is recorded and acknowledged at
 * once, and workers in every process apply it afterwards by reading the provider's current state.
 * Rows get an id in arrival order, the key that makes a redelivery the same event (Stripe's signed
 * event id; the digest of the signed body for Razorpay, whose event id header is not signed), the
 * provider object the event is about, and the queue's columns: status, attempts, the last error,
 * when it is due, and the worker's lease. Events recorded before are kept as applied or ignored
 * (`stale` ones are applied: their newer state was).
 *
 * `recheck` marks a pending event to look at again once its worker is done: something of ours came
 * to hold its object meanwhile (a deposit completed while a refund of it was being read).
 *
 * Payouts in transit get an index for the poll of those whose settle event never came. Checkout sessions get `review_reason`: set when the provider confirmed a payment for a session
 * already closed here, which still credits once and is shown for review; and `dispute_holds`, what
 * each dispute read one at a time (Razorpay's) holds.
 */
export class ProviderEventInboxMigration extends Migration {
  override up(): void {
    this.addSql(`alter table webhook_events drop constraint webhook_events_pkey`);
    this.addSql(`alter table webhook_events drop constraint webhook_events_outcome_check`);
    this.addSql(`alter table webhook_events rename column outcome to status`);
    this.addSql(`update webhook_events set status = 'applied' where status = 'stale'`);
    this.addSql(`
      alter table webhook_events
        add column id bigint generated always as identity primary key,
        add column dedup_key text,
        add column body_digest text,
        add column subject_kind text check (subject_kind in ('checkout', 'subscription', 'payment', 'dispute', 'account', 'transfer')),
        add column subject_id text,
        add column subject_hint text,
        add column attempts integer not null default 0,
        add column last_error text,
        add column note text,
        add column due_at timestamptz,
        add column lease_owner text,
        add column leased_until timestamptz,
        add column settled_at timestamptz,
        add column recheck boolean not null default false,
        add constraint webhook_events_status_check check (status in ('pending', 'applied', 'ignored', 'failed', 'dead')),
        add constraint webhook_events_pending_check check (status <> 'pending' or (subject_kind is not null and subject_id is not null and due_at is not null))`);
    this.addSql(`update webhook_events set dedup_key = event_id, settled_at = received_at`);
    this.addSql(`alter table webhook_events alter column dedup_key set not null`);
    this.addSql(`create unique index webhook_events_dedup_key on webhook_events (provider, dedup_key)`);
    // The workers' queue: small, since settled events leave it.
    this.addSql(`create index webhook_events_pending_idx on webhook_events (provider, subject_kind, subject_id, id) where status = 'pending'`);
    this.addSql(`create index webhook_events_pending_order_idx on webhook_events (id) where status = 'pending'`);
    // Events about an object of a provider, by the object or by the id their hint names (a dispute's payment).
    this.addSql(`create index webhook_events_subject_idx on webhook_events (provider, subject_id) where subject_id is not null`);
    this.addSql(`create index webhook_events_hint_idx on webhook_events (provider, subject_hint) where subject_hint is not null`);
    this.addSql(`create index webhook_events_status_idx on webhook_events (status, id desc)`);
    this.addSql(`drop index webhook_events_received_idx`);
    this.addSql(`alter table checkout_sessions add column review_reason text, add column dispute_holds jsonb not null default '{}'`);
    // Payouts whose settle event never came are polled.
    this.addSql(`create index payouts_in_transit_idx on payouts (updated_at) where status = 'in_transit'`);
    // Subscription state is read from the provider now; event times no longer order anything.
    this.addSql(`alter table account_plans drop column provider_state_at`);
  }
}
