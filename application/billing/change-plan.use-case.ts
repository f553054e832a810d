import { parsePaidTier } from '../../domain/billing/plan-catalogue.ts';
import { parseBillingInterval, type PaidPlan } from '../../domain/billing/plan.value-objects.ts';
import { NotFoundError } from '../../domain/shared/errors.ts';
import type { IdGenerator } from '../shared/id-generator.port.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { AccountPlanRepository } from './account-plan.repository.ts';
import { toBillingState, type BillingState } from './billing-state.view.ts';
import type { PaymentGateways } from './payment-gateway.port.ts';
import type { PlanChangeCompletion } from './plan-change-completion.service.ts';
import type { PlanPricing } from './plan-pricing.service.ts';

/** `changePlan` as the edge received it. */
export interface ChangePlanRequest {
  readonly userId: string;
  readonly tier: unknown;
  readonly billingInterval: unknown;
}

export interface ChangePlanInput {
  readonly userId: string;
  readonly target: PaidPlan;
}

export function parseChangePlanInput(request: ChangePlanRequest): ChangePlanInput {
  const tier = parsePaidTier(request.tier, 'tier');
  const billingInterval = parseBillingInterval(request.billingInterval, 'billingInterval');
  return { userId: request.userId, target: { tier, billingInterval } };
}

/**
 * Moves the caller's running subscription to another tier or interval directly through the
 * provider's API, with no page to confirm on: an upgrade now, the provider charging the prorated
 * difference; a downgrade at the end of the paid period. The provider is called before any lock is
 * taken, so a refusal changes nothing here; what it then holds is applied as PlanChangeCompletion
 * applies a confirmed change.
 */
export class ChangePlan {
  private readonly deps: Readonly<{
    accounts: AccountPlanRepository;
    gateways: PaymentGateways;
    pricing: PlanPricing;
    completion: PlanChangeCompletion;
    ids: IdGenerator;
    clock: Clock;
  }>;

  constructor(deps: ChangePlan['deps']) {
    this.deps = deps;
  }

  async execute(request: ChangePlanRequest): Promise<BillingState> {
    const { userId, target } = parseChangePlanInput(request);
    const account = await this.deps.accounts.findByUserId(userId);
    if (!account) throw new NotFoundError('there is no billing account for this user yet');
    const { subscriptionId, timing } = account.planChangeTo(target);
    const quote = await this.deps.pricing.quote(target.tier, target.billingInterval, account.paymentGateway);
    const changeId = this.deps.ids.next();
    const state = await this.deps.gateways.for(account.paymentGateway).changePlan({ changeId, subscriptionId, ...target, timing, price: quote.price });
    return this.deps.completion.withFreshState(
      userId,
      async (locked, current) => {
        await this.deps.completion.apply(locked, current, { timing, target, reference: subscriptionId, now: this.deps.clock.now() });
        return toBillingState(locked);
      },
      { state, read: account },
    );
  }
}
