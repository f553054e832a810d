import type { CheckoutSession } from '../../domain/billing/checkout-session.entity.ts';
import { planChangeTiming } from '../../domain/billing/plan-change.policy.ts';
import { ConflictError } from '../../domain/shared/errors.ts';
import type { AccountPlanRepository } from './account-plan.repository.ts';
import type { CheckoutSessionRepository } from './checkout-session.repository.ts';
import { findPlanChangeSession, parsePlanChangePageInput, type PlanChangePageRequest } from './plan-change-session.service.ts';

/** What this server's plan change page shows: the change it confirms. */
export interface PlanChangeToConfirm {
  readonly session: CheckoutSession;
  readonly from: { readonly tier: string; readonly billingInterval: string | null };
  readonly timing: 'now' | 'period_end';
  readonly currentPeriodEnd: Date | null;
}

/**
 * This server's own page confirming a change of plan, for providers that host none (Razorpay):
 * the browser reaches it by our plan change session's id alone, as it would the provider's page.
 * It shows the change, from the plan the account is on, and when it takes effect; the page's
 * buttons confirm it (ConfirmPlanChange) or keep the plan (DeclinePlanChange).
 */
export class DescribePlanChange {
  private readonly deps: Readonly<{ sessions: CheckoutSessionRepository; accounts: AccountPlanRepository }>;

  constructor(deps: DescribePlanChange['deps']) {
    this.deps = deps;
  }

  async execute(request: PlanChangePageRequest): Promise<PlanChangeToConfirm> {
    const { sessionId } = parsePlanChangePageInput(request);
    const session = await findPlanChangeSession(this.deps.sessions, sessionId);
    if (session.status !== 'open') throw new ConflictError(`this plan change was ${session.status} already`);
    const account = await this.deps.accounts.findByUserId(session.userId);
    if (!account || account.tier === 'free' || !account.billingInterval) throw new ConflictError('there is no running subscription to change any more');
    return {
      session,
      from: { tier: account.tier, billingInterval: account.billingInterval },
      timing: planChangeTiming({ tier: account.tier, billingInterval: account.billingInterval }, { tier: session.tier!, billingInterval: session.billingInterval! }),
      currentPeriodEnd: account.currentPeriodEnd,
    };
  }
}
