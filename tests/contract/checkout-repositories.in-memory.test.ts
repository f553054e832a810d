import { InMemoryAccountPlanRepository } from '../../adapters/in-memory/in-memory.account-plan.repository.ts';
import { InMemoryCheckoutSessionRepository } from '../../adapters/in-memory/in-memory.checkout-session.repository.ts';
import { InMemoryDuplicateSubscriptionRepository } from '../../adapters/in-memory/in-memory.duplicate-subscription.repository.ts';
import { InMemoryPlanChangeRepository } from '../../adapters/in-memory/in-memory.plan-change.repository.ts';
import { InMemoryUnitOfWork } from '../../adapters/in-memory/in-memory.unit-of-work.ts';
import { runCheckoutRepositoriesContract } from './checkout-session-repository.contract.ts';

runCheckoutRepositoriesContract('in memory', () => ({
  accounts: new InMemoryAccountPlanRepository(),
  sessions: new InMemoryCheckoutSessionRepository(),
  planChanges: new InMemoryPlanChangeRepository(),
  duplicates: new InMemoryDuplicateSubscriptionRepository(),
  uow: new InMemoryUnitOfWork(),
}));
