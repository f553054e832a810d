import type { CheckoutSession } from '../../domain/billing/checkout-session.entity.ts';
import { planChangeTiming } from '../../domain/billing/plan-change.policy.ts';
import { ConflictError, NotFoundError } from '../../domain/shared/errors.ts';
import type { AccountPlanRepository } from './account-plan.repository.ts';
import type { CheckoutSessionRepository } from './checkout-session.repository.ts';
import { withSessionId } from './return-url.ts';
import type { PaymentGateways } from './payment-gateway.port.ts';
import type { PlanChangeCompletion } from './plan-change-completion.service.ts';
import { parseSessionReference } from './verify-checkout-session.use-case.ts';

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
 * Confirming makes the change through the provider's API (now for an upgrade, at the period's end
 * for a downgrade) and then settles the session from the subscription as the provider holds it,
 * exactly as verify-session would; the user goes on to the success URL with `session_id`.
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

  /** The change the page shows. */
  async describe(input: { readonly sessionId: unknown }): Promise<PlanChangeToConfirm> {
    const session = await this.openSession(input.sessionId);
    const account = await this.deps.accounts.findByUserId(session.userId);
    if (!account || account.tier === 'free' || !account.billingInterval) throw new ConflictError('there is no running subscription to change any more');
    return {
      session,
      from: { tier: account.tier, billingInterval: account.billingInterval },
      timing: planChangeTiming({ tier: account.tier, billingInterval: account.billingInterval }, { tier: session.tier!, billingInterval: session.billingInterval! }),
      currentPeriodEnd: account.currentPeriodEnd,
    };
  }

  /** Makes the change; answers where to send the browser. */
  async confirm(input: { readonly sessionId: unknown }): Promise<{ readonly redirectTo: string }> {
    const session = await this.findSession(input.sessionId);
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

  /** The user kept their plan: the session closes and they go back to the cancel URL. */
  async decline(input: { readonly sessionId: unknown }): Promise<{ readonly redirectTo: string }> {
    const session = await this.findSession(input.sessionId);
    if (session.status === 'open') {
      session.close('canceled');
      await this.deps.sessions.save(session);
    }
    return { redirectTo: session.status === 'completed' ? withSessionId(session.successUrl, session.id) : session.cancelUrl };
  }

  private async openSession(raw: unknown): Promise<CheckoutSession> {
    const session = await this.findSession(raw);
    if (session.status !== 'open') throw new ConflictError(`this plan change was ${session.status} already`);
    return session;
  }

  private async findSession(raw: unknown): Promise<CheckoutSession> {
    const sessionId = parseSessionReference(raw);
    const session = await this.deps.sessions.findByReference(sessionId);
    if (!session || session.id !== sessionId || session.purpose !== 'plan_change') throw new NotFoundError(`no plan change ${sessionId}`);
    return session;
  }
}
