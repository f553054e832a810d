import { PAID_TIERS } from '../../domain/billing/plan-catalogue.ts';
import { PlanChange } from '../../domain/billing/plan-change.entity.ts';
import { parseBillingInterval, parseOneOf, type PaidPlan } from '../../domain/billing/plan.value-objects.ts';
import { InvalidInputError, NotFoundError } from '../../domain/shared/errors.ts';
import { parseIdentifier, parseReason } from '../../domain/shared/text.ts';
import type { AccountPlanRepository } from '../billing/account-plan.repository.ts';
import { toBillingState, type BillingState } from '../billing/billing-state.view.ts';
import type { PlanChangeRepository } from '../billing/plan-change.repository.ts';
import { requireRole } from '../shared/authorization.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { IdGenerator } from '../shared/id-generator.port.ts';
import type { Requester } from '../shared/requester.ts';
import type { UnitOfWork } from '../shared/unit-of-work.port.ts';

/** The furthest ahead a plan set by hand may end: a grant runs out, like every paid period. */
export const MAX_GRANT_YEARS = 5;

/** `adjustPlan` as the edge received it. */
export interface AdjustPlanRequest {
  readonly requester: Requester;
  readonly userId: unknown;
  readonly tier: unknown;
  readonly billingInterval: unknown;
  readonly until: unknown;
  readonly reason: unknown;
}

export interface AdjustPlanInput {
  readonly requester: Requester;
  readonly userId: string;
  readonly plan: PaidPlan;
  readonly until: Date;
  readonly reason: string;
}

/** `until` must come after `now`, by at most MAX_GRANT_YEARS. */
export function parseAdjustPlanInput(request: AdjustPlanRequest, now: Date): AdjustPlanInput {
  const userId = parseIdentifier(request.userId, 'user_id');
  const plan: PaidPlan = { tier: parseOneOf(PAID_TIERS, request.tier, 'tier'), billingInterval: parseBillingInterval(request.billingInterval) };
  const until = parseUntil(request.until, now);
  const reason = parseReason(request.reason, 'the plan is set by hand');
  return { requester: request.requester, userId, plan, until, reason };
}

/**
 * Admin `adjustPlan`: a complimentary or corrected plan until a set time (AccountPlan.grantPlan),
 * recorded in the plan's history with the admin's id and reason. Refused (CONFLICT) while the
 * account is linked to a provider subscription, so that no provider ever bills for one plan while
 * another is served. The same call again changes and records nothing.
 */
export class AdjustPlan {
  private readonly deps: Readonly<{ accounts: AccountPlanRepository; planChanges: PlanChangeRepository; uow: UnitOfWork; ids: IdGenerator; clock: Clock }>;

  constructor(deps: AdjustPlan['deps']) {
    this.deps = deps;
  }

  async execute(request: AdjustPlanRequest): Promise<BillingState> {
    requireRole(request.requester, 'admin');
    const now = this.deps.clock.now();
    const { requester, userId, plan, until, reason } = parseAdjustPlanInput(request, now);
    return this.deps.uow.transactional(async () => {
      const account = await this.deps.accounts.findByUserIdForUpdate(userId);
      if (!account) throw new NotFoundError(`user ${userId} has no billing account: it opens when they first use billing`);
      const before = { tier: account.tier, billingInterval: account.billingInterval };
      if (account.grantPlan({ plan, until, now })) {
        await this.deps.accounts.save(account);
        await this.deps.planChanges.append(
          PlanChange.record({
            id: this.deps.ids.next(),
            userId,
            reason: 'admin',
            from: before,
            to: plan,
            reference: null,
            occurredAt: now,
            admin: { actorId: requester.userId, note: reason, periodEnd: until },
          }),
        );
      }
      return toBillingState(account);
    });
  }
}

function parseUntil(raw: unknown, now: Date): Date {
  const latest = new Date(now);
  latest.setUTCFullYear(latest.getUTCFullYear() + MAX_GRANT_YEARS);
  if (!(raw instanceof Date) || Number.isNaN(raw.getTime()) || raw <= now || raw > latest) {
    throw new InvalidInputError('until', `until must be a time in the future, at most ${MAX_GRANT_YEARS} years ahead (${latest.toISOString()})`);
  }
  return raw;
}
