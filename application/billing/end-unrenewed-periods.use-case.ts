import type { AccountPlan } from '../../domain/billing/account-plan.entity.ts';
import { PlanChange } from '../../domain/billing/plan-change.entity.ts';
import type { SubscriptionState } from '../../domain/billing/plan.value-objects.ts';
import { ProviderError } from '../../domain/shared/errors.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { IdGenerator } from '../shared/id-generator.port.ts';
import type { UnitOfWork } from '../shared/unit-of-work.port.ts';
import type { AccountPlanRepository } from './account-plan.repository.ts';
import type { PaymentGateways } from './payment-gateway.port.ts';
import type { PlanChangeRepository } from './plan-change.repository.ts';

export const MAX_PERIODS_PER_RUN = 500;
/**
 * How long after a period's end a renewal may take to be confirmed before the plan is past due:
 * providers charge a renewal up to about an hour after the period ends, and an event can be late.
 */
export const RENEWAL_CONFIRMATION_MS = 24 * 60 * 60 * 1000;

/**
 * Every paid period ends. For each paid plan whose period ended a day ago or more with no renewal
 * applied, the provider is asked about the subscription first (a renewal whose event was lost is
 * found and applied here); a period still not renewed then goes past due from its end (its grace
 * period counted from there, after which EndGracePeriods moves it to free), and one whose renewal
 * was stopped ends. A plan with no subscription at its provider (a Razorpay Payment Link) renews
 * only by being bought again. A provider that does not answer leaves the account for the next run.
 */
export class EndUnrenewedPeriods {
  private readonly deps: Readonly<{
    accounts: AccountPlanRepository;
    planChanges: PlanChangeRepository;
    gateways: PaymentGateways;
    uow: UnitOfWork;
    ids: IdGenerator;
    clock: Clock;
    graceMs: number;
  }>;

  constructor(deps: EndUnrenewedPeriods['deps']) {
    this.deps = deps;
  }

  async execute(): Promise<{ checked: number; renewed: number; lapsed: number; unanswered: number }> {
    const { accounts, clock } = this.deps;
    const report = { checked: 0, renewed: 0, lapsed: 0, unanswered: 0 };
    for (const userId of await accounts.listPeriodEndedBefore(new Date(clock.now().getTime() - RENEWAL_CONFIRMATION_MS), MAX_PERIODS_PER_RUN)) {
      report.checked++;
      const account = await accounts.findByUserId(userId);
      let state: SubscriptionState | null = null;
      if (account?.providerSubscriptionId) {
        try {
          state = await this.deps.gateways.for(account.paymentGateway).retrieveSubscription(account.providerSubscriptionId);
        } catch (error) {
          if (!(error instanceof ProviderError)) throw error;
          report.unanswered++;
          continue;
        }
      }
      const outcome = await this.apply(userId, state);
      if (outcome) report[outcome]++;
    }
    return report;
  }

  private apply(userId: string, state: SubscriptionState | null): Promise<'renewed' | 'lapsed' | null> {
    const { accounts, uow, clock, graceMs } = this.deps;
    return uow.transactional(async () => {
      const account = await accounts.findByUserIdForUpdate(userId);
      if (!account) return null;
      const before = { tier: account.tier, billingInterval: account.billingInterval, status: account.status };
      const now = clock.now();
      const linked = state !== null && account.providerSubscriptionId === state.subscriptionId;
      const applied = linked && account.applySubscriptionState({ ...state, now, graceMs });
      const lapsed = account.lapseUnrenewedPeriod(new Date(now.getTime() - RENEWAL_CONFIRMATION_MS));
      if (!applied && !lapsed) return null;
      await accounts.save(account);
      await this.recordChange(account, before, now, lapsed ? 'period_ended' : 'provider_event');
      return lapsed ? 'lapsed' : 'renewed';
    });
  }

  private async recordChange(account: AccountPlan, before: Pick<AccountPlan, 'tier' | 'billingInterval' | 'status'>, now: Date, reason: 'period_ended' | 'provider_event'): Promise<void> {
    if (before.tier === account.tier && before.billingInterval === account.billingInterval && before.status === account.status) return;
    await this.deps.planChanges.append(
      PlanChange.record({
        id: this.deps.ids.next(),
        userId: account.userId,
        reason,
        from: before,
        to: { tier: account.tier, billingInterval: account.billingInterval },
        reference: null,
        occurredAt: now,
      }),
    );
  }
}
