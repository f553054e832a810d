import { InMemoryAccountPlanRepository } from '../../adapters/in-memory/in-memory.account-plan.repository.ts';
import { InMemoryUnitOfWork } from '../../adapters/in-memory/in-memory.unit-of-work.ts';
import { InMemoryWebhookEventRepository } from '../../adapters/in-memory/in-memory.webhook-event.repository.ts';
import { runWebhookEventRepositoryContract } from './webhook-event-repository.contract.ts';

runWebhookEventRepositoryContract('in memory', () => {
  const accounts = new InMemoryAccountPlanRepository();
  return { events: new InMemoryWebhookEventRepository(accounts), uow: new InMemoryUnitOfWork(), accounts };
}, {
  concurrency: 200,
  rollsBack: false,
});
