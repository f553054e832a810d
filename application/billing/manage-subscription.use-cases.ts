import { parseBillingInterval } from '../../domain/billing/plan.value-objects.ts';
import { PlanChange, type PlanChangeReason } from '../../domain/billing/plan-change.entity.ts';
import type { RedirectAllowList } from '../../domain/billing/redirect-allow-list.policy.ts';
import type { AccountPlan } from '../../domain/billing/account-plan.entity.ts';
import { ConflictError, NotFoundError } from '../../domain/shared/errors.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { IdGenerator } from '../shared/id-generator.port.ts';
import type { SignupSignals } from '../shared/requester.ts';
import type { UnitOfWork } from '../shared/unit-of-work.port.ts';
import type { AccountOpener } from './account-opener.service.ts';
import type { AccountPlanRepository } from './account-plan.repository.ts';
import { toBillingState, type BillingState } from './billing-state.view.ts';
import type { PaymentGateways } from './payment-gateway.port.ts';
import type { PlanChangeRepository } from './plan-change.repository.ts';
import type { PlanPricing } from './plan-pricing.ts';

export interface SubscriptionDeps {
  readonly opener: AccountOpener;
  readonly accounts: AccountPlanRepository;
  readonly planChanges: PlanChangeRepository;
  readonly gateways: PaymentGateways;
  readonly uow: UnitOfWork;
  readonly ids: IdGenerator;
  readonly clock: Clock;
}

/** This server's own billing page, by a signed link (OwnBillingPortal). */
export interface OwnPortalLinks {
  linkFor(userId: string, returnUrl: URL): Promise<string>;
}

/**
 * Opens the self-service billing page: the provider's where it hosts one (Stripe's Customer
 * Portal), else this server's own (Razorpay), by a short-lived signed link.
 */
export class CreatePortalSession {
  private readonly deps: SubscriptionDeps;
  private readonly redirects: RedirectAllowList;
  private readonly ownPortal: OwnPortalLinks;

  constructor(deps: SubscriptionDeps, redirects: RedirectAllowList, ownPortal: OwnPortalLinks) {
    this.deps = deps;
    this.redirects = redirects;
    this.ownPortal = ownPortal;
  }

  async execute(input: { userId: string; signals: SignupSignals; returnUrl: unknown }): Promise<{ url: string }> {
    const returnUrl = this.redirects.check(input.returnUrl, 'return_url');
    const account = await this.deps.opener.open(input.userId, input.signals);
    const gateway = this.deps.gateways.for(account.paymentGateway);
    if (!gateway.hostsCustomerPortal) return { url: await this.ownPortal.linkFor(account.userId, returnUrl) };
    if (!account.providerCustomerId) {
      throw new ConflictError('there is no billing customer for this account yet: subscribe to a plan first');
    }
    return gateway.createPortalSession({ customerId: account.providerCustomerId, returnUrl });
  }
}

/** One change of a running subscription, in the steps changeSubscription takes. */
interface SubscriptionChange<Answer> {
  readonly reason: PlanChangeReason;
  /** Refuses a change the account does not allow, changing nothing; answers the subscription to change at the provider (null: it has none). */
  check(account: AccountPlan): string | null;
  /** Makes the change at the provider, outside any lock. Sets a state there, so asking again changes nothing more. */
  callProvider(account: AccountPlan, subscriptionId: string): Promise<Answer>;
  /** Makes the change on the locked account, with what the provider answered (null when it was not asked). */
  apply(account: AccountPlan, answer: Answer | null, now: Date): void;
}

/**
 * The steps both subscription changes share. The account is read and the change checked without a
 * lock; the provider is asked next, outside any transaction (its calls retry for seconds, and a
 * refusal then changes nothing here); only then is the account locked, and the change applied and
 * recorded if the account is still as it was read. One that moved meanwhile (a provider event, a
 * second request) answers CONFLICT with nothing written here: the provider's change stands, asking
 * again is harmless, and the subscription's own event brings the account in line with it.
 */
async function changeSubscription<Answer>(deps: SubscriptionDeps, userId: string, change: SubscriptionChange<Answer>): Promise<BillingState> {
  const read = await deps.accounts.findByUserId(userId);
  if (!read) throw new NotFoundError('there is no billing account for this user yet');
  if (read.tier === 'free') throw new ConflictError('there is no paid subscription on this account');
  const subscriptionId = change.check(read);
  const answer = subscriptionId ? await change.callProvider(read, subscriptionId) : null;
  return deps.uow.transactional(async () => {
    const account = await deps.accounts.findByUserIdForUpdate(userId);
    if (!account || account.updatedAt.getTime() !== read.updatedAt.getTime()) {
      throw new ConflictError('the plan changed while the provider was being asked: nothing was changed here; read the plan and try again');
    }
    const before = { tier: account.tier, billingInterval: account.billingInterval };
    const now = deps.clock.now();
    change.apply(account, answer, now);
    await deps.accounts.save(account);
    await deps.planChanges.append(
      PlanChange.record({
        id: deps.ids.next(),
        userId,
        reason: change.reason,
        from: before,
        to: { tier: account.tier, billingInterval: account.billingInterval },
        reference: account.providerSubscriptionId,
        occurredAt: now,
      }),
    );
    return toBillingState(account);
  });
}

/** Stops renewal; the plan stays until the paid period ends. Works for every gateway. */
export class CancelSubscription {
  private readonly deps: SubscriptionDeps;

  constructor(deps: SubscriptionDeps) {
    this.deps = deps;
  }

  execute(input: { userId: string }): Promise<BillingState> {
    return changeSubscription(this.deps, input.userId, {
      reason: 'cancel_renewal',
      check: (account) => account.renewalCancellation().subscriptionId,
      callProvider: (account, subscriptionId) => this.deps.gateways.for(account.paymentGateway).cancelSubscription(subscriptionId),
      apply: (account, _answer, now) => account.cancelRenewal(now),
    });
  }
}

/** Switches the running subscription between monthly and yearly billing. */
export class ChangeBillingInterval {
  private readonly deps: SubscriptionDeps;
  private readonly pricing: PlanPricing;

  constructor(deps: SubscriptionDeps, pricing: PlanPricing) {
    this.deps = deps;
    this.pricing = pricing;
  }

  execute(input: { userId: string; billingInterval: unknown }): Promise<BillingState> {
    const billingInterval = parseBillingInterval(input.billingInterval, 'billing_interval');
    return changeSubscription(this.deps, input.userId, {
      reason: 'interval_change',
      check: (account) => account.billingIntervalChangeTo(billingInterval).subscriptionId,
      callProvider: async (account, subscriptionId) => {
        const { tier } = account.billingIntervalChangeTo(billingInterval);
        const { price } = await this.pricing.quote(tier, billingInterval, account.paymentGateway);
        const gateway = this.deps.gateways.for(account.paymentGateway);
        await gateway.changeSubscriptionInterval({ subscriptionId, tier, billingInterval, price });
        return (await gateway.retrieveSubscription(subscriptionId)).currentPeriodEnd;
      },
      apply: (account, currentPeriodEnd, now) => {
        account.changeBillingInterval(billingInterval, now);
        // The provider bills the new interval from a cycle of its own: the old interval's end is no longer what was paid.
        account.followPeriodEnd(currentPeriodEnd, now);
      },
    });
  }
}
