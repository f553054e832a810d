import type { MigrationObject } from '@mikro-orm/core';
import { AccountPlansMigration } from './20261122-account-plans.migration.ts';
import { CheckoutSessionsMigration } from './20261122-checkout-sessions.migration.ts';
import { WalletLedgerMigration } from './20261122-wallet-ledger.migration.ts';
import { PayoutsMigration } from './20261124-payouts.migration.ts';
import { WebhookEventsMigration } from './20261122-webhook-events.migration.ts';
import { WebhookPayloadJsonMigration } from './20261201-webhook-payload-json.migration.ts';
import { ProviderEventInboxMigration } from './20261202-provider-event-inbox.migration.ts';
import { SandboxProviderMigration } from './20261203-sandbox-provider.migration.ts';
import { AccountPlansPeriodEndMigration } from './20261204-account-plans-period-end.migration.ts';
import { PlanChangesMigration } from './20261206-plan-changes.migration.ts';
import { InvoicesMigration } from './20261210-invoices.migration.ts';
import { RenewalPaymentsMigration } from './20261211-renewal-payments.migration.ts';
import { ChargeReplayAfterWaitMigration } from './20261212-charge-replay-after-wait.migration.ts';
import { OwnerKeyedLedgerMigration } from './20261214-owner-keyed-ledger.migration.ts';
import { ChargeRefusalWaitsForWalletMigration } from './20261216-charge-refusal-waits-for-wallet.migration.ts';
import { DuplicateSubscriptionsMigration } from './20261210-duplicate-subscriptions.migration.ts';
import { PageIndexesMigration } from './20261213-page-indexes.migration.ts';
import { AdminPlanChangesMigration } from './20261215-admin-plan-changes.migration.ts';

/**
 * Every migration, in order. Listed rather than discovered from the file system, so that they
 * run the same from TypeScript sources, a bundle or a container image. Never edit one that has
 * shipped: add the next.
 */
export const MIGRATIONS: MigrationObject[] = [
  { name: '20261122-account-plans', class: AccountPlansMigration },
  { name: '20261122-checkout-sessions', class: CheckoutSessionsMigration },
  { name: '20261122-wallet-ledger', class: WalletLedgerMigration },
  { name: '20261122-webhook-events', class: WebhookEventsMigration },
  { name: '20261124-payouts', class: PayoutsMigration },
  { name: '20261201-webhook-payload-json', class: WebhookPayloadJsonMigration },
  { name: '20261202-provider-event-inbox', class: ProviderEventInboxMigration },
  { name: '20261203-sandbox-provider', class: SandboxProviderMigration },
  { name: '20261204-account-plans-period-end', class: AccountPlansPeriodEndMigration },
  { name: '20261206-plan-changes', class: PlanChangesMigration },
  { name: '20261210-invoices', class: InvoicesMigration },
  { name: '20261210-duplicate-subscriptions', class: DuplicateSubscriptionsMigration },
  { name: '20261211-renewal-payments', class: RenewalPaymentsMigration },
  { name: '20261212-charge-replay-after-wait', class: ChargeReplayAfterWaitMigration },
  { name: '20261213-page-indexes', class: PageIndexesMigration },
  { name: '20261214-owner-keyed-ledger', class: OwnerKeyedLedgerMigration },
  { name: '20261215-admin-plan-changes', class: AdminPlanChangesMigration },
  { name: '20261216-charge-refusal-waits-for-wallet', class: ChargeRefusalWaitsForWalletMigration },
];
