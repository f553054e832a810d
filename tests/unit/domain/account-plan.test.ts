import { describe, expect, it } from 'vitest';
import { AccountPlan } from '../../../domain/billing/account-plan.entity.ts';
import { Country } from '../../../domain/billing/country.value-object.ts';
import { InvariantViolation } from '../../../domain/shared/errors.ts';
import { anAccountPlan } from '../../support/builders.ts';

describe('AccountPlan', () => {
  it('starts free, active, with no interval or period, on the gateway its country selects', () => {
    const plan = anAccountPlan().inCountry('IN').at(new Date('2026-11-22T10:00:00Z')).build();

    expect(plan.tier).toBe('free');
    expect(plan.status).toBe('active');
    expect(plan.billingInterval).toBeNull();
    expect(plan.currentPeriodEnd).toBeNull();
    expect(plan.paymentGateway).toBe('razorpay');
    expect(plan.createdAt.toISOString()).toBe('2026-11-22T10:00:00.000Z');
  });

  it('refuses an empty user id and one longer than 255 characters', () => {
    const country = Country.parse('US');
    const now = new Date();

    expect(() => AccountPlan.register({ userId: '', country, now })).toThrow(InvariantViolation);
    expect(() => AccountPlan.register({ userId: 'u'.repeat(256), country, now })).toThrow(InvariantViolation);
    expect(AccountPlan.register({ userId: 'u'.repeat(255), country, now }).userId).toHaveLength(255);
  });

  it('detects state that breaks its rules, as a bad row loaded by the ORM would have', () => {
    const plan = anAccountPlan().inCountry('US').build();
    Object.assign(plan, { paymentGateway: 'razorpay' });

    expect(() => plan.assertInvariants()).toThrow(/does not select/);
  });

  it('detects a paid tier without a billing interval', () => {
    const plan = anAccountPlan().build();
    Object.assign(plan, { _tier: 'pro' });

    expect(() => plan.assertInvariants()).toThrow(/billing interval/);
  });

  describe('a plan granted by an admin', () => {
    const now = new Date('2026-11-22T10:00:00Z');
    const until = new Date('2026-12-22T10:00:00Z');
    const business = { tier: 'business', billingInterval: 'yearly' } as const;

    it('runs until its end without renewing, and a second identical grant changes nothing', () => {
      const plan = anAccountPlan().at(now).build();

      expect(plan.grantPlan({ plan: business, until, now })).toBe(true);
      expect(plan.grantPlan({ plan: business, until, now: new Date(now.getTime() + 60_000) })).toBe(false);
      expect([plan.tier, plan.billingInterval, plan.status, plan.currentPeriodEnd]).toEqual(['business', 'yearly', 'canceled', until]);
      expect(plan.hasLiveSubscription()).toBe(false);
    });

    it('ends at the first period check after its end, back on free', () => {
      const plan = anAccountPlan().at(now).paidThroughPaymentLink().build();
      plan.grantPlan({ plan: business, until, now });

      expect(plan.lapseUnrenewedPeriod(new Date(until.getTime() - 1))).toBe(false);
      expect(plan.lapseUnrenewedPeriod(until)).toBe(true);
      expect([plan.tier, plan.status, plan.currentPeriodEnd]).toEqual(['free', 'active', null]);
    });

    it('is refused while a provider subscription is linked, naming it, and leaves the plan as it was', () => {
      const plan = anAccountPlan().at(now).withSubscription('sub_live').build();

      expect(() => plan.grantPlan({ plan: business, until, now })).toThrow(/sub_live/);
      expect([plan.tier, plan.status]).toEqual(['pro', 'active']);
    });
  });
});
