import type { CheckoutSession, CheckoutStatus } from '../../domain/billing/checkout-session.entity.ts';
import { periodEnd } from '../../domain/billing/plan-catalogue.ts';
import { PlanChange } from '../../domain/billing/plan-change.entity.ts';
import { ConflictError, invariant, NotFoundError } from '../../domain/shared/errors.ts';
import { depositTransfer } from '../../domain/wallet/wallet-rules.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { IdGenerator } from '../shared/id-generator.port.ts';
import type { UnitOfWork } from '../shared/unit-of-work.port.ts';
import type { WalletLedger } from '../wallet/wallet-ledger.port.ts';
import type { AccountPlanRepository } from './account-plan.repository.ts';
import type { CheckoutSessionRepository } from './checkout-session.repository.ts';
import type { PaymentGateways, ProviderCheckout } from './payment-gateway.port.ts';
import type { PlanChangeRepository } from './plan-change.repository.ts';

/**
 * Applies a paid checkout exactly once: a plan checkout upgrades the plan, a deposit credits the
 * wallet. Verify (plan or deposit) and the provider's webhook all end here; the session row is
 * locked for the transaction and completes only from `open`, so however many callers arrive
 * together, one applies the payment and the rest find it done.
 */
export class CheckoutCompletion {
  private readonly deps: Readonly<{
    uow: UnitOfWork;
    sessions: CheckoutSessionRepository;
    accounts: AccountPlanRepository;
    planChanges: PlanChangeRepository;
    ledger: WalletLedger;
    gateways: PaymentGateways;
    ids: IdGenerator;
    clock: Clock;
  }>;

  constructor(deps: CheckoutCompletion['deps']) {
    this.deps = deps;
  }

  /**
   * Finds the caller's session by our id or the provider's, or NOT_FOUND: another user's session
   * is answered exactly like a missing one, so ids cannot be probed.
   */
  async findOwnSession(userId: string, reference: string): Promise<CheckoutSession> {
    const session = await this.deps.sessions.findByReference(reference);
    if (!session || session.userId !== userId) throw new NotFoundError(`no checkout session ${reference}`);
    return session;
  }

  /** Asks the provider about an open session and applies what it says; returns the final status. */
  async settle(session: CheckoutSession): Promise<CheckoutStatus> {
    if (session.status !== 'open') return session.status;
    if (!session.providerSessionId) throw new ConflictError('this checkout was never opened at the provider; start a new one');
    const provider = await this.deps.gateways.for(session.gateway).retrieveCheckout(session.providerSessionId);
    if (provider.status === 'paid') {
      await this.complete(session.id, provider);
      return 'completed';
    }
    if (provider.status === 'open') return 'open';
    await this.closeCheckout(session.id, provider.status);
    return provider.status;
  }

  /** Returns true when this call applied the payment, false when an earlier one had. */
  complete(sessionId: string, paid: ProviderCheckout): Promise<boolean> {
    invariant(paid.status === 'paid', 'only a paid checkout completes');
    return this.deps.uow.transactional(async () => {
      const session = await this.deps.sessions.findByIdForUpdate(sessionId);
      if (!session) throw new NotFoundError(`checkout session ${sessionId} does not exist`);
      const now = this.deps.clock.now();
      if (!session.complete(now, paid.paymentId)) return false;
      await this.deps.sessions.save(session);
      if (session.purpose === 'plan') await this.upgradePlan(session, paid, now);
      else await this.creditWallet(session, now);
      return true;
    });
  }

  private async upgradePlan(session: CheckoutSession, paid: ProviderCheckout, now: Date): Promise<void> {
    invariant(session.tier && session.billingInterval, 'a plan checkout names its tier and interval');
    const account = await this.deps.accounts.findByUserIdForUpdate(session.userId);
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
    await this.deps.accounts.save(account);
    await this.deps.planChanges.append(
      PlanChange.record({
        id: this.deps.ids.next(),
        userId: account.userId,
        reason: 'checkout',
        from: before,
        to: { tier: account.tier, billingInterval: account.billingInterval },
        reference: session.id,
        occurredAt: now,
      }),
    );
  }

  private async creditWallet(session: CheckoutSession, now: Date): Promise<void> {
    await this.deps.ledger.post(
      depositTransfer({
        transferId: this.deps.ids.next(),
        userId: session.userId,
        provider: session.gateway,
        credit: session.usdAmount,
        checkoutSessionId: session.id,
        fx: session.fx,
        now,
      }),
    );
  }

  /** Records that the provider will never take this payment. */
  closeCheckout(sessionId: string, status: 'expired' | 'canceled'): Promise<void> {
    return this.deps.uow.transactional(async () => {
      const session = await this.deps.sessions.findByIdForUpdate(sessionId);
      if (!session) return;
      session.close(status);
      await this.deps.sessions.save(session);
    });
  }
}
