import { LockMode, type FilterQuery, type MikroORM } from '@mikro-orm/postgresql';
import type { AccountPlanRepository } from '../../application/billing/account-plan.repository.ts';
import { AccountPlan } from '../../domain/billing/account-plan.entity.ts';
import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { currentEntityManager } from './current-entity-manager.ts';

export class MikroOrmAccountPlanRepository implements AccountPlanRepository {
  private readonly orm: MikroORM;

  constructor(orm: MikroORM) {
    this.orm = orm;
  }

  async findByUserId(userId: string): Promise<AccountPlan | null> {
    const plan = await currentEntityManager(this.orm).findOne(AccountPlan, { userId });
    plan?.assertInvariants();
    return plan;
  }

  findByUserIdForUpdate(userId: string): Promise<AccountPlan | null> {
    return this.findOneForUpdate({ userId });
  }

  async findBySubscriptionId(gateway: PaymentGatewayName, subscriptionId: string): Promise<AccountPlan | null> {
    const plan = await currentEntityManager(this.orm).findOne(AccountPlan, { paymentGateway: gateway, _providerSubscriptionId: subscriptionId } as FilterQuery<AccountPlan>);
    plan?.assertInvariants();
    return plan;
  }

  findBySubscriptionIdForUpdate(gateway: PaymentGatewayName, subscriptionId: string): Promise<AccountPlan | null> {
    return this.findOneForUpdate({ paymentGateway: gateway, _providerSubscriptionId: subscriptionId } as FilterQuery<AccountPlan>);
  }

  private async findOneForUpdate(where: FilterQuery<AccountPlan>): Promise<AccountPlan | null> {
    // refresh: a copy already in the identity map may predate the lock; re-read it under the lock.
    const plan = await currentEntityManager(this.orm).findOne(AccountPlan, where, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
    plan?.assertInvariants();
    return plan;
  }

  async listPastDueSince(before: Date, limit: number): Promise<string[]> {
    const rows = await currentEntityManager(this.orm).execute<{ user_id: string }[]>(
      `select user_id from account_plans where status = 'past_due' and plan_tier <> 'free' and past_due_since < ? order by past_due_since limit ?`,
      [before, limit],
    );
    return rows.map((row) => row.user_id);
  }

  async listPeriodEndedBefore(before: Date, limit: number): Promise<string[]> {
    const rows = await currentEntityManager(this.orm).execute<{ user_id: string }[]>(
      `select user_id from account_plans where plan_tier <> 'free' and status in ('active', 'canceled') and current_period_end < ? order by current_period_end limit ?`,
      [before, limit],
    );
    return rows.map((row) => row.user_id);
  }

  async insertIfAbsent(plan: AccountPlan): Promise<AccountPlan> {
    plan.assertInvariants();
    const em = currentEntityManager(this.orm);
    await em.upsert(plan, undefined, { onConflictFields: ['userId'], onConflictAction: 'ignore' });
    // With the insert ignored the row belongs to whoever registered first: read it back as stored.
    const stored = await em.findOneOrFail(AccountPlan, { userId: plan.userId }, { refresh: true });
    stored.assertInvariants();
    return stored;
  }

  async save(plan: AccountPlan): Promise<void> {
    plan.assertInvariants();
    await currentEntityManager(this.orm).persist(plan).flush();
  }
}
