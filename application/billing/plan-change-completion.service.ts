import type { AccountPlan } from '../../domain/billing/account-plan.entity.ts';
import type { CheckoutSession, CheckoutStatus } from '../../domain/billing/checkout-session.entity.ts';
import { isSamePlan, type PlanChangeTiming } from '../../domain/billing/plan-change.policy.ts';
import { PlanChange } from '../../domain/billing/plan-change.entity.ts';
import type { PaidPlan } from '../../domain/billing/plan.value-objects.ts';
import { ConflictError, NotFoundError } from '../../domain/shared/errors.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { IdGenerator } from '../shared/id-generator.port.ts';
import type { UnitOfWork } from '../shared/unit-of-work.port.ts';
import type { AccountPlanRepository } from './account-plan.repository.ts';
import type { CheckoutSessionRepository } from './checkout-session.repository.ts';
import type { PaymentGateways, ProviderSubscription } from './payment-gateway.port.ts';
import type { PlanChangeRepository } from './plan-change.repository.ts';
import { recordPlanChange } from './record-plan-change.service.ts';

/** How many times the provider is read again when the account changed between the read and its lock. */
export const MAX_STALE_READS = 3;
/**
 * How long a plan change waits to be confirmed: the reconciliation then closes one the provider
 * still shows unmade (the provider's own page has long expired), so abandoned changes do not keep
 * being asked about, and crowding out real checkouts, for the whole reconciliation window.
 */
export const PLAN_CHANGE_CONFIRMATION_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * Applies a change of a running subscription to another plan, as the provider reports it: the
 * subscription on the new plan now (an upgrade), or with the new plan scheduled for the end of the
 * period (a downgrade). The provider is read outside any lock; the account is then locked and the
 * state applied only if the account did not change since it was read (a webhook may have applied
 * something newer meanwhile), else the provider is read again. Every change is in `plan_changes`.
 */
export class PlanChangeCompletion {
  private readonly deps: Readonly<{
    uow: UnitOfWork;
    sessions: CheckoutSessionRepository;
    accounts: AccountPlanRepository;
    planChanges: PlanChangeRepository;
    gateways: PaymentGateways;
    ids: IdGenerator;
    clock: Clock;
    graceMs: number;
  }>;

  constructor(deps: PlanChangeCompletion['deps']) {
    this.deps = deps;
  }

  /**
   * A plan change session the subscriber was sent to confirm: completes it, once, when the
   * provider's subscription shows the change made or scheduled, and applies that to the account.
   * Returns the final status; `open` while the provider shows no such change (nothing is written).
   */
  async settle(session: CheckoutSession): Promise<CheckoutStatus> {
    return (await this.verify(session, { expireUnconfirmed: true })).status;
  }

  /**
   * The same, answering as well the account as it stands once the session is settled (null when
   * nothing was read): read under the lock, it is newer than any copy the caller read before.
   */
  async verify(session: CheckoutSession, options: { readonly expireUnconfirmed?: boolean } = {}): Promise<{ readonly status: CheckoutStatus; readonly account: AccountPlan | null }> {
    if (session.status !== 'open') return { status: session.status, account: null };
    return this.withFreshState(session.userId, async (account, state) => {
      const locked = await this.deps.sessions.findByIdForUpdate(session.id);
      if (!locked) throw new NotFoundError(`checkout session ${session.id} does not exist`);
      if (locked.status !== 'open') return { status: locked.status, account };
      const target: PaidPlan = { tier: locked.tier!, billingInterval: locked.billingInterval! };
      const timing: PlanChangeTiming | null = isSamePlan(state.plan, target) ? 'now' : isSamePlan(state.scheduledChange?.plan, target) ? 'period_end' : null;
      const now = this.deps.clock.now();
      if (!timing) {
        if (!options.expireUnconfirmed || now.getTime() - locked.createdAt.getTime() < PLAN_CHANGE_CONFIRMATION_WINDOW_MS) return { status: 'open', account };
        locked.close('expired');
        await this.deps.sessions.save(locked);
        return { status: 'expired', account };
      }
      await this.apply(account, state, { timing, target, reference: locked.id, now });
      locked.complete(now);
      await this.deps.sessions.save(locked);
      return { status: 'completed', account };
    });
  }

  /**
   * Reads the account, then the provider's state of its subscription (`first`, when the caller has
   * just had it from the provider), then locks the account and hands both to `work`, unless the
   * account changed since it was read: then both are read again, up to MAX_STALE_READS times.
   */
  async withFreshState<T>(
    userId: string,
    work: (account: AccountPlan, state: ProviderSubscription) => Promise<T>,
    first?: { readonly state: ProviderSubscription; readonly read: AccountPlan },
  ): Promise<T> {
    let read = first?.read ?? null;
    let state = first?.state ?? null;
    for (let attempt = 0; attempt < MAX_STALE_READS; attempt++) {
      if (!read || !state) {
        read = await this.deps.accounts.findByUserId(userId);
        if (!read?.providerSubscriptionId) throw new ConflictError('the account holds no subscription at its provider any more: nothing was changed');
        state = await this.deps.gateways.for(read.paymentGateway).retrieveSubscription(read.providerSubscriptionId);
      }
      const readAt = read.updatedAt.getTime();
      const outcome = await this.deps.uow.transactional(async () => {
        const account = await this.deps.accounts.findByUserIdForUpdate(userId);
        if (!account || account.providerSubscriptionId !== state!.subscriptionId) {
          throw new ConflictError(`the account no longer holds subscription ${state!.subscriptionId}: nothing was changed`);
        }
        if (account.updatedAt.getTime() !== readAt) return { stale: true as const };
        return { stale: false as const, value: await work(account, state!) };
      });
      if (!outcome.stale) return outcome.value;
      read = null;
      state = null;
    }
    throw new ConflictError('the plan kept changing while it was being read: nothing was changed; try again');
  }

  /**
   * Applies the provider's state to the locked account and records the change: a change made now
   * as it moved the account (reason plan_change), a change scheduled for the period's end as what
   * it will become and when (plan_change_scheduled).
   */
  async apply(
    account: AccountPlan,
    state: ProviderSubscription,
    change: { readonly timing: PlanChangeTiming; readonly target: PaidPlan; readonly reference: string; readonly now: Date },
  ): Promise<void> {
    const { accounts, planChanges, ids, graceMs } = this.deps;
    const before = { tier: account.tier, billingInterval: account.billingInterval, status: account.status };
    account.applySubscriptionState({ ...state, now: change.now, graceMs });
    await accounts.save(account);
    if (change.timing === 'now') {
      await recordPlanChange(this.deps, account, before, { reason: 'plan_change', reference: change.reference, now: change.now });
      return;
    }
    await planChanges.append(
      PlanChange.record({
        id: ids.next(),
        userId: account.userId,
        reason: 'plan_change_scheduled',
        from: before,
        to: change.target,
        reference: change.reference,
        occurredAt: change.now,
      }),
    );
  }
}
