import { NotFoundError } from '../../domain/shared/errors.ts';
import type { AccountPlanRepository } from './account-plan.repository.ts';
import type { CheckoutSessionRepository } from './checkout-session.repository.ts';
import type { PaymentGateways } from './payment-gateway.port.ts';
import type { PlanChangeCompletion } from './plan-change-completion.service.ts';
import { findPlanChangeSession, parsePlanChangePageInput, type PlanChangePageRequest } from './plan-change-session.service.ts';
import { withSessionId } from './return-url.ts';

/**
 * The confirm button of this server's own plan change page (DescribePlanChange), for providers
 * that host none (Razorpay): makes the change through the provider's API (now for an upgrade, at
 * the period's end for a downgrade) and then settles the session from the subscription as the
 * provider holds it, exactly as verify-session would; the user goes on to the success URL with
 * `session_id`.
 */
export class ConfirmPlanChange {
  private readonly deps: Readonly<{
    sessions: CheckoutSessionRepository;
    accounts: AccountPlanRepository;
    gateways: PaymentGateways;
    completion: PlanChangeCompletion;
  }>;

  constructor(deps: ConfirmPlanChange['deps']) {
    this.deps = deps;
  }

  /** Makes the change; answers where to send the browser. */
  async execute(request: PlanChangePageRequest): Promise<{ readonly redirectTo: string }> {
    const { sessionId } = parsePlanChangePageInput(request);
    const session = await findPlanChangeSession(this.deps.sessions, sessionId);
    if (session.status === 'completed') return { redirectTo: withSessionId(session.successUrl, session.id) };
    if (session.status !== 'open') return { redirectTo: session.cancelUrl };
    const account = await this.deps.accounts.findByUserId(session.userId);
    if (!account) throw new NotFoundError(`no account for ${session.userId}`);
    const target = { tier: session.tier!, billingInterval: session.billingInterval! };
    const { subscriptionId, timing } = account.planChangeTo(target);
    await this.deps.gateways.for(account.paymentGateway).changePlan({ changeId: session.id, subscriptionId, ...target, timing, price: session.amount });
    await this.deps.completion.settle(session);
    return { redirectTo: withSessionId(session.successUrl, session.id) };
  }
}
