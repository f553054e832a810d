import { InMemoryUnitOfWork } from '../../adapters/in-memory/in-memory.unit-of-work.ts';
import { InMemoryWebhookEventRepository } from '../../adapters/in-memory/in-memory.webhook-event.repository.ts';
import { runWebhookEventRepositoryContract } from './webhook-event-repository.contract.ts';

runWebhookEventRepositoryContract('in memory', () => ({ events: new InMemoryWebhookEventRepository(), uow: new InMemoryUnitOfWork() }), {
  concurrency: 200,
  rollsBack: false,
});
