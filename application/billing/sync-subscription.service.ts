import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { applied, ignored, type AppliedOutcome, type PreparedSync } from '../shared/applied-outcome.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { IdGenerator } from '../shared/id-generator.port.ts';
import type { UnitOfWork } from '../shared/unit-of-work.port.ts';
import type { AccountPlanRepository } from './account-plan.repository.ts';
import type { CheckoutSessionRepository } from './checkout-session.repository.ts';
import type { InvoiceRepository } from './invoice.repository.ts';
import type { PaymentGateways, ProviderSubscription } from './payment-gateway.port.ts';
import type { PlanChangeRepository } from './plan-change.repository.ts';
import { recordSubscriptionPayment } from './record-invoice.service.ts';
import { recordPlanChange } from './record-plan-change.service.ts';
import type { SyncCheckout } from './sync-checkout.service.ts';

/**
 * A provider event about a subscription: the account holding it (linked only when a checkout we
 * opened started it) gets the subscription as the provider holds it now, and its latest payment
 * (a renewal) is recorded as an invoice once. A subscription that is itself the checkout
 * (Razorpay's, whose first charge pays the checkout) completes that checkout while it is open. An
 * event about a subscription no account holds (an old one, another user's, one made elsewhere)
 * changes nothing.
 */
export class SyncSubscription {
  private readonly deps: Readonly<{
    sessions: CheckoutSessionRepository;
    checkouts: SyncCheckout;
    accounts: AccountPlanRepository;
    planChanges: PlanChangeRepository;
    invoices: InvoiceRepository;
    gateways: PaymentGateways;
    uow: UnitOfWork;
    ids: IdGenerator;
    clock: Clock;
    graceMs: number;
  }>;

  constructor(deps: SyncSubscription['deps']) {
    this.deps = deps;
  }

  async prepare(provider: PaymentGatewayName, subject: { readonly id: string }): Promise<PreparedSync> {
    if (!(await this.deps.accounts.findBySubscriptionId(provider, subject.id))) {
      // Not yet any account's: it may be the checkout itself, awaiting its first payment (Razorpay's).
      const checkout = await this.deps.sessions.findByProviderSessionId(provider, subject.id);
      if (checkout?.status === 'open') return this.deps.checkouts.prepare(provider, { id: subject.id, hint: null });
      return ignored(`no account holds subscription ${subject.id}`);
    }
    const state = await this.deps.gateways.for(provider).retrieveSubscription(subject.id);
    return () => this.apply(provider, state);
  }

  apply(provider: PaymentGatewayName, state: ProviderSubscription): Promise<AppliedOutcome> {
    const { accounts, uow, clock, graceMs } = this.deps;
    return uow.transactional(async () => {
      const account = await accounts.findBySubscriptionIdForUpdate(provider, state.subscriptionId);
      if (!account) return ignored(`no account holds subscription ${state.subscriptionId}`);
      const before = { tier: account.tier, billingInterval: account.billingInterval, status: account.status };
      const now = clock.now();
      // Before the state is applied: an ended subscription unlinks the account, yet its last payment was taken.
      const paid = await recordSubscriptionPayment(this.deps, account, state, now);
      if (!account.applySubscriptionState({ ...state, now, graceMs })) return paid ? applied() : ignored('the account already agrees with the subscription');
      await accounts.save(account);
      await recordPlanChange(this.deps, account, before, { reason: 'provider_event', reference: state.subscriptionId, now });
      return applied();
    });
  }
}
