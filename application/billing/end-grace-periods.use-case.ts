import { PlanChange } from '../../domain/billing/plan-change.entity.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { IdGenerator } from '../shared/id-generator.port.ts';
import type { UnitOfWork } from '../shared/unit-of-work.port.ts';
import type { AccountPlanRepository } from './account-plan.repository.ts';
import type { PlanChangeRepository } from './plan-change.repository.ts';

export const MAX_ACCOUNTS_PER_RUN = 500;

/** Moves plans whose renewal has failed for longer than the grace period to free, recording each change. */
export class EndGracePeriods {
  private readonly deps: Readonly<{
    accounts: AccountPlanRepository;
    planChanges: PlanChangeRepository;
    uow: UnitOfWork;
    ids: IdGenerator;
    clock: Clock;
    graceMs: number;
  }>;

  constructor(deps: EndGracePeriods['deps']) {
    this.deps = deps;
  }

  async execute(): Promise<{ ended: number }> {
    const { accounts, planChanges, uow, ids, clock, graceMs } = this.deps;
    const now = clock.now();
    let ended = 0;
    for (const userId of await accounts.listPastDueSince(new Date(now.getTime() - graceMs), MAX_ACCOUNTS_PER_RUN)) {
      await uow.transactional(async () => {
        const plan = await accounts.findByUserIdForUpdate(userId);
        const before = plan && { tier: plan.tier, billingInterval: plan.billingInterval };
        if (!plan || !before || !plan.endGracePeriod(now, graceMs)) return;
        await accounts.save(plan);
        await planChanges.append(
          PlanChange.record({ id: ids.next(), userId, reason: 'grace_period_ended', from: before, to: { tier: 'free', billingInterval: null }, reference: null, occurredAt: now }),
        );
        ended++;
      });
    }
    return { ended };
  }
}
