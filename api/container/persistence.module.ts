import { ContainerModule } from 'inversify';
import type { Database } from '../../adapters/persistence/database.ts';
import { MikroOrmAccountPlanRepository } from '../../adapters/persistence/mikro-orm.account-plan.repository.ts';
import { MikroOrmCheckoutSessionRepository } from '../../adapters/persistence/mikro-orm.checkout-session.repository.ts';
import { MikroOrmDuplicateSubscriptionRepository } from '../../adapters/persistence/mikro-orm.duplicate-subscription.repository.ts';
import { MikroOrmPlanChangeRepository } from '../../adapters/persistence/mikro-orm.plan-change.repository.ts';
import { MikroOrmRequestScope } from '../../adapters/persistence/mikro-orm.request-scope.ts';
import { MikroOrmUnitOfWork } from '../../adapters/persistence/mikro-orm.unit-of-work.ts';
import { SqlInvoiceRepository } from '../../adapters/persistence/sql.invoice.repository.ts';
import { SqlLedgerAudit } from '../../adapters/persistence/sql.ledger-audit.ts';
import { SqlPayoutRepository } from '../../adapters/persistence/sql.payout.repository.ts';
import { SqlProviderEventInbox } from '../../adapters/persistence/sql.provider-event-inbox.ts';
import { SqlWalletLedger } from '../../adapters/persistence/sql.wallet-ledger.ts';
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

/** Every repository, the ledger and the inbox on the opened PostgreSQL database. */
export function persistenceModule(database: Database): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(UNIT_OF_WORK).toConstantValue(new MikroOrmUnitOfWork(database.orm));
    bind(REQUEST_SCOPE).toConstantValue(new MikroOrmRequestScope());
    bind(ACCOUNT_PLAN_REPOSITORY).toConstantValue(new MikroOrmAccountPlanRepository(database.orm));
    bind(CHECKOUT_SESSION_REPOSITORY).toConstantValue(new MikroOrmCheckoutSessionRepository(database.orm));
    bind(PLAN_CHANGE_REPOSITORY).toConstantValue(new MikroOrmPlanChangeRepository(database.orm));
    bind(INVOICE_REPOSITORY).toConstantValue(new SqlInvoiceRepository(database.orm));
    bind(DUPLICATE_SUBSCRIPTION_REPOSITORY).toConstantValue(new MikroOrmDuplicateSubscriptionRepository(database.orm));
    bind(WALLET_LEDGER).toConstantValue(new SqlWalletLedger(database.orm));
    bind(LEDGER_AUDIT).toConstantValue(new SqlLedgerAudit(database.orm));
    bind(PROVIDER_EVENT_INBOX).toConstantValue(new SqlProviderEventInbox(database.orm));
    bind(PAYOUT_REPOSITORY).toConstantValue(new SqlPayoutRepository(database.orm));
    bind(HEALTH_CHECK).toConstantValue({ check: () => database.ping() });
  });
}
