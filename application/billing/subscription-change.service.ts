import { PlanChange, type PlanChangeReason } from '../../domain/billing/plan-change.entity.ts';
import type { AccountPlan } from '../../domain/billing/account-plan.entity.ts';
import { ConflictError, NotFoundError } from '../../domain/shared/errors.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { IdGenerator } from '../shared/id-generator.port.ts';
import type { UnitOfWork } from '../shared/unit-of-work.port.ts';
import type { AccountPlanRepository } from './account-plan.repository.ts';
import { toBillingState, type BillingState } from './billing-state.view.ts';
import type { PlanChangeRepository } from './plan-change.repository.ts';

/** What a change of a running subscription reads, locks and records. */
export interface SubscriptionChangeDeps {
  readonly accounts: AccountPlanRepository;
  readonly planChanges: PlanChangeRepository;
  readonly uow: UnitOfWork;
  readonly ids: IdGenerator;
  readonly clock: Clock;
}

/** One change of a running subscription, in the steps changeSubscription takes. */
export interface SubscriptionChange<Answer> {
  readonly reason: PlanChangeReason;
  /** Refuses a change the account does not allow, changing nothing; answers the subscription to change at the provider (null: it has none). */
  check(account: AccountPlan): string | null;
  /** Makes the change at the provider, outside any lock. Sets a state there, so asking again changes nothing more. */
  callProvider(account: AccountPlan, subscriptionId: string): Promise<Answer>;
  /** Makes the change on the locked account, with what the provider answered (null when it was not asked). */
  apply(account: AccountPlan, answer: Answer | null, now: Date): void;
}

/**
 * The steps both subscription changes share. The account is read and the change checked without a
 * lock; the provider is asked next, outside any transaction (its calls retry for seconds, and a
 * refusal then changes nothing here); only then is the account locked, and the change applied and
 * recorded if the account is still as it was read. One that moved meanwhile (a provider event, a
 * second request) answers CONFLICT with nothing written here: the provider's change stands, asking
 * again is harmless, and the subscription's own event brings the account in line with it.
 */
export async function changeSubscription<Answer>(deps: SubscriptionChangeDeps, userId: string, change: SubscriptionChange<Answer>): Promise<BillingState> {
  const read = await deps.accounts.findByUserId(userId);
  if (!read) throw new NotFoundError('there is no billing account for this user yet');
  if (read.tier === 'free') throw new ConflictError('there is no paid subscription on this account');
  const subscriptionId = change.check(read);
  const answer = subscriptionId ? await change.callProvider(read, subscriptionId) : null;
  return deps.uow.transactional(async () => {
    const account = await deps.accounts.findByUserIdForUpdate(userId);
    if (!account || account.updatedAt.getTime() !== read.updatedAt.getTime()) {
      throw new ConflictError('the plan changed while the provider was being asked: nothing was changed here; read the plan and try again');
    }
    const before = { tier: account.tier, billingInterval: account.billingInterval };
    const now = deps.clock.now();
    change.apply(account, answer, now);
    await deps.accounts.save(account);
    await deps.planChanges.append(
      PlanChange.record({
        id: deps.ids.next(),
        userId,
        reason: change.reason,
        from: before,
        to: { tier: account.tier, billingInterval: account.billingInterval },
        reference: account.providerSubscriptionId,
        occurredAt: now,
      }),
    );
    return toBillingState(account);
  });
}

