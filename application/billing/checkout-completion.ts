import { periodEnd } from '../../domain/billing/plan-catalogue.ts';
import { PlanChange } from '../../domain/billing/plan-change.entity.ts';
import { invariant, NotFoundError } from '../../domain/shared/errors.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { IdGenerator } from '../shared/id-generator.port.ts';
import type { UnitOfWork } from '../shared/unit-of-work.port.ts';
import type { AccountPlanRepository } from './account-plan.repository.ts';
import type { CheckoutSessionRepository } from './checkout-session.repository.ts';
import type { ProviderCheckout } from './payment-gateway.port.ts';
import type { PlanChangeRepository } from './plan-change.repository.ts';

/**
 * Applies a paid plan checkout exactly once. Verify-session and the provider's webhook both end
 * here; the session row is locked for the transaction and completes only from `open`, so however
 * many callers arrive together, one upgrades the plan and the rest find it done.
 */
export class CheckoutCompletion {
  private readonly uow: UnitOfWork;
  private readonly sessions: CheckoutSessionRepository;
  private readonly accounts: AccountPlanRepository;
  private readonly planChanges: PlanChangeRepository;
  private readonly ids: IdGenerator;
  private readonly clock: Clock;

  constructor(deps: {
    uow: UnitOfWork;
    sessions: CheckoutSessionRepository;
    accounts: AccountPlanRepository;
    planChanges: PlanChangeRepository;
    ids: IdGenerator;
    clock: Clock;
  }) {
    this.uow = deps.uow;
    this.sessions = deps.sessions;
    this.accounts = deps.accounts;
    this.planChanges = deps.planChanges;
    this.ids = deps.ids;
    this.clock = deps.clock;
  }

  /** Returns true when this call applied the payment, false when an earlier one had. */
  completePlanCheckout(sessionId: string, paid: ProviderCheckout): Promise<boolean> {
    invariant(paid.status === 'paid', 'only a paid checkout completes');
    return this.uow.transactional(async () => {
      const session = await this.sessions.findByIdForUpdate(sessionId);
      if (!session) throw new NotFoundError(`checkout session ${sessionId} does not exist`);
      invariant(session.purpose === 'plan' && session.tier && session.billingInterval, 'not a plan checkout');
      const now = this.clock.now();
      if (!session.complete(now)) return false;

      const account = await this.accounts.findByUserIdForUpdate(session.userId);
      invariant(account, `checkout ${session.id} belongs to user ${session.userId}, who has no account`);
      const before = { tier: account.tier, billingInterval: account.billingInterval };
      account.activatePaidPlan({
        tier: session.tier,
        billingInterval: session.billingInterval,
        currentPeriodEnd: paid.currentPeriodEnd ?? periodEnd(now, session.billingInterval),
        providerCustomerId: paid.customerId,
        providerSubscriptionId: paid.subscriptionId,
        now,
      });
      await this.sessions.save(session);
      await this.accounts.save(account);
      await this.planChanges.append(
        PlanChange.record({
          id: this.ids.next(),
          userId: account.userId,
          reason: 'checkout',
          from: before,
          to: { tier: account.tier, billingInterval: account.billingInterval },
          reference: session.id,
          occurredAt: now,
        }),
      );
      return true;
    });
  }

  /** Records that the provider will never take this payment. */
  closeCheckout(sessionId: string, status: 'expired' | 'canceled'): Promise<void> {
    return this.uow.transactional(async () => {
      const session = await this.sessions.findByIdForUpdate(sessionId);
      if (!session) return;
      session.close(status);
      await this.sessions.save(session);
    });
  }
}
