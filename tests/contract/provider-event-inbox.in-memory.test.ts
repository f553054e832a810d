import { InMemoryProviderEventInbox } from '../../adapters/in-memory/in-memory.provider-event-inbox.ts';
import { InMemoryUnitOfWork } from '../../adapters/in-memory/in-memory.unit-of-work.ts';
import { runProviderEventInboxContract } from './provider-event-inbox.contract.ts';

runProviderEventInboxContract('in memory', () => ({ inbox: new InMemoryProviderEventInbox(), uow: new InMemoryUnitOfWork() }), { concurrency: 200, rollsBack: false });
