import type { PlanChangeRepository } from '../../application/billing/plan-change.repository.ts';
import type { PlanChange } from '../../domain/billing/plan-change.entity.ts';

export class InMemoryPlanChangeRepository implements PlanChangeRepository {
  private readonly changes: PlanChange[] = [];

  async append(change: PlanChange): Promise<void> {
    change.assertInvariants();
    this.changes.push(change);
  }

  async listForUser(userId: string, limit: number): Promise<PlanChange[]> {
    return this.changes
      .filter((change) => change.userId === userId)
      .sort((a, b) => b.occurredAt.getTime() - a.occurredAt.getTime() || b.id.localeCompare(a.id))
      .slice(0, limit);
  }
}
