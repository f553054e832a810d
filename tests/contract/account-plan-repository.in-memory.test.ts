import { InMemoryAccountPlanRepository } from '../../adapters/in-memory/in-memory.account-plan.repository.ts';
import { runAccountPlanRepositoryContract } from './account-plan-repository.contract.ts';

runAccountPlanRepositoryContract('in memory', () => new InMemoryAccountPlanRepository());
