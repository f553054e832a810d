import { InMemoryAccountPlanRepository } from '../../adapters/in-memory/in-memory.account-plan.repository.ts';
import { InMemoryCheckoutSessionRepository } from '../../adapters/in-memory/in-memory.checkout-session.repository.ts';
import { InMemoryInvoiceRepository } from '../../adapters/in-memory/in-memory.invoice.repository.ts';
import { InMemoryUnitOfWork } from '../../adapters/in-memory/in-memory.unit-of-work.ts';
import { runInvoiceRepositoryContract } from './invoice-repository.contract.ts';

runInvoiceRepositoryContract(
  'in memory',
  () => ({
    invoices: new InMemoryInvoiceRepository(),
    accounts: new InMemoryAccountPlanRepository(),
    sessions: new InMemoryCheckoutSessionRepository(),
    uow: new InMemoryUnitOfWork(),
  }),
  { concurrency: 20 },
);
