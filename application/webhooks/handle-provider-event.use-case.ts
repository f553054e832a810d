import { PlanChange } from '../../domain/billing/plan-change.entity.ts';
import type { AccountPlan } from '../../domain/billing/account-plan.entity.ts';
import type { AccountPlanRepository, SubscriptionHolder } from '../billing/account-plan.repository.ts';
import type { CheckoutCompletion } from '../billing/checkout-completion.ts';
import type { CheckoutSessionRepository } from '../billing/checkout-session.repository.ts';
import type { PlanChangeRepository } from '../billing/plan-change.repository.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { IdGenerator } from '../shared/id-generator.port.ts';
import type { UnitOfWork } from '../shared/unit-of-work.port.ts';
import { depositReversalTransfer } from '../../domain/wallet/wallet-rules.ts';
import type { PayoutMovements } from '../payouts/payouts.use-cases.ts';
import type { WalletLedger } from '../wallet/wallet-ledger.port.ts';
import type { ProviderEvent, WebhookOutcome } from './provider-event.ts';
import type { WebhookEventRepository } from './webhook-event.repository.ts';

export type HandledEvent = WebhookOutcome | 'duplicate';

/** The account a subscription event is for, when it is one. */
function subscriptionHolder(event: ProviderEvent): SubscriptionHolder | null {
  const { effect } = event;
  if (effect.kind === 'subscription_changed') return { gateway: event.provider, subscriptionId: effect.subscriptionId, userId: effect.userId };
  if (effect.kind === 'subscription_ended') return { gateway: event.provider, subscriptionId: effect.subscriptionId, userId: null };
  return null;
}

/**
 * Applies a verified provider event exactly once: the event is recorded by (provider, event id)
 * in the same transaction as its effect, so a redelivery, or the same event at two server
 * processes at once, changes nothing. Checkout completions go through the same completion as
 * verify-session, so a payment seen by both takes effect once.
 */
export class HandleProviderEvent {
  private readonly deps: {
    uow: UnitOfWork;
    ledger: WalletLedger;
    events: WebhookEventRepository;
    sessions: CheckoutSessionRepository;
    accounts: AccountPlanRepository;
    planChanges: PlanChangeRepository;
    completion: CheckoutCompletion;
    payoutMovements: PayoutMovements;
    ids: IdGenerator;
    clock: Clock;
  };

  constructor(deps: HandleProviderEvent['deps']) {
    this.deps = deps;
  }

  async execute(event: ProviderEvent): Promise<HandledEvent> {
    const { uow, events, accounts, clock } = this.deps;
    // An event that changes nothing here is only recorded, without a transaction: one of no effect
    // for us, or about a subscription no account holds (made outside this service). The holder
    // is looked for again once the event's key is taken, so a racing delivery of the same event
    // that saw the account and rolled back is not answered for by a stale look.
    const holder = subscriptionHolder(event);
    if (event.effect.kind === 'none' || (holder && !(await accounts.existsForSubscription(holder)))) {
      const recorded = await events.recordAlone(event, 'ignored', clock.now(), holder ?? undefined);
      if (recorded !== 'held') return recorded === 'recorded' ? 'ignored' : 'duplicate';
    }
    return uow.transactional(async () => {
      if (!(await events.recordOnce(event, 'applied', clock.now()))) return 'duplicate';
      const outcome = await this.apply(event);
      if (outcome !== 'applied') await events.setOutcome(event, outcome);
      return outcome;
    });
  }

  /** Applies the event's effect inside the caller's unit of work; for replays of recorded events. */
  async apply(event: ProviderEvent): Promise<WebhookOutcome> {
    const { effect } = event;
    const { sessions, completion } = this.deps;
    switch (effect.kind) {
      case 'checkout_paid': {
        const reference = effect.checkout.sessionId ?? effect.checkout.providerSessionId;
        const session = await sessions.findByReference(reference);
        if (!session) return 'ignored';
        return (await completion.complete(session.id, effect.checkout)) ? 'applied' : 'ignored';
      }
      case 'checkout_closed': {
        const session = await sessions.findByReference(effect.reference);
        if (!session || session.status !== 'open') return 'ignored';
        await completion.closeCheckout(session.id, effect.status);
        return 'applied';
      }
      case 'subscription_changed':
        return this.changePlan(event, effect.subscriptionId, effect.userId, (plan, now) =>
          plan.applyProviderSubscription({ ...effect, occurredAt: event.occurredAt, now }),
        );
      case 'subscription_ended':
        return this.changePlan(event, effect.subscriptionId, null, (plan, now) =>
          plan.endSubscription({ occurredAt: event.occurredAt, now }),
        );
      case 'payment_reversal':
        return this.reverseDeposit(event, effect);
      case 'payout_account_changed':
        return (await this.deps.payoutMovements.applyAccountState(event.provider, effect.account)) ? 'applied' : 'ignored';
      case 'payout_transfer_changed':
        return (await this.deps.payoutMovements.applyTransferEvent(event.provider, effect)) ? 'applied' : 'ignored';
      case 'none':
        return 'ignored';
    }
  }

  /**
   * A refunded or disputed deposit is taken back from the wallet by a compensating transfer; the
   * wallet may go below zero only here, and is then flagged. Refunds of plan payments change
   * nothing here: the provider's subscription events carry what happens to the plan.
   */
  private async reverseDeposit(event: ProviderEvent, effect: Extract<ProviderEvent['effect'], { kind: 'payment_reversal' }>): Promise<WebhookOutcome> {
    const { sessions, ledger, ids, clock } = this.deps;
    const session = await sessions.findByPaymentIdForUpdate(event.provider, effect.paymentId);
    if (!session || session.purpose !== 'deposit') return 'ignored';
    const takenBackCents = session.recordReversal(effect);
    if (takenBackCents === 0) return 'ignored';
    await sessions.save(session);
    await ledger.post(
      depositReversalTransfer({
        transferId: ids.next(),
        userId: session.userId,
        provider: session.gateway,
        takenBackCents,
        checkoutSessionId: session.id,
        reason: `${event.type} (${event.eventId})`,
        now: clock.now(),
      }),
      { allowNegativeWallet: true },
    );
    return 'applied';
  }

  private async changePlan(
    event: ProviderEvent,
    subscriptionId: string,
    userId: string | null,
    change: (plan: AccountPlan, now: Date) => boolean,
  ): Promise<WebhookOutcome> {
    const { accounts, planChanges, ids, clock } = this.deps;
    const plan =
      (await accounts.findBySubscriptionIdForUpdate(event.provider, subscriptionId)) ??
      (userId ? await accounts.findByUserIdForUpdate(userId) : null);
    if (!plan || plan.paymentGateway !== event.provider) return 'ignored';
    const before = { tier: plan.tier, billingInterval: plan.billingInterval, status: plan.status };
    const now = clock.now();
    if (!change(plan, now)) return 'stale';
    await accounts.save(plan);
    if (before.tier !== plan.tier || before.billingInterval !== plan.billingInterval || before.status !== plan.status) {
      await planChanges.append(
        PlanChange.record({
          id: ids.next(),
          userId: plan.userId,
          reason: 'provider_event',
          from: before,
          to: { tier: plan.tier, billingInterval: plan.billingInterval },
          reference: event.eventId,
          occurredAt: now,
        }),
      );
    }
    return 'applied';
  }
}
