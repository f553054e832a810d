import { parseBillingInterval, type PaidPlanTier } from '../../domain/billing/plan.value-objects.ts';
import { PlanChange, type PlanChangeReason } from '../../domain/billing/plan-change.entity.ts';
import type { RedirectAllowList } from '../../domain/billing/redirect-allow-list.policy.ts';
import type { AccountPlan } from '../../domain/billing/account-plan.entity.ts';
import { ConflictError, InvalidInputError, NotFoundError } from '../../domain/shared/errors.ts';
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

/**
 * The steps both subscription changes share: lock the account, ask the provider first (so a
 * refusal changes nothing here), apply the change, and record it.
 */
async function changeSubscription(
  deps: SubscriptionDeps,
  userId: string,
  reason: PlanChangeReason,
  change: (account: AccountPlan, tier: PaidPlanTier, subscriptionId: string | null) => Promise<void>,
): Promise<BillingState> {
  const existing = await deps.accounts.findByUserId(userId);
  if (!existing) throw new NotFoundError('there is no billing account for this user yet');
  return deps.uow.transactional(async () => {
    const account = await deps.accounts.findByUserIdForUpdate(userId);
    if (!account || account.tier === 'free') throw new ConflictError('there is no paid subscription on this account');
    const before = { tier: account.tier, billingInterval: account.billingInterval };
    await change(account, account.tier, account.providerSubscriptionId);
    await deps.accounts.save(account);
    await deps.planChanges.append(
      PlanChange.record({
        id: deps.ids.next(),
        userId,
        reason,
        from: before,
        to: { tier: account.tier, billingInterval: account.billingInterval },
        reference: account.providerSubscriptionId,
        occurredAt: deps.clock.now(),
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
    return changeSubscription(this.deps, input.userId, 'cancel_renewal', async (account, _tier, subscriptionId) => {
      account.cancelRenewal(this.deps.clock.now());
      if (subscriptionId) await this.deps.gateways.for(account.paymentGateway).cancelSubscription(subscriptionId);
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
    return changeSubscription(this.deps, input.userId, 'interval_change', async (account, tier, subscriptionId) => {
      account.changeBillingInterval(billingInterval, this.deps.clock.now());
      if (subscriptionId) {
        const { price } = await this.pricing.quote(tier, billingInterval, account.paymentGateway);
        const gateway = this.deps.gateways.for(account.paymentGateway);
        await gateway.changeSubscriptionInterval({ subscriptionId, tier, billingInterval, price });
        // The provider bills the new interval from a cycle of its own: the old interval's end is no longer what was paid.
        account.followPeriodEnd((await gateway.retrieveSubscription(subscriptionId)).currentPeriodEnd, this.deps.clock.now());
      }
    });
  }
}
