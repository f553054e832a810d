import { describe, expect, it } from 'vitest';
import { InMemoryAccountPlanRepository } from '../../../adapters/in-memory/in-memory.account-plan.repository.ts';
import { InMemoryCheckoutSessionRepository } from '../../../adapters/in-memory/in-memory.checkout-session.repository.ts';
import { InMemoryInvoiceRepository } from '../../../adapters/in-memory/in-memory.invoice.repository.ts';
import { InMemoryPlanChangeRepository } from '../../../adapters/in-memory/in-memory.plan-change.repository.ts';
import { InMemoryUnitOfWork } from '../../../adapters/in-memory/in-memory.unit-of-work.ts';
import { EndGracePeriods } from '../../../application/billing/end-grace-periods.use-case.ts';
import { EndUnrenewedPeriods } from '../../../application/billing/end-unrenewed-periods.use-case.ts';
import type { PaymentGateways, ProviderSubscription } from '../../../application/billing/payment-gateway.port.ts';
import type { SyncCheckout } from '../../../application/billing/sync-checkout.service.ts';
import { SyncSubscription } from '../../../application/billing/sync-subscription.service.ts';
import { ProviderError } from '../../../domain/shared/errors.ts';
import { anAccountPlan, FixedClock } from '../../support/builders.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const GRACE_MS = 7 * DAY_MS;
const START = new Date('2026-11-01T00:00:00Z');
const PERIOD_END = new Date(START.getTime() + 30 * DAY_MS); // the builder's monthly period

function world(retrieve: (subscriptionId: string) => Promise<ProviderSubscription>) {
  const accounts = new InMemoryAccountPlanRepository();
  const planChanges = new InMemoryPlanChangeRepository();
  const uow = new InMemoryUnitOfWork();
  let n = 0;
  const ids = { next: () => `id_${++n}` };
  const clock = new FixedClock(START);
  const gateways = { for: () => ({ retrieveSubscription: (id: string) => retrieve(id) }) } as unknown as PaymentGateways;
  const deps = { accounts, planChanges, invoices: new InMemoryInvoiceRepository(), uow, ids, clock, gateways, graceMs: GRACE_MS };
  // No checkout is open here: the subscription sync goes straight to the account holding it.
  const sync = new SyncSubscription({ ...deps, sessions: new InMemoryCheckoutSessionRepository(), checkouts: {} as SyncCheckout });
  return { ...deps, periods: new EndUnrenewedPeriods(deps), grace: new EndGracePeriods(deps), sync };
}

const paying = (subscriptionId: string, currentPeriodEnd: Date): ProviderSubscription =>
  ({ subscriptionId, customerId: null, standing: 'paying', renews: true, plan: { tier: 'pro', billingInterval: 'monthly' }, currentPeriodEnd }) as ProviderSubscription;

describe('ending paid periods that were not renewed', () => {
  it('does not apply a state it read before a renewal a webhook applied meanwhile', async () => {
    const plan = anAccountPlan().at(START).withSubscription().build();
    const { userId } = plan;
    const subscriptionId = plan.providerSubscriptionId!;
    const renewedEnd = new Date(PERIOD_END.getTime() + 30 * DAY_MS);
    let renewed = false;
    const w = world(async (id) => {
      const stale = renewed ? paying(id, renewedEnd) : paying(id, PERIOD_END);
      if (!renewed) {
        // The provider renews (late) right after our read; its webhook is applied before our transaction.
        renewed = true;
        const prepared = await w.sync.prepare('stripe', { id });
        if (typeof prepared === 'function') await prepared();
      }
      return stale;
    });
    await w.accounts.save(plan);
    w.clock.advance(PERIOD_END.getTime() + 1.5 * DAY_MS - START.getTime());

    await w.periods.execute();

    const account = await w.accounts.findByUserId(userId);
    expect(account?.currentPeriodEnd).toEqual(renewedEnd);
    expect(account?.status).toBe('active');
  });

  it('does not let 600 accounts whose provider never answers starve a later one', async () => {
    const w = world(async (id) => {
      throw new ProviderError('stripe', 'retrieve the subscription', `No such subscription: '${id}'`);
    });
    for (let i = 0; i < 600; i++) await w.accounts.save(anAccountPlan().at(START).withSubscription(`sub_gone_${i}`).build());
    // A plan with no subscription at its provider (a Razorpay Payment Link), its period ended an hour later.
    const link = anAccountPlan().inCountry('IN').at(START).build();
    const linkUser = link.userId;
    link.activatePaidPlan({ tier: 'pro', billingInterval: 'monthly', currentPeriodEnd: new Date(PERIOD_END.getTime() + 60 * 60 * 1000), providerCustomerId: null, providerSubscriptionId: null, now: START });
    await w.accounts.save(link);
    w.clock.advance(PERIOD_END.getTime() + 2 * DAY_MS - START.getTime());

    const report = await w.periods.execute();

    expect(report).toMatchObject({ checked: 601, unanswered: 600, lapsed: 601 });
    expect((await w.accounts.findByUserId(linkUser))?.status).toBe('past_due');
  });

  it('does not end the grace period it started while the provider shows the subscription paying for a new period', async () => {
    const plan = anAccountPlan().at(START).withSubscription().build();
    const { userId } = plan;
    const subscriptionId = plan.providerSubscriptionId!;
    const renewedEnd = new Date(PERIOD_END.getTime() + 33 * DAY_MS);
    let providerRenewed = false;
    const w = world(async (id) => paying(id, providerRenewed ? renewedEnd : PERIOD_END));
    await w.accounts.save(plan);
    w.clock.advance(PERIOD_END.getTime() + 1.5 * DAY_MS - START.getTime());
    await w.periods.execute(); // not yet renewed at the provider: past due from the period's end
    providerRenewed = true; // the provider renews on day 3; its event is lost
    w.clock.advance(6 * DAY_MS);

    await w.periods.execute();
    await w.grace.execute();

    expect((await w.accounts.findByUserId(userId))?.tier).toBe('pro');
  });
});
