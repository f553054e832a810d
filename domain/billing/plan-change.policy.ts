import { ConflictError } from '../shared/errors.ts';
import { PAID_TIERS } from './plan-catalogue.ts';
import type { PaidPlan } from './plan.value-objects.ts';

/** When a change of a running subscription to another plan takes effect. */
export const PLAN_CHANGE_TIMINGS = ['now', 'period_end'] as const;
export type PlanChangeTiming = (typeof PLAN_CHANGE_TIMINGS)[number];

/**
 * The one rule for changing a running plan. An upgrade takes effect now, the provider charging the
 * prorated difference: a higher tier (in catalogue order), or the same tier billed yearly instead of
 * monthly. A downgrade takes effect at the end of the period already paid for: a lower tier, or the
 * same tier billed monthly instead of yearly. The tier decides before the interval, so business
 * monthly to pro yearly is a downgrade and pro yearly to business monthly an upgrade. The same plan
 * is no change at all and is refused.
 */
export function planChangeTiming(from: PaidPlan, to: PaidPlan): PlanChangeTiming {
  const tierStep = PAID_TIERS.indexOf(to.tier) - PAID_TIERS.indexOf(from.tier);
  if (tierStep > 0) return 'now';
  if (tierStep < 0) return 'period_end';
  if (from.billingInterval === to.billingInterval) {
    throw new ConflictError(`the subscription is on ${from.tier} ${from.billingInterval} already: there is nothing to change`);
  }
  return to.billingInterval === 'yearly' ? 'now' : 'period_end';
}

export function isSamePlan(a: PaidPlan | null | undefined, b: PaidPlan | null | undefined): boolean {
  return !!a && !!b && a.tier === b.tier && a.billingInterval === b.billingInterval;
}
