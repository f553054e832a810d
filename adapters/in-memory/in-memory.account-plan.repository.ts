import type { AccountPlanRepository } from '../../application/billing/account-plan.repository.ts';
import type { AccountPlan } from '../../domain/billing/account-plan.entity.ts';

/** Keeps plans in a Map; for unit tests and the in-memory container. Passes the same contract. */
export class InMemoryAccountPlanRepository implements AccountPlanRepository {
  private readonly plans = new Map<string, AccountPlan>();

  async findByUserId(userId: string): Promise<AccountPlan | null> {
    return this.plans.get(userId) ?? null;
  }

  async insertIfAbsent(plan: AccountPlan): Promise<AccountPlan> {
    plan.assertInvariants();
    const existing = this.plans.get(plan.userId);
    if (existing) return existing;
    this.plans.set(plan.userId, plan);
    return plan;
  }
}
