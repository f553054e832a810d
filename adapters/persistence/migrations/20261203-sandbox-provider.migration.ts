import { Migration } from '@mikro-orm/migrations';

/**
 * The sandbox provider's own tables, so that every process and restart agrees on what it holds:
 * its objects (one JSON document each, with when its next change is due and the id it is looked up
 * by), its clock (how far it runs ahead of the system's), and the events it has yet to deliver to
 * this service's webhook routes. Nothing of the service reads them but the sandbox adapter.
 */
export class SandboxProviderMigration extends Migration {
  override up(): void {
    this.addSql(`
      create table sandbox_objects (
        kind text not null,
        id text not null,
        data jsonb not null,
        due_at timestamptz,
        lookup text,
        seq bigint generated always as identity,
        primary key (kind, id)
      )`);
    this.addSql(`create index sandbox_objects_due_idx on sandbox_objects (kind, due_at) where due_at is not null`);
    this.addSql(`create index sandbox_objects_lookup_idx on sandbox_objects (kind, lookup) where lookup is not null`);
    this.addSql(`create index sandbox_objects_latest_idx on sandbox_objects (kind, seq desc)`);
    this.addSql(`
      create table sandbox_clock (
        singleton boolean primary key default true check (singleton),
        offset_ms bigint not null default 0 check (offset_ms >= 0)
      )`);
    this.addSql(`insert into sandbox_clock (singleton, offset_ms) values (true, 0)`);
    this.addSql(`
      create table sandbox_events (
        seq bigint generated always as identity primary key,
        id text not null unique,
        region text not null check (region in ('stripe', 'razorpay')),
        type text not null,
        body text not null,
        delivered_at timestamptz,
        leased_until timestamptz,
        created_at timestamptz not null default now()
      )`);
    this.addSql(`create index sandbox_events_undelivered_idx on sandbox_events (seq) where delivered_at is null`);
  }

  override down(): void {
    this.addSql('drop table sandbox_events');
    this.addSql('drop table sandbox_clock');
    this.addSql('drop table sandbox_objects');
  }
}
