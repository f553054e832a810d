import { describe, expect, it } from 'vitest';
import { AccountPlan } from '../../../domain/billing/account-plan.entity.ts';
import { CheckoutSession } from '../../../domain/billing/checkout-session.entity.ts';
import { Country } from '../../../domain/billing/country.value-object.ts';
import { planPriceUsd } from '../../../domain/billing/plan-catalogue.ts';
import { planChangeTiming } from '../../../domain/billing/plan-change.policy.ts';
import type { BillingInterval, PaidPlan, PaidPlanTier, ScheduledPlanChange, SubscriptionStanding } from '../../../domain/billing/plan.value-objects.ts';
import { ConflictError, InvariantViolation } from '../../../domain/shared/errors.ts';

const plan = (tier: PaidPlanTier, billingInterval: BillingInterval): PaidPlan => ({ tier, billingInterval });
const PAID_AT = new Date('2026-11-22T09:00:00Z');
const PERIOD_END = new Date('2026-12-22T09:00:00Z');
const GRACE_MS = 7 * 24 * 60 * 60 * 1000;

describe('the rule for changing a running plan', () => {
  it.each([
    ['starter', 'monthly', 'pro', 'monthly', 'now'],
    ['pro', 'monthly', 'business', 'monthly', 'now'],
    ['starter', 'yearly', 'business', 'yearly', 'now'],
    ['pro', 'monthly', 'pro', 'yearly', 'now'],
    ['business', 'monthly', 'pro', 'monthly', 'period_end'],
    ['pro', 'yearly', 'starter', 'yearly', 'period_end'],
    ['pro', 'yearly', 'pro', 'monthly', 'period_end'],
    // The tier decides before the interval.
    ['pro', 'yearly', 'business', 'monthly', 'now'],
    ['business', 'monthly', 'pro', 'yearly', 'period_end'],
  ] as const)('moves %s %s to %s %s %s', (fromTier, fromInterval, toTier, toInterval, timing) => {
    expect(planChangeTiming(plan(fromTier, fromInterval), plan(toTier, toInterval))).toBe(timing);
  });

  it('takes every change to a higher tier, or to yearly on the same tier, now, and every other change at the period end', () => {
    const tiers = ['starter', 'pro', 'business'] as const;
    const intervals = ['monthly', 'yearly'] as const;
    for (const [fromRank, fromTier] of tiers.entries()) {
      for (const [toRank, toTier] of tiers.entries()) {
        for (const fromInterval of intervals) {
          for (const toInterval of intervals) {
            if (fromTier === toTier && fromInterval === toInterval) continue;
            const upgrade = toRank > fromRank || (toRank === fromRank && toInterval === 'yearly');
            expect(planChangeTiming(plan(fromTier, fromInterval), plan(toTier, toInterval)), `${fromTier} ${fromInterval} → ${toTier} ${toInterval}`).toBe(upgrade ? 'now' : 'period_end');
          }
        }
      }
    }
  });

  it('refuses the plan the subscription is on already as no change', () => {
    expect(() => planChangeTiming(plan('pro', 'yearly'), plan('pro', 'yearly'))).toThrow(ConflictError);
    expect(() => planChangeTiming(plan('pro', 'yearly'), plan('pro', 'yearly'))).toThrow(/nothing to change/);
  });
});

function anAccount(): AccountPlan {
  return AccountPlan.register({ userId: 'user-1', country: Country.parse('US'), now: new Date('2026-11-01T00:00:00Z') });
}

function aSubscriber(tier: PaidPlanTier = 'business', billingInterval: BillingInterval = 'monthly', subscriptionId: string | null = 'sub_1'): AccountPlan {
  const account = anAccount();
  account.activatePaidPlan({ tier, billingInterval, currentPeriodEnd: PERIOD_END, providerCustomerId: 'cus_1', providerSubscriptionId: subscriptionId, now: PAID_AT });
  return account;
}

function applySubscription(account: AccountPlan, state: { plan?: PaidPlan; scheduledChange?: ScheduledPlanChange | null; standing?: SubscriptionStanding; now?: Date }): boolean {
  return account.applySubscriptionState({
    subscriptionId: 'sub_1',
    customerId: 'cus_1',
    standing: state.standing ?? 'paying',
    renews: true,
    plan: state.plan ?? plan('business', 'monthly'),
    currentPeriodEnd: PERIOD_END,
    ...(state.scheduledChange === undefined ? {} : { scheduledChange: state.scheduledChange }),
    now: state.now ?? new Date('2026-11-25T00:00:00Z'),
    graceMs: GRACE_MS,
  });
}

describe('an account changing plan', () => {
  it('names the subscription to change and when the change takes effect', () => {
    expect(aSubscriber('pro', 'monthly').planChangeTo(plan('business', 'monthly'))).toEqual({ subscriptionId: 'sub_1', timing: 'now' });
    expect(aSubscriber('business', 'monthly').planChangeTo(plan('pro', 'monthly'))).toEqual({ subscriptionId: 'sub_1', timing: 'period_end' });
  });

  it.each([
    ['a free account', () => anAccount(), /no paid subscription/],
    ['a plan whose renewal was stopped', () => {
      const account = aSubscriber();
      account.cancelRenewal(new Date('2026-11-23T00:00:00Z'));
      return account;
    }, /renewal of this subscription was stopped/],
    ['a plan whose renewal is failing', () => {
      const account = aSubscriber();
      applySubscription(account, { standing: 'failing' });
      return account;
    }, /past_due/],
    ['a plan paid once, with no subscription at its provider', () => aSubscriber('pro', 'monthly', null), /no subscription at the provider/],
  ] as const)('refuses to change %s with CONFLICT', (_name, build, message) => {
    expect(() => build().planChangeTo(plan('business', 'yearly'))).toThrow(ConflictError);
    expect(() => build().planChangeTo(plan('business', 'yearly'))).toThrow(message);
  });

  it('keeps the change the provider scheduled until the renewal moves it onto that plan', () => {
    const account = aSubscriber('business', 'monthly');
    const scheduled: ScheduledPlanChange = { plan: plan('pro', 'monthly'), effectiveAt: PERIOD_END };

    const noted = applySubscription(account, { scheduledChange: scheduled });
    const unsaid = applySubscription(account, {});
    const kept = account.scheduledChange;
    const renewed = applySubscription(account, { plan: plan('pro', 'monthly'), scheduledChange: null, now: new Date('2026-12-22T10:00:00Z') });

    expect([noted, unsaid, renewed]).toEqual([true, false, true]);
    expect(kept).toEqual(scheduled);
    expect(account.tier).toBe('pro');
    expect(account.scheduledChange).toBeNull();
  });

  it('drops a scheduled change the provider no longer reports, one to the plan it is on, and any once the plan ends', () => {
    const withdrawn = aSubscriber('business', 'monthly');
    applySubscription(withdrawn, { scheduledChange: { plan: plan('pro', 'monthly'), effectiveAt: PERIOD_END } });
    applySubscription(withdrawn, { scheduledChange: null });
    const toItself = aSubscriber('business', 'monthly');
    applySubscription(toItself, { scheduledChange: { plan: plan('business', 'monthly'), effectiveAt: PERIOD_END } });
    const ended = aSubscriber('business', 'monthly');
    applySubscription(ended, { scheduledChange: { plan: plan('pro', 'monthly'), effectiveAt: PERIOD_END } });
    applySubscription(ended, { standing: 'ended' });

    expect([withdrawn.scheduledChange, toItself.scheduledChange, ended.scheduledChange]).toEqual([null, null, null]);
    expect(ended.tier).toBe('free');
  });

  it('refuses to load an account whose scheduled change is half written', () => {
    const account = aSubscriber();
    Object.assign(account, { _scheduledTier: 'pro' });

    expect(() => account.assertInvariants()).toThrow(InvariantViolation);
  });
});

describe('a plan change session', () => {
  it('names the plan it moves to and its price per period', () => {
    const session = CheckoutSession.forPlanChange({
      id: 'session-1',
      userId: 'user-1',
      gateway: 'stripe',
      tier: 'business',
      billingInterval: 'monthly',
      amount: planPriceUsd('business', 'monthly'),
      fx: null,
      baseAmount: planPriceUsd('business', 'monthly'),
      successUrl: 'https://app.aerostack.dev/settings/billing',
      cancelUrl: 'https://app.aerostack.dev/settings/billing',
      now: PAID_AT,
    });

    expect(session).toMatchObject({ purpose: 'plan_change', tier: 'business', billingInterval: 'monthly', amountMinor: 19_900, status: 'open' });
    expect(session.complete(PERIOD_END)).toBe(true);
    expect(session.complete(PERIOD_END)).toBe(false);
  });
});
