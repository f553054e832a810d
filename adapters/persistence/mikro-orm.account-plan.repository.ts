import { LockMode, raw, type FilterQuery, type MikroORM } from '@mikro-orm/postgresql';
import type { AccountPlanRepository, PeriodEndCursor } from '../../application/billing/account-plan.repository.ts';
import { AccountPlan } from '../../domain/billing/account-plan.entity.ts';
import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { checkedAfterLoad } from './checked-after-load.ts';
import { currentEntityManager } from './current-entity-manager.ts';

/** Every AccountPlan this repository hands out passes here. */
const restored = (plan: AccountPlan): AccountPlan => checkedAfterLoad('AccountPlan', plan.userId, plan);

export class MikroOrmAccountPlanRepository implements AccountPlanRepository {
  private readonly orm: MikroORM;

  constructor(orm: MikroORM) {
    this.orm = orm;
  }

  async findByUserId(userId: string): Promise<AccountPlan | null> {
    const plan = await currentEntityManager(this.orm).findOne(AccountPlan, { userId });
    return plan && restored(plan);
  }

  findByUserIdForUpdate(userId: string): Promise<AccountPlan | null> {
    return this.findOneForUpdate({ userId });
  }

  async findBySubscriptionId(gateway: PaymentGatewayName, subscriptionId: string): Promise<AccountPlan | null> {
    const plan = await currentEntityManager(this.orm).findOne(AccountPlan, { paymentGateway: gateway, _providerSubscriptionId: subscriptionId } as FilterQuery<AccountPlan>);
    return plan && restored(plan);
  }

  findBySubscriptionIdForUpdate(gateway: PaymentGatewayName, subscriptionId: string): Promise<AccountPlan | null> {
    return this.findOneForUpdate({ paymentGateway: gateway, _providerSubscriptionId: subscriptionId } as FilterQuery<AccountPlan>);
  }

  private async findOneForUpdate(where: FilterQuery<AccountPlan>): Promise<AccountPlan | null> {
    // refresh: a copy already in the identity map may predate the lock; re-read it under the lock.
    const plan = await currentEntityManager(this.orm).findOne(AccountPlan, where, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
    return plan && restored(plan);
  }

  async listPastDueSince(before: Date, limit: number): Promise<string[]> {
    // Only the ids are read: each plan is loaded whole, under its lock, by the caller that acts on it.
    const plans = await currentEntityManager(this.orm).find(
      AccountPlan,
      { _status: 'past_due', _tier: { $ne: 'free' }, _pastDueSince: { $lt: before } } as FilterQuery<AccountPlan>,
      { orderBy: { _pastDueSince: 'asc' } as never, limit, fields: ['userId'] },
    );
    return plans.map((plan) => plan.userId);
  }

  async listPeriodEndedBefore(before: Date, after: PeriodEndCursor | null, limit: number): Promise<PeriodEndCursor[]> {
    const conditions: object[] = [
      { _tier: { $ne: 'free' }, _currentPeriodEnd: { $lt: before } },
      {
        $or: [
          { _status: { $in: ['active', 'canceled'] } },
          // A past-due plan whose renewal never came (rather than one failing within its grace period).
          { _status: 'past_due', _providerSubscriptionId: { $ne: null }, [raw((alias: string) => `${alias}.past_due_since = ${alias}.current_period_end`)]: [] },
        ],
      },
      // A row comparison: the next page starts after the cursor, plans ending at the same time ordered by user.
      { [raw((alias: string) => `(${alias}.current_period_end, ${alias}.user_id) > (?, ?)`, [after?.periodEnd ?? new Date(0), after?.userId ?? ''])]: [] },
    ];
    const plans = await currentEntityManager(this.orm).find(AccountPlan, { $and: conditions } as FilterQuery<AccountPlan>, {
      orderBy: { _currentPeriodEnd: 'asc', userId: 'asc' } as never,
      limit,
      fields: ['userId', '_currentPeriodEnd'] as never,
    });
    return plans.map((plan) => ({ userId: plan.userId, periodEnd: plan.currentPeriodEnd! }));
  }

  async insertIfAbsent(plan: AccountPlan): Promise<AccountPlan> {
    plan.assertInvariants();
    const em = currentEntityManager(this.orm);
    await em.upsert(plan, undefined, { onConflictFields: ['userId'], onConflictAction: 'ignore' });
    // With the insert ignored the row belongs to whoever registered first: read it back as stored.
    return restored(await em.findOneOrFail(AccountPlan, { userId: plan.userId }, { refresh: true }));
  }

  async save(plan: AccountPlan): Promise<void> {
    plan.assertInvariants();
    await currentEntityManager(this.orm).persist(plan).flush();
  }
}
