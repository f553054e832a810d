import { describe, expect, it } from 'vitest';
import type { AccountPlan } from '../../../domain/billing/account-plan.entity.ts';
import type { BillingInterval, PaidPlanTier, PlanStatus } from '../../../domain/billing/plan.value-objects.ts';
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

/** A paid plan the provider reports in `status`, as a subscription webhook would. */
function aPaidPlanWithStatus(status: PlanStatus): AccountPlan {
  const plan = aPaidPlan();
  plan.applyProviderSubscription({
    subscriptionId: 'sub_1',
    customerId: 'cus_1',
    tier: 'pro',
    billingInterval: 'yearly',
    status,
    currentPeriodEnd: PERIOD_END,
    occurredAt: new Date('2026-12-22T09:00:00Z'),
    now: new Date('2026-12-22T09:00:01Z'),
  });
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
    plan.endSubscription({ occurredAt: new Date('2027-11-22T09:00:00Z'), now: new Date('2027-11-22T09:00:01Z') });

    expect(plan.tier).toBe('free');
    expect(plan.hasLiveSubscription()).toBe(false);
  });
});
