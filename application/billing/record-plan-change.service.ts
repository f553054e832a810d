import type { AccountPlan } from '../../domain/billing/account-plan.entity.ts';
import { PlanChange, type PlanChangeReason } from '../../domain/billing/plan-change.entity.ts';
import type { IdGenerator } from '../shared/id-generator.port.ts';
import type { PlanChangeRepository } from './plan-change.repository.ts';

/** Records the account's change of tier, interval or status since `before`, if there was one. */
export async function recordPlanChange(
  deps: { readonly planChanges: PlanChangeRepository; readonly ids: IdGenerator },
  account: AccountPlan,
  before: Pick<AccountPlan, 'tier' | 'billingInterval' | 'status'>,
  change: { readonly reason: PlanChangeReason; readonly reference: string | null; readonly now: Date },
): Promise<void> {
  if (before.tier === account.tier && before.billingInterval === account.billingInterval && before.status === account.status) return;
  await deps.planChanges.append(
    PlanChange.record({
      id: deps.ids.next(),
      userId: account.userId,
      reason: change.reason,
      from: before,
      to: { tier: account.tier, billingInterval: account.billingInterval },
      reference: change.reference,
      occurredAt: change.now,
    }),
  );
}
