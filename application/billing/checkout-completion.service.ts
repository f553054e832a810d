import type { AccountPlan } from '../../domain/billing/account-plan.entity.ts';
import type { CheckoutSession, CheckoutStatus } from '../../domain/billing/checkout-session.entity.ts';
import { DuplicateSubscription } from '../../domain/billing/duplicate-subscription.entity.ts';
import { periodEnd } from '../../domain/billing/plan-catalogue.ts';
import { PlanChange, type PlanChangeReason } from '../../domain/billing/plan-change.entity.ts';
import { ConflictError, invariant, NotFoundError, UntrustedProviderStateError } from '../../domain/shared/errors.ts';
import { depositTransfer } from '../../domain/wallet/wallet-rules.ts';
import { applied, ignored, type AppliedOutcome } from '../shared/applied-outcome.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { IdGenerator } from '../shared/id-generator.port.ts';
import type { UnitOfWork } from '../shared/unit-of-work.port.ts';
import type { WalletLedger } from '../wallet/wallet-ledger.port.ts';
import type { ProviderEventInbox } from '../webhooks/provider-event-inbox.port.ts';
import type { AccountPlanRepository } from './account-plan.repository.ts';
import type { CheckoutSessionRepository } from './checkout-session.repository.ts';
import type { DuplicateSubscriptionRepository } from './duplicate-subscription.repository.ts';
import type { InvoiceRepository } from './invoice.repository.ts';
import type { PaymentGateways, ProviderAmount, ProviderCheckout } from './payment-gateway.port.ts';
import type { PlanChangeRepository } from './plan-change.repository.ts';
import { recordPlanChange } from './record-plan-change.service.ts';
import { recordCheckoutInvoice, recordSubscriptionPayment } from './record-invoice.service.ts';

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
    duplicates: DuplicateSubscriptionRepository;
    ids: IdGenerator;
    clock: Clock;
    graceMs: number;
    /**
     * Makes the provider calls a completion decided on (a second subscription to cancel and
     * refund) for the user, outside any transaction; what it cannot do now it records, for the
     * scheduled run to finish.
     */
    settleDuplicates?: (userId: string) => Promise<unknown>;
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

  /**
   * Asks the provider about a session not completed yet and applies what it says; returns the
   * final status. One closed here is asked about too, and completes only if the provider says it
   * was paid (a payment under way when it expired, or when a newer checkout replaced it).
   */
  async settle(session: CheckoutSession): Promise<CheckoutStatus> {
    if (session.status === 'completed' || (session.status !== 'open' && !session.providerSessionId)) return session.status;
    const provider = await this.read(session);
    if (session.status !== 'open' && provider.status !== 'paid') return session.status;
    await this.apply(session.id, provider);
    if (provider.status === 'paid' && session.purpose === 'plan') await this.settleDuplicatesOf(session.userId);
    return provider.status === 'paid' ? 'completed' : provider.status;
  }

  /**
   * Runs the settlement of the user's second subscriptions decided so far (see DuplicateSubscription):
   * call it outside any transaction, once a completion has committed. It never fails its caller,
   * whose payment was applied: whatever it could not do stays recorded, and the scheduled run
   * finishes it.
   */
  async settleDuplicatesOf(userId: string): Promise<void> {
    try {
      await this.deps.settleDuplicates?.(userId);
    } catch {
      // Recorded on the settlement (or, for a database failure, left pending): the scheduled run tries again.
    }
  }

  /**
   * A newer plan checkout of the account is replacing this open one, which the provider was just
   * asked to close (`provider`: its answer). Closed at the provider, it is expired here; paid there
   * first, it completes as any payment does. Returns the session's status after.
   */
  async expireReplaced(sessionId: string, provider: ProviderCheckout): Promise<CheckoutStatus> {
    if (provider.status === 'paid') {
      // Paid as it was being closed: a provider cancelling a paid subscription as readily as an unpaid one (Razorpay) ended it with our close.
      const ended = provider.subscription?.standing === 'ended';
      await this.apply(sessionId, provider, ended ? `paid as it was being closed, and subscription ${provider.subscriptionId} was cancelled by that close, so no plan came of it: refund ${provider.paymentId ? `payment ${provider.paymentId}` : 'its payment'}` : null);
      return 'completed';
    }
    return this.deps.uow.transactional(async () => {
      const session = await this.lockTrusted(sessionId, provider);
      if (provider.status !== 'open' && session.status === 'open') {
        session.close('expired');
        await this.deps.sessions.save(session);
      }
      return session.status;
    });
  }

  private async lockTrusted(sessionId: string, provider: ProviderCheckout): Promise<CheckoutSession> {
    const session = await this.deps.sessions.findByIdForUpdate(sessionId);
    if (!session) throw new NotFoundError(`checkout session ${sessionId} does not exist`);
    if (provider.providerSessionId !== session.providerSessionId) {
      throw new UntrustedProviderStateError(`checkout ${provider.providerSessionId} is not the one opened for session ${session.id}`);
    }
    return session;
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
  apply(sessionId: string, provider: ProviderCheckout, reviewReason: string | null = null): Promise<AppliedOutcome> {
    return this.deps.uow.transactional(async () => {
      const session = await this.lockTrusted(sessionId, provider);
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
          if (reviewReason && session.status !== 'completed') session.flagForReview(reviewReason);
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
    if (!session.complete(now, provider.paymentId, session.purpose === 'plan' ? provider.subscriptionId : null)) return ignored('the session was completed before');
    let note: string | null = null;
    if (session.purpose === 'plan') note = await this.upgradePlan(session, provider, now);
    else if (session.purpose === 'renewal') await this.payRenewal(session, now);
    else await this.creditWallet(session, now);
    await this.deps.sessions.save(session);
    // The money was taken whatever the plan did with it (a second subscription flagged for review included).
    await recordCheckoutInvoice(this.deps, session, provider, now);
    // A subscription read after it renewed names that payment: it is recorded too, once, if the account holds it.
    if (session.purpose === 'plan' && provider.subscription) {
      const account = await this.deps.accounts.findByUserIdForUpdate(session.userId);
      if (account?.providerSubscriptionId === provider.subscription.subscriptionId) await recordSubscriptionPayment(this.deps, account, provider.subscription, now);
    }
    // Events about its payment or subscription that came first found nothing of ours: they are looked at again.
    for (const objectId of [provider.paymentId, provider.subscriptionId]) {
      if (objectId) await this.deps.inbox.requeueIgnoredAbout(session.gateway, objectId, now);
    }
    return applied(note ?? (session.reviewReason && `flagged for review: ${session.reviewReason}`));
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

  /**
   * The plan the checkout paid for becomes the account's. An account has at most one live
   * subscription: when it holds another one, started by another checkout of ours (two checkouts
   * were open and both were paid before the earlier could be closed at the provider), the
   * later-opened checkout stands and the earlier one's subscription is to be canceled at once and
   * its payment refunded in full. That decision is recorded here, under the account's lock, and
   * carried out by SettleDuplicateSubscriptions outside it. Returns a note for the inbox, if any.
   */
  private async upgradePlan(session: CheckoutSession, provider: ProviderCheckout, now: Date): Promise<string | null> {
    const { tier, billingInterval } = session;
    if (!tier || !billingInterval) throw new ConflictError(`plan checkout ${session.id} names no plan`);
    const account = await this.deps.accounts.findByUserIdForUpdate(session.userId);
    if (!account) throw new NotFoundError(`checkout ${session.id} belongs to user ${session.userId}, who has no account`);
    const held = account.providerSubscriptionId;
    if (held && provider.subscriptionId && held !== provider.subscriptionId && account.hasLiveSubscription()) {
      const holder = await this.deps.sessions.findBySubscriptionId(session.gateway, held);
      if (holder && holder.id !== session.id && holder.userId === session.userId) return this.settleSecondSubscription(session, provider, account, holder.id, now);
      // Linked before checkouts kept their subscription: nothing of ours says what that one cost, so a person settles it.
      session.flagForReview(`subscription ${provider.subscriptionId} replaced ${held} (${account.tier}), which no checkout of ours is known to have started and still bills: cancel or refund it`);
    }
    await this.activate(account, session, provider, now, { reason: 'checkout', reference: session.id });
    return null;
  }

  private async settleSecondSubscription(session: CheckoutSession, provider: ProviderCheckout, account: AccountPlan, holderId: string, now: Date): Promise<string> {
    // The other checkout's review reason changes too: locked like this one.
    const holder = await this.deps.sessions.findByIdForUpdate(holderId);
    invariant(holder && holder.status === 'completed', `checkout ${holderId} started the account's subscription, so it completed`);
    const thisIsLater = holder.openedBefore(session);
    const [kept, canceled] = thisIsLater ? [session, holder] : [holder, session];
    const subscriptionId = thisIsLater ? account.providerSubscriptionId! : provider.subscriptionId!;
    const paymentId = thisIsLater ? holder.providerPaymentId : provider.paymentId;
    const record = DuplicateSubscription.record({
      id: this.deps.ids.next(),
      userId: session.userId,
      gateway: session.gateway,
      keptSessionId: kept.id,
      canceledSessionId: canceled.id,
      subscriptionId,
      paymentId,
      amountMinor: canceled.amountMinor,
      currency: canceled.currency,
      now,
    });
    await this.deps.duplicates.insert(record);
    canceled.flagForReview(
      `a second subscription of the account: checkout ${kept.id}, opened later, stands; subscription ${subscriptionId} is canceled at once ` +
        `and ${paymentId ? `payment ${paymentId}` : 'its payment'} refunded in full (duplicate subscription ${record.id})`,
    );
    const change = { reason: 'duplicate_subscription' as const, reference: canceled.id };
    if (thisIsLater) {
      await this.deps.sessions.save(holder);
      await this.activate(account, session, provider, now, change);
    } else {
      await this.appendPlanChange(account, { tier: account.tier, billingInterval: account.billingInterval }, change, now);
    }
    return `a second subscription: ${subscriptionId} of checkout ${canceled.id} is to be canceled and refunded, checkout ${kept.id} stands (duplicate subscription ${record.id})`;
  }

  /** The account takes the checkout's plan and subscription, and the change is recorded. */
  private async activate(
    account: AccountPlan,
    session: CheckoutSession,
    provider: ProviderCheckout,
    now: Date,
    change: { readonly reason: PlanChangeReason; readonly reference: string },
  ): Promise<void> {
    const tier = session.tier!;
    const billingInterval = session.billingInterval!;
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
    await this.appendPlanChange(account, before, change, now);
  }

  private async appendPlanChange(
    account: AccountPlan,
    before: Pick<AccountPlan, 'tier' | 'billingInterval'>,
    change: { readonly reason: PlanChangeReason; readonly reference: string },
    now: Date,
  ): Promise<void> {
    await this.deps.planChanges.append(
      PlanChange.record({
        id: this.deps.ids.next(),
        userId: account.userId,
        reason: change.reason,
        from: before,
        to: { tier: account.tier, billingInterval: account.billingInterval },
        reference: change.reference,
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
}

function describe(amount: ProviderAmount | null): string {
  return amount ? `${amount.amountMinor} ${amount.currency} minor units` : 'no amount';
}
