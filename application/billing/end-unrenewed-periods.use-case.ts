import type { AccountPlan } from '../../domain/billing/account-plan.entity.ts';
import { ProviderError } from '../../domain/shared/errors.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { IdGenerator } from '../shared/id-generator.port.ts';
import type { UnitOfWork } from '../shared/unit-of-work.port.ts';
import type { AccountPlanRepository, PeriodEndCursor } from './account-plan.repository.ts';
import type { InvoiceRepository } from './invoice.repository.ts';
import type { PaymentGateways, ProviderSubscription } from './payment-gateway.port.ts';
import type { PlanChangeRepository } from './plan-change.repository.ts';
import { recordSubscriptionPayment } from './record-invoice.service.ts';
import { recordPlanChange } from './record-plan-change.service.ts';

/** Plans read per query; a run goes through every one that is due. */
const PAGE_SIZE = 500;
/**
 * How long after a period's end a renewal may take to be confirmed before the plan is past due:
 * providers charge a renewal up to about an hour after the period ends, and an event can be late.
 */
export const RENEWAL_CONFIRMATION_MS = 24 * 60 * 60 * 1000;

/**
 * Every paid period ends. For each paid plan whose period ended a day ago or more with no renewal
 * applied, the provider is asked about the subscription first, and a renewal whose event was lost
 * is applied. A period still not renewed then goes past due from its end (EndGracePeriods moves it
 * to free once the grace period from there is over), and one whose renewal was stopped ends. A plan
 * put past due this way stays in the check, so a renewal the provider confirms late restores it.
 * A plan with no subscription at its provider (a Razorpay Payment Link) renews only by being bought
 * again. A provider that does not answer (an outage, a subscription it no longer knows) does not
 * keep a plan paid: it goes past due all the same, and is asked again on the next run.
 */
export class EndUnrenewedPeriods {
  private readonly deps: Readonly<{
    accounts: AccountPlanRepository;
    planChanges: PlanChangeRepository;
    invoices: InvoiceRepository;
    gateways: PaymentGateways;
    uow: UnitOfWork;
    ids: IdGenerator;
    clock: Clock;
    graceMs: number;
  }>;

  constructor(deps: EndUnrenewedPeriods['deps']) {
    this.deps = deps;
  }

  async execute(): Promise<{ checked: number; applied: number; lapsed: number; unanswered: number; failed: number }> {
    const { accounts, clock } = this.deps;
    const report = { checked: 0, applied: 0, lapsed: 0, unanswered: 0, failed: 0 };
    const before = new Date(clock.now().getTime() - RENEWAL_CONFIRMATION_MS);
    for (let after: PeriodEndCursor | null = null; ; ) {
      const page = await accounts.listPeriodEndedBefore(before, after, PAGE_SIZE);
      for (const { userId } of page) {
        report.checked++;
        try {
          const outcome = await this.check(userId);
          if (outcome.unanswered) report.unanswered++;
          if (outcome.changed) report[outcome.changed]++;
        } catch {
          // This account's turn failed (its transaction, a lock): the next run takes it up again.
          report.failed++;
        }
      }
      if (page.length < PAGE_SIZE) return report;
      after = page.at(-1)!;
    }
  }

  private async check(userId: string): Promise<{ unanswered: boolean; changed: 'applied' | 'lapsed' | null }> {
    const account = await this.deps.accounts.findByUserId(userId);
    if (!account) return { unanswered: false, changed: null };
    let state: ProviderSubscription | null = null;
    let unanswered = false;
    if (account.providerSubscriptionId) {
      try {
        state = await this.deps.gateways.for(account.paymentGateway).retrieveSubscription(account.providerSubscriptionId);
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        unanswered = true;
      }
    }
    return { unanswered, changed: await this.apply(userId, { updatedAt: account.updatedAt, currentPeriodEnd: account.currentPeriodEnd }, state) };
  }

  /** Applies what the provider said, unless the account changed since it was read (a webhook applied something newer): the next run reads it again. */
  private apply(userId: string, read: Pick<AccountPlan, 'updatedAt' | 'currentPeriodEnd'>, state: ProviderSubscription | null): Promise<'applied' | 'lapsed' | null> {
    const { accounts, uow, clock, graceMs } = this.deps;
    return uow.transactional(async () => {
      const account = await accounts.findByUserIdForUpdate(userId);
      if (!account || account.updatedAt.getTime() !== read.updatedAt.getTime() || account.currentPeriodEnd?.getTime() !== read.currentPeriodEnd?.getTime()) return null;
      const before = { tier: account.tier, billingInterval: account.billingInterval, status: account.status };
      const reference = account.providerSubscriptionId;
      const now = clock.now();
      // A renewal whose event was lost is recorded here, as the subscription sync would have.
      if (state !== null) await recordSubscriptionPayment(this.deps, account, state, now);
      const applied = state !== null && account.providerSubscriptionId === state.subscriptionId && account.applySubscriptionState({ ...state, now, graceMs });
      const lapsed = account.lapseUnrenewedPeriod(new Date(now.getTime() - RENEWAL_CONFIRMATION_MS));
      if (!applied && !lapsed) return null;
      await accounts.save(account);
      await recordPlanChange(this.deps, account, before, { reason: lapsed ? 'period_ended' : 'provider_event', reference, now });
      return lapsed ? 'lapsed' : 'applied';
    });
  }
}
