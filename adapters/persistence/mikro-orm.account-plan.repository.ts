import { LockMode, type FilterQuery, type MikroORM } from '@mikro-orm/postgresql';
import type { AccountPlanRepository, PeriodEndCursor } from '../../application/billing/account-plan.repository.ts';
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

  async listPeriodEndedBefore(before: Date, after: PeriodEndCursor | null, limit: number): Promise<PeriodEndCursor[]> {
    const rows = await currentEntityManager(this.orm).execute<{ user_id: string; current_period_end: Date | string }[]>(
      `select user_id, current_period_end from account_plans
       where plan_tier <> 'free' and current_period_end < ?
         and (status in ('active', 'canceled') or (status = 'past_due' and provider_subscription_id is not null and past_due_since = current_period_end))
         and (current_period_end, user_id) > (?, ?)
       order by current_period_end, user_id limit ?`,
      [before, after?.periodEnd ?? new Date(0), after?.userId ?? '', limit],
    );
    return rows.map((row) => ({ userId: row.user_id, periodEnd: new Date(row.current_period_end) }));
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
