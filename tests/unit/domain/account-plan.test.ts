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
});
