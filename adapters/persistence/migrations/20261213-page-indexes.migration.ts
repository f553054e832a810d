import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 16: every page is read from an index in the page's own order, so a page costs its size
 * whatever the table holds. The admin's webhook events filtered by provider, or by provider and
 * status, had none: PostgreSQL either sorted every matching event or walked the whole table back
 * from the newest, filtering, which for a provider that sends few events (or none since a move
 * to the other) reads all of the other's. Second subscriptions filtered by status likewise
 * walked every newer one. tests/persistence/page-plans.test.ts checks each page's plan.
 *
 * Nothing becomes redundant: `webhook_events_status_idx` still serves the list by status alone,
 * and every other index on these tables serves the workers or a lookup. Each index is built
 * under a lock that holds deliveries back until it is done; on a large inbox, run it at a quiet moment.
 */
export class PageIndexesMigration extends Migration {
  override up(): void {
    this.addSql(`create index webhook_events_provider_page_idx on webhook_events (provider, id desc)`);
    this.addSql(`create index webhook_events_provider_status_page_idx on webhook_events (provider, status, id desc)`);
    this.addSql(`create index duplicate_subscriptions_status_page_idx on duplicate_subscriptions (status, created_at desc, id desc)`);
  }
}
