import { describe, expect, it } from 'vitest';
import type { AccountPlan } from '../../../domain/billing/account-plan.entity.ts';
import type { BillingInterval, PaidPlanTier, PlanStatus, SubscriptionStanding } from '../../../domain/billing/plan.value-objects.ts';
import { ConflictError } from '../../../domain/shared/errors.ts';
import { anAccountPlan } from '../../support/builders.ts';

const CREATED = new Date('2026-11-01T00:00:00Z');
const PAID_AT = new Date('2026-11-22T09:00:00Z');
const PERIOD_END = new Date('2027-11-22T09:00:00Z');

function aFreePlan(): AccountPlan {
  return anAccountPlan().at(CREATED).build();
}

function aPaidPlan(tier: PaidPlanTier = 'pro', billingInterval: BillingInterval = 'yearly'): AccountPlan {
  const plan = aFreePlan();
  plan.activatePaidPlan({
    tier,
    billingInterval,
    currentPeriodEnd: PERIOD_END,
    providerCustomerId: 'cus_1',
    providerSubscriptionId: 'sub_1',
    now: PAID_AT,
  });
  return plan;
}

const GRACE_MS = 7 * 24 * 60 * 60 * 1000;
const STANDING_OF: Readonly<Record<PlanStatus, { standing: SubscriptionStanding; renews: boolean }>> = {
  active: { standing: 'paying', renews: true },
  canceled: { standing: 'paying', renews: false },
  past_due: { standing: 'failing', renews: true },
  incomplete: { standing: 'unpaid', renews: true },
};

/** The subscription as the provider holds it, applied to the plan that holds it. */
function applySubscription(plan: AccountPlan, state: { standing: SubscriptionStanding; renews?: boolean; plan?: { tier: PaidPlanTier; billingInterval: BillingInterval } | null; now: Date }): boolean {
  return plan.applySubscriptionState({
    subscriptionId: 'sub_1',
    customerId: 'cus_1',
    standing: state.standing,
    renews: state.renews ?? true,
    plan: state.plan === undefined ? { tier: 'pro', billingInterval: 'yearly' } : state.plan,
    currentPeriodEnd: PERIOD_END,
    now: state.now,
    graceMs: GRACE_MS,
  });
}

/** A paid plan whose subscription the provider reports as this status would show. */
function aPaidPlanWithStatus(status: PlanStatus): AccountPlan {
  const plan = aPaidPlan();
  applySubscription(plan, { ...STANDING_OF[status], now: new Date('2026-12-22T09:00:01Z') });
  return plan;
}

describe('activating a paid plan', () => {
  it('moves a free account onto the tier, interval and period paid for, active, with the provider ids', () => {
    const plan = aPaidPlan('business', 'monthly');

    expect(plan.tier).toBe('business');
    expect(plan.billingInterval).toBe('monthly');
    expect(plan.status).toBe('active');
    expect(plan.currentPeriodEnd).toEqual(PERIOD_END);
    expect(plan.providerCustomerId).toBe('cus_1');
    expect(plan.providerSubscriptionId).toBe('sub_1');
    expect(plan.updatedAt).toEqual(PAID_AT);
  });

  it('keeps the provider ids it already has when the payment brings none', () => {
    const plan = aPaidPlan();

    plan.activatePaidPlan({
      tier: 'starter',
      billingInterval: 'monthly',
      currentPeriodEnd: new Date('2027-12-22T09:00:00Z'),
      providerCustomerId: null,
      providerSubscriptionId: null,
      now: new Date('2026-12-01T00:00:00Z'),
    });

    expect(plan.tier).toBe('starter');
    expect(plan.providerCustomerId).toBe('cus_1');
    expect(plan.providerSubscriptionId).toBe('sub_1');
  });

  it('makes a canceled plan active again on the new payment', () => {
    const plan = aPaidPlan();
    plan.cancelRenewal(new Date('2026-11-23T00:00:00Z'));

    plan.activatePaidPlan({
      tier: 'pro',
      billingInterval: 'monthly',
      currentPeriodEnd: new Date('2026-12-24T00:00:00Z'),
      providerCustomerId: null,
      providerSubscriptionId: 'sub_2',
      now: new Date('2026-11-24T00:00:00Z'),
    });

    expect(plan.status).toBe('active');
    expect(plan.billingInterval).toBe('monthly');
    expect(plan.providerSubscriptionId).toBe('sub_2');
    expect(plan.hasLiveSubscription()).toBe(true);
  });

  it('never moves the update time backwards', () => {
    const plan = aPaidPlan();

    plan.activatePaidPlan({
      tier: 'pro',
      billingInterval: 'yearly',
      currentPeriodEnd: PERIOD_END,
      providerCustomerId: null,
      providerSubscriptionId: null,
      now: new Date('2026-11-05T00:00:00Z'),
    });

    expect(plan.updatedAt).toEqual(PAID_AT);
  });
});

describe('canceling renewal', () => {
  it('refuses with a conflict on the free plan', () => {
    const plan = aFreePlan();

    expect(() => plan.cancelRenewal(PAID_AT)).toThrow(ConflictError);
    expect(plan.status).toBe('active');
    expect(plan.tier).toBe('free');
  });

  it('marks a running subscription canceled and keeps its tier, interval and period until the period ends', () => {
    const plan = aPaidPlan();
    const canceledAt = new Date('2026-11-25T00:00:00Z');

    plan.cancelRenewal(canceledAt);

    expect(plan.status).toBe('canceled');
    expect(plan.tier).toBe('pro');
    expect(plan.billingInterval).toBe('yearly');
    expect(plan.currentPeriodEnd).toEqual(PERIOD_END);
    expect(plan.updatedAt).toEqual(canceledAt);
    expect(plan.hasLiveSubscription()).toBe(false);
  });

  it('cancels a subscription whose renewal is failing', () => {
    const plan = aPaidPlanWithStatus('past_due');

    plan.cancelRenewal(new Date('2026-12-23T00:00:00Z'));

    expect(plan.status).toBe('canceled');
  });

  it('refuses with a conflict to cancel a subscription already canceled', () => {
    const plan = aPaidPlan();
    plan.cancelRenewal(new Date('2026-11-25T00:00:00Z'));

    expect(() => plan.cancelRenewal(new Date('2026-11-26T00:00:00Z'))).toThrow(ConflictError);
  });

  it('refuses with a conflict to cancel an incomplete subscription', () => {
    expect(() => aPaidPlanWithStatus('incomplete').cancelRenewal(new Date('2026-12-23T00:00:00Z'))).toThrow(ConflictError);
  });
});

describe('changing the billing interval', () => {
  it('switches a running yearly subscription to monthly and back, keeping its tier', () => {
    const plan = aPaidPlan('pro', 'yearly');

    plan.changeBillingInterval('monthly', new Date('2026-11-25T00:00:00Z'));
    expect(plan.billingInterval).toBe('monthly');
    expect(plan.tier).toBe('pro');
    expect(plan.updatedAt).toEqual(new Date('2026-11-25T00:00:00Z'));

    plan.changeBillingInterval('yearly', new Date('2026-11-26T00:00:00Z'));
    expect(plan.billingInterval).toBe('yearly');
  });

  it.each(['monthly', 'yearly'] as const)('refuses with a conflict to change a %s subscription to the interval it already has', (interval) => {
    const plan = aPaidPlan('starter', interval);

    expect(() => plan.changeBillingInterval(interval, new Date('2026-11-25T00:00:00Z'))).toThrow(ConflictError);
    expect(plan.billingInterval).toBe(interval);
  });

  it.each(['monthly', 'yearly'] as const)('refuses with a conflict to bill the free plan %s', (interval) => {
    const plan = aFreePlan();

    expect(() => plan.changeBillingInterval(interval, PAID_AT)).toThrow(ConflictError);
    expect(plan.billingInterval).toBeNull();
  });

  it('refuses with a conflict to change the interval of a canceled subscription', () => {
    const plan = aPaidPlan('pro', 'yearly');
    plan.cancelRenewal(new Date('2026-11-25T00:00:00Z'));

    expect(() => plan.changeBillingInterval('monthly', new Date('2026-11-26T00:00:00Z'))).toThrow(ConflictError);
  });

  it('changes the interval of a subscription whose renewal is failing', () => {
    const plan = aPaidPlanWithStatus('past_due');

    plan.changeBillingInterval('monthly', new Date('2026-12-23T00:00:00Z'));

    expect(plan.billingInterval).toBe('monthly');
  });
});

describe('whether a subscription is live', () => {
  it('is not live on the free plan', () => {
    expect(aFreePlan().hasLiveSubscription()).toBe(false);
  });

  it('is live on an active paid plan', () => {
    expect(aPaidPlan().hasLiveSubscription()).toBe(true);
  });

  it.each([
    ['active', true],
    ['past_due', true],
    ['canceled', false],
    ['incomplete', false],
  ] as const)('on a paid plan the provider reports %s, is live: %s', (status, live) => {
    expect(aPaidPlanWithStatus(status).hasLiveSubscription()).toBe(live);
  });

  it('is not live once the provider ends the subscription', () => {
    const plan = aPaidPlan();
    applySubscription(plan, { standing: 'ended', now: new Date('2027-11-22T09:00:01Z') });

    expect(plan.tier).toBe('free');
    expect(plan.hasLiveSubscription()).toBe(false);
  });
});

describe('applying the subscription as the provider holds it', () => {
  const at = (days: number) => new Date(PAID_AT.getTime() + days * 24 * 60 * 60 * 1000);

  it('takes the tier and interval of a paying subscription from its price, and says when nothing changed', () => {
    const plan = aPaidPlan('pro', 'yearly');

    const changed = applySubscription(plan, { standing: 'paying', plan: { tier: 'business', billingInterval: 'monthly' }, now: at(1) });
    const again = applySubscription(plan, { standing: 'paying', plan: { tier: 'business', billingInterval: 'monthly' }, now: at(2) });

    expect([changed, again]).toEqual([true, false]);
    expect([plan.tier, plan.billingInterval, plan.status]).toEqual(['business', 'monthly', 'active']);
  });

  it('keeps the tier it has when the provider names no price of ours', () => {
    const plan = aPaidPlan('starter', 'monthly');

    applySubscription(plan, { standing: 'paying', plan: null, now: at(1) });

    expect([plan.tier, plan.billingInterval]).toEqual(['starter', 'monthly']);
  });

  it('shows a paying subscription that will not renew as canceled, keeping the tier until it ends', () => {
    const plan = aPaidPlan();

    applySubscription(plan, { standing: 'paying', renews: false, now: at(1) });

    expect([plan.tier, plan.status]).toEqual(['pro', 'canceled']);
  });

  it('keeps the tier of a failing subscription through the grace period from when it was first seen failing, then falls back to free', () => {
    const plan = aPaidPlan();

    applySubscription(plan, { standing: 'failing', now: at(1) });
    applySubscription(plan, { standing: 'failing', now: at(7) });
    const withinGrace = [plan.tier, plan.status];
    applySubscription(plan, { standing: 'failing', now: at(8) });

    expect(withinGrace).toEqual(['pro', 'past_due']);
    expect([plan.tier, plan.status]).toEqual(['free', 'active']);
    expect(plan.pastDueSince).toEqual(at(1));
  });

  it('grants nothing again for a subscription still failing after its grace period ended, and the tier back once it is paid', () => {
    const plan = aPaidPlan();
    applySubscription(plan, { standing: 'failing', now: at(1) });
    plan.endGracePeriod(at(9), GRACE_MS);

    applySubscription(plan, { standing: 'failing', now: at(10) });
    const stillFailing = plan.tier;
    applySubscription(plan, { standing: 'paying', now: at(11) });

    expect(stillFailing).toBe('free');
    expect([plan.tier, plan.status, plan.pastDueSince]).toEqual(['pro', 'active', null]);
  });

  it('grants no tier for a subscription whose first payment never went through', () => {
    const plan = aPaidPlan();

    applySubscription(plan, { standing: 'unpaid', now: at(1) });

    expect([plan.tier, plan.billingInterval, plan.status]).toEqual(['free', null, 'incomplete']);
  });

  it('unlinks an ended subscription and goes back to free, and refuses to apply a subscription the account does not hold', () => {
    const plan = aPaidPlan();

    applySubscription(plan, { standing: 'ended', now: at(1) });

    expect([plan.tier, plan.status, plan.providerSubscriptionId, plan.currentPeriodEnd]).toEqual(['free', 'active', null, null]);
    expect(() => applySubscription(plan, { standing: 'paying', now: at(2) })).toThrow(/is not the one account/);
  });
});

describe('a paid period that ended with no renewal', () => {
  const DAY_MS = 24 * 60 * 60 * 1000;
  const after = (ms: number) => new Date(PERIOD_END.getTime() + ms);

  it('leaves a plan whose period has not ended alone', () => {
    const plan = aPaidPlan();

    expect(plan.lapseUnrenewedPeriod(after(-1))).toBe(false);
    expect([plan.tier, plan.status]).toEqual(['pro', 'active']);
  });

  it("puts an active plan past due from the period's end, so its grace period counts from there", () => {
    const plan = aPaidPlan();

    expect(plan.lapseUnrenewedPeriod(after(2 * DAY_MS))).toBe(true);
    const pastDue = [plan.tier, plan.status, plan.pastDueSince];
    const endedEarly = plan.endGracePeriod(after(GRACE_MS - 1), GRACE_MS);

    expect(pastDue).toEqual(['pro', 'past_due', PERIOD_END]);
    expect(endedEarly).toBe(false);
    expect(plan.endGracePeriod(after(GRACE_MS), GRACE_MS)).toBe(true);
    expect(plan.tier).toBe('free');
  });

  it('ends a plan whose renewal was stopped, unlinking its subscription', () => {
    const plan = aPaidPlan();
    plan.cancelRenewal(PAID_AT);

    expect(plan.lapseUnrenewedPeriod(after(1))).toBe(true);
    expect([plan.tier, plan.status, plan.providerSubscriptionId, plan.currentPeriodEnd]).toEqual(['free', 'active', null, null]);
  });

  it('changes nothing for a plan already past due or free', () => {
    const pastDue = aPaidPlan();
    pastDue.lapseUnrenewedPeriod(after(1));

    expect(pastDue.lapseUnrenewedPeriod(after(2))).toBe(false);
    expect(aFreePlan().lapseUnrenewedPeriod(after(1))).toBe(false);
  });
});

describe('a renewal paid once, for a subscription that did not renew', () => {
  const DAY_MS = 24 * 60 * 60 * 1000;
  const after = (ms: number) => new Date(PERIOD_END.getTime() + ms);

  function aPastDuePlan(): AccountPlan {
    const plan = aPaidPlan('business', 'monthly');
    plan.lapseUnrenewedPeriod(after(2 * DAY_MS));
    return plan;
  }

  it('runs the plan one more period from where the paid one ended, active again', () => {
    const plan = aPastDuePlan();

    expect(plan.payRenewal({ tier: 'business', billingInterval: 'monthly', now: after(3 * DAY_MS) })).toBe(true);
    expect([plan.status, plan.pastDueSince, plan.currentPeriodEnd]).toEqual(['active', null, new Date('2027-12-22T09:00:00Z')]);
  });

  it('applies a payment for another plan than the account is on now to nothing', () => {
    const plan = aPastDuePlan();

    expect(plan.payRenewal({ tier: 'pro', billingInterval: 'monthly', now: after(3 * DAY_MS) })).toBe(false);
    expect([plan.status, plan.currentPeriodEnd]).toEqual(['past_due', PERIOD_END]);
  });

  it('unlinks the subscription ended for it, keeping the tier and standing, so no read of that subscription touches the plan again', () => {
    const plan = aPastDuePlan();

    expect(plan.detachSubscription('sub_other', after(3 * DAY_MS))).toBe(false);
    expect(plan.detachSubscription('sub_1', after(3 * DAY_MS))).toBe(true);
    expect([plan.tier, plan.status, plan.providerSubscriptionId, plan.hasLiveSubscription()]).toEqual(['business', 'past_due', null, false]);
  });
});
