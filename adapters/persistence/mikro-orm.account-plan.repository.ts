import { LockMode, type FilterQuery, type MikroORM } from '@mikro-orm/postgresql';
import type { AccountPlanRepository, SubscriptionHolder } from '../../application/billing/account-plan.repository.ts';
import { AccountPlan } from '../../domain/billing/account-plan.entity.ts';
import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { pooledQuery } from './bound-query.ts';
import { currentEntityManager } from './current-entity-manager.ts';
import { GroupCommit } from './group-commit.ts';

/** Subscription look-ups that arrive together go in one statement (GroupCommit), up to this many. */
const MAX_LOOKUPS_PER_BATCH = 64;
const LOOKUP_BATCHES_IN_FLIGHT = 2;

export class MikroOrmAccountPlanRepository implements AccountPlanRepository {
  private readonly orm: MikroORM;
  private readonly subscriptionLookups: GroupCommit<SubscriptionHolder, boolean>;

  constructor(orm: MikroORM) {
    this.orm = orm;
    this.subscriptionLookups = new GroupCommit({
      send: (batch) => this.lookUpSubscriptions(batch),
      maxBatch: MAX_LOOKUPS_PER_BATCH,
      maxInFlight: LOOKUP_BATCHES_IN_FLIGHT,
    });
  }

  async findByUserId(userId: string): Promise<AccountPlan | null> {
    const plan = await currentEntityManager(this.orm).findOne(AccountPlan, { userId });
    plan?.assertInvariants();
    return plan;
  }

  findByUserIdForUpdate(userId: string): Promise<AccountPlan | null> {
    return this.findOneForUpdate({ userId });
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

  existsForSubscription(holder: SubscriptionHolder): Promise<boolean> {
    return this.subscriptionLookups.submit(holder);
  }

  /** One statement answers every look-up that arrived together, in order. */
  private async lookUpSubscriptions(batch: readonly SubscriptionHolder[]): Promise<boolean[]> {
    const rows = await pooledQuery<{ found: boolean }>(
      this.orm,
      `select exists (select 1 from account_plans a where a.payment_gateway = q.gateway and a.provider_subscription_id = q.subscription_id)
           or exists (select 1 from account_plans a where a.user_id = q.user_id) as found
       from unnest($1::text[], $2::text[], $3::text[]) with ordinality as q (gateway, subscription_id, user_id, position)
       order by q.position`,
      [batch.map((lookup) => lookup.gateway), batch.map((lookup) => lookup.subscriptionId), batch.map((lookup) => lookup.userId)],
    );
    return rows.map((row) => row.found);
  }

  async listPastDueSince(before: Date, limit: number): Promise<string[]> {
    const rows = await currentEntityManager(this.orm).execute<{ user_id: string }[]>(
      `select user_id from account_plans where status = 'past_due' and past_due_since < ? order by past_due_since limit ?`,
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
