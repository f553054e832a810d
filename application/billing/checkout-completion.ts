import type { AccountPlan } from '../../domain/billing/account-plan.entity.ts';
import type { CheckoutSession, CheckoutStatus } from '../../domain/billing/checkout-session.entity.ts';
import { PAID_TIERS, periodEnd } from '../../domain/billing/plan-catalogue.ts';
import type { PaidPlanTier } from '../../domain/billing/plan.value-objects.ts';
import { PlanChange } from '../../domain/billing/plan-change.entity.ts';
import { ConflictError, NotFoundError, UntrustedProviderStateError } from '../../domain/shared/errors.ts';
import { depositTransfer } from '../../domain/wallet/wallet-rules.ts';
import { applied, ignored, type AppliedOutcome } from '../shared/applied-outcome.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { IdGenerator } from '../shared/id-generator.port.ts';
import type { UnitOfWork } from '../shared/unit-of-work.port.ts';
import type { WalletLedger } from '../wallet/wallet-ledger.port.ts';
import type { ProviderEventInbox } from '../webhooks/provider-event-inbox.port.ts';
import type { AccountPlanRepository } from './account-plan.repository.ts';
import type { CheckoutSessionRepository } from './checkout-session.repository.ts';
import type { InvoiceRepository } from './invoice.repository.ts';
import type { PaymentGateways, ProviderAmount, ProviderCheckout } from './payment-gateway.port.ts';
import type { PlanChangeRepository } from './plan-change.repository.ts';
import { recordPlanChange } from './record-plan-change.ts';
import { recordCheckoutInvoice, recordSubscriptionPayment } from './record-invoice.ts';

/**
 * Applies what the provider says about a checkout we opened, exactly once: a plan checkout paid
 * upgrades the plan, a deposit paid credits the wallet. Verify (plan or deposit), reconciliation
 * and the workers applying provider events all end here; the session row is locked for the unit of
 * work and completes only once, so however many callers arrive together, one applies the payment
 * and the rest find it done.
 *
 * Only the provider's state of the checkout we stored is trusted, and only for the amount and
 * currency we asked for: anything else is refused (UntrustedProviderStateError) with nothing applied.
 */
export class CheckoutCompletion {
  private readonly deps: Readonly<{
    uow: UnitOfWork;
    sessions: CheckoutSessionRepository;
    accounts: AccountPlanRepository;
    planChanges: PlanChangeRepository;
    invoices: InvoiceRepository;
    ledger: WalletLedger;
    gateways: PaymentGateways;
    inbox: Pick<ProviderEventInbox, 'requeueIgnoredAbout'>;
    ids: IdGenerator;
    clock: Clock;
    graceMs: number;
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
    const provider = await this.read(session);
    await this.apply(session.id, provider);
    return provider.status === 'paid' ? 'completed' : provider.status;
  }

  /** The provider's state of the checkout we opened as this session. */
  read(session: CheckoutSession): Promise<ProviderCheckout> {
    // A plan change is confirmed through its subscription (PlanChangeCompletion), never as a hosted checkout.
    if (session.purpose === 'plan_change') throw new ConflictError(`checkout session ${session.id} is a plan change, not a checkout`);
    if (!session.providerSessionId) throw new ConflictError('this checkout was never opened at the provider; start a new one');
    return this.deps.gateways.for(session.gateway).retrieveCheckout(session.providerSessionId);
  }

  /**
   * Applies the provider's state of the session's checkout, in the caller's unit of work or one of
   * its own. A payment completes the session once (even one closed here: the money was taken, so it
   * still counts, flagged for review); a checkout the provider closed closes an open session.
   */
  apply(sessionId: string, provider: ProviderCheckout): Promise<AppliedOutcome> {
    return this.deps.uow.transactional(async () => {
      const session = await this.deps.sessions.findByIdForUpdate(sessionId);
      if (!session) throw new NotFoundError(`checkout session ${sessionId} does not exist`);
      if (provider.providerSessionId !== session.providerSessionId) {
        throw new UntrustedProviderStateError(`checkout ${provider.providerSessionId} is not the one opened for session ${session.id}`);
      }
      switch (provider.status) {
        case 'open':
          return ignored('the checkout is not paid yet');
        case 'expired':
        case 'canceled':
          if (session.status !== 'open') return ignored(`the session is ${session.status} already`);
          session.close(provider.status);
          await this.deps.sessions.save(session);
          return applied();
        case 'paid':
          return this.complete(session, provider);
      }
    });
  }

  private async complete(session: CheckoutSession, provider: ProviderCheckout): Promise<AppliedOutcome> {
    if (!provider.amount || provider.amount.amountMinor !== session.amountMinor || provider.amount.currency !== session.currency) {
      throw new UntrustedProviderStateError(
        `the provider reports ${describe(provider.amount)} paid for checkout session ${session.id}, which asked for ${session.amountMinor} ${session.currency} minor units: nothing was applied`,
      );
    }
    const now = this.deps.clock.now();
    if (!session.complete(now, provider.paymentId)) return ignored('the session was completed before');
    let account: AccountPlan | null = null;
    if (session.purpose === 'plan') account = await this.upgradePlan(session, provider, now);
    else if (session.purpose === 'renewal') await this.payRenewal(session, now);
    else await this.creditWallet(session, now);
    await this.deps.sessions.save(session);
    // The money was taken whatever the plan did with it (a second subscription flagged for review included).
    await recordCheckoutInvoice(this.deps, session, provider, now);
    // A subscription read after it renewed names that payment: it is recorded too, once.
    if (account && provider.subscription) await recordSubscriptionPayment(this.deps, account, provider.subscription, now);
    // Events about its payment or subscription that came first found nothing of ours: they are looked at again.
    for (const objectId of [provider.paymentId, provider.subscriptionId]) {
      if (objectId) await this.deps.inbox.requeueIgnoredAbout(session.gateway, objectId, now);
    }
    return applied(session.reviewReason && `flagged for review: ${session.reviewReason}`);
  }

  /**
   * A one-time payment of the next period of a past-due plan: the plan runs one more period. A
   * payment for a plan the account has left meanwhile is not applied; a person settles it.
   */
  private async payRenewal(session: CheckoutSession, now: Date): Promise<void> {
    const account = await this.deps.accounts.findByUserIdForUpdate(session.userId);
    if (!account) throw new NotFoundError(`checkout ${session.id} belongs to user ${session.userId}, who has no account`);
    const before = { tier: account.tier, billingInterval: account.billingInterval, status: account.status };
    if (!account.payRenewal({ tier: session.tier!, billingInterval: session.billingInterval!, now })) {
      session.flagForReview(`a period of ${session.tier} (${session.billingInterval}) was paid, but the account is on ${account.tier} now: refund it or apply it`);
      return;
    }
    await this.deps.accounts.save(account);
    await recordPlanChange(this.deps, account, before, { reason: 'renewal_payment', reference: session.id, now });
  }

  /** Returns the account when it now holds the checkout's subscription (or has no other), null when the session was flagged instead. */
  private async upgradePlan(session: CheckoutSession, provider: ProviderCheckout, now: Date): Promise<AccountPlan | null> {
    const { tier, billingInterval } = session;
    if (!tier || !billingInterval) throw new ConflictError(`plan checkout ${session.id} names no plan`);
    const account = await this.deps.accounts.findByUserIdForUpdate(session.userId);
    if (!account) throw new NotFoundError(`checkout ${session.id} belongs to user ${session.userId}, who has no account`);
    const held = account.providerSubscriptionId;
    if (held && provider.subscriptionId && held !== provider.subscriptionId && account.hasLiveSubscription()) {
      // Two subscriptions paid (two checkouts open at once): the account keeps the better plan, and a person settles the other.
      if (PAID_TIERS.indexOf(tier) <= PAID_TIERS.indexOf(account.tier as PaidPlanTier)) {
        session.flagForReview(`the account already pays for ${account.tier} through subscription ${held}: subscription ${provider.subscriptionId} is a second one, to cancel or refund`);
        return null;
      }
      session.flagForReview(`subscription ${provider.subscriptionId} replaced ${held} (${account.tier}), which still bills: cancel or refund it`);
    }
    const before = { tier: account.tier, billingInterval: account.billingInterval };
    account.activatePaidPlan({
      tier,
      billingInterval,
      currentPeriodEnd: provider.currentPeriodEnd ?? periodEnd(now, billingInterval),
      providerCustomerId: provider.customerId,
      providerSubscriptionId: provider.subscriptionId,
      now,
    });
    // The subscription as the provider holds it now: it may already have moved on from the checkout.
    if (provider.subscription && provider.subscription.subscriptionId === account.providerSubscriptionId) {
      account.applySubscriptionState({ ...provider.subscription, plan: provider.subscription.plan ?? { tier, billingInterval }, now, graceMs: this.deps.graceMs });
    }
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
    return account;
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
}

function describe(amount: ProviderAmount | null): string {
  return amount ? `${amount.amountMinor} ${amount.currency} minor units` : 'no amount';
}
