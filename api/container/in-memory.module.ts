import { ContainerModule } from 'inversify';
import { InMemoryAccountPlanRepository } from '../../adapters/in-memory/in-memory.account-plan.repository.ts';
import { InMemoryCheckoutSessionRepository } from '../../adapters/in-memory/in-memory.checkout-session.repository.ts';
import { InMemoryDuplicateSubscriptionRepository } from '../../adapters/in-memory/in-memory.duplicate-subscription.repository.ts';
import { InMemoryInvoiceRepository } from '../../adapters/in-memory/in-memory.invoice.repository.ts';
import { InMemoryLedgerAudit } from '../../adapters/in-memory/in-memory.ledger-audit.ts';
import { InMemoryPayoutRepository } from '../../adapters/in-memory/in-memory.payout.repository.ts';
import { InMemoryPlanChangeRepository } from '../../adapters/in-memory/in-memory.plan-change.repository.ts';
import { InMemoryProviderEventInbox } from '../../adapters/in-memory/in-memory.provider-event-inbox.ts';
import { InMemoryUnitOfWork } from '../../adapters/in-memory/in-memory.unit-of-work.ts';
import { InMemoryWalletLedger } from '../../adapters/in-memory/in-memory.wallet-ledger.ts';
import { ACCOUNT_PLAN_REPOSITORY } from '../../application/billing/account-plan.repository.ts';
import { CHECKOUT_SESSION_REPOSITORY } from '../../application/billing/checkout-session.repository.ts';
import { DUPLICATE_SUBSCRIPTION_REPOSITORY } from '../../application/billing/duplicate-subscription.repository.ts';
import { INVOICE_REPOSITORY } from '../../application/billing/invoice.repository.ts';
import { PLAN_CHANGE_REPOSITORY } from '../../application/billing/plan-change.repository.ts';
import { PAYOUT_REPOSITORY } from '../../application/payouts/payout.repository.ts';
import { HEALTH_CHECK } from '../../application/shared/health.port.ts';
import { REQUEST_SCOPE } from '../../application/shared/request-scope.port.ts';
import { UNIT_OF_WORK } from '../../application/shared/unit-of-work.port.ts';
import { LEDGER_AUDIT } from '../../application/wallet/ledger-audit.port.ts';
import { WALLET_LEDGER } from '../../application/wallet/wallet-ledger.port.ts';
import { PROVIDER_EVENT_INBOX } from '../../application/webhooks/provider-event-inbox.port.ts';

/** The same ports in memory, for a run without a database (tests, demos). */
export function inMemoryModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(UNIT_OF_WORK).toConstantValue(new InMemoryUnitOfWork());
    bind(REQUEST_SCOPE).toConstantValue({ run: <T>(work: () => Promise<T>) => work() });
    bind(ACCOUNT_PLAN_REPOSITORY).toConstantValue(new InMemoryAccountPlanRepository());
    bind(CHECKOUT_SESSION_REPOSITORY).toConstantValue(new InMemoryCheckoutSessionRepository());
    bind(PLAN_CHANGE_REPOSITORY).toConstantValue(new InMemoryPlanChangeRepository());
    bind(INVOICE_REPOSITORY).toConstantValue(new InMemoryInvoiceRepository());
    bind(DUPLICATE_SUBSCRIPTION_REPOSITORY).toConstantValue(new InMemoryDuplicateSubscriptionRepository());
    const ledger = new InMemoryWalletLedger();
    bind(WALLET_LEDGER).toConstantValue(ledger);
    bind(LEDGER_AUDIT).toConstantValue(new InMemoryLedgerAudit(ledger));
    bind(PROVIDER_EVENT_INBOX).toConstantValue(new InMemoryProviderEventInbox());
    bind(PAYOUT_REPOSITORY).toConstantValue(new InMemoryPayoutRepository());
    bind(HEALTH_CHECK).toConstantValue({ check: async () => undefined });
  });
}
