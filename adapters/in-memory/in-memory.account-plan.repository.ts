import type { AccountPlanRepository, PeriodEndCursor } from '../../application/billing/account-plan.repository.ts';
import type { AccountPlan } from '../../domain/billing/account-plan.entity.ts';
import { copyEntity } from './entity-copy.ts';

/** Keeps plans in a Map; for unit tests and the in-memory container. Passes the same contract. */
export class InMemoryAccountPlanRepository implements AccountPlanRepository {
  private readonly plans = new Map<string, AccountPlan>();

  async findByUserId(userId: string): Promise<AccountPlan | null> {
    const plan = this.plans.get(userId);
    return plan ? copyEntity(plan) : null;
  }

  findByUserIdForUpdate(userId: string): Promise<AccountPlan | null> {
    return this.findByUserId(userId);
  }

  async findBySubscriptionId(gateway: string, subscriptionId: string): Promise<AccountPlan | null> {
    const plan = [...this.plans.values()].find((p) => p.paymentGateway === gateway && p.providerSubscriptionId === subscriptionId);
    return plan ? copyEntity(plan) : null;
  }

  findBySubscriptionIdForUpdate(gateway: string, subscriptionId: string): Promise<AccountPlan | null> {
    return this.findBySubscriptionId(gateway, subscriptionId);
  }

  async listPastDueSince(before: Date, limit: number): Promise<string[]> {
    return [...this.plans.values()]
      .filter((plan) => plan.status === 'past_due' && plan.tier !== 'free' && plan.pastDueSince && plan.pastDueSince < before)
      .slice(0, limit)
      .map((plan) => plan.userId);
  }

  async listPeriodEndedBefore(before: Date, after: PeriodEndCursor | null, limit: number): Promise<PeriodEndCursor[]> {
    const key = (cursor: PeriodEndCursor) => `${cursor.periodEnd.toISOString()} ${cursor.userId}`;
    return [...this.plans.values()]
      .filter((plan) => plan.tier !== 'free' && plan.currentPeriodEnd && plan.currentPeriodEnd < before)
      .filter((plan) => plan.status === 'active' || plan.status === 'canceled' || (plan.status === 'past_due' && plan.providerSubscriptionId && plan.pastDueSince?.getTime() === plan.currentPeriodEnd!.getTime()))
      .map((plan) => ({ userId: plan.userId, periodEnd: plan.currentPeriodEnd! }))
      .filter((cursor) => !after || key(cursor) > key(after))
      .sort((a, b) => (key(a) < key(b) ? -1 : 1))
      .slice(0, limit);
  }

  async insertIfAbsent(plan: AccountPlan): Promise<AccountPlan> {
    plan.assertInvariants();
    if (!this.plans.has(plan.userId)) this.plans.set(plan.userId, copyEntity(plan));
    return copyEntity(this.plans.get(plan.userId)!);
  }

  async save(plan: AccountPlan): Promise<void> {
    plan.assertInvariants();
    this.plans.set(plan.userId, copyEntity(plan));
  }
}
