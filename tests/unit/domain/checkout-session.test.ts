import { describe, expect, it } from 'vitest';
import { CheckoutSession } from '../../../domain/billing/checkout-session.entity.ts';
import { planPriceUsd } from '../../../domain/billing/plan-catalogue.ts';
import { ConflictError, InvariantViolation } from '../../../domain/shared/errors.ts';
import { FxRate } from '../../../domain/shared/fx-rate.value-object.ts';
import { Money } from '../../../domain/shared/money.value-object.ts';

const NOW = new Date('2026-11-22T09:00:00Z');
const QUOTED_AT = new Date('2026-11-22T08:55:00Z');
const fx85 = FxRate.of({ from: 'USD', to: 'INR', rateMicros: 85_000_000, source: 'test', quotedAt: QUOTED_AT });

type PlanInput = Parameters<typeof CheckoutSession.forPlan>[0];

function usdPlanInput(overrides: Partial<PlanInput> = {}): PlanInput {
  const price = planPriceUsd('pro', 'yearly');
  return {
    id: 'cs-1',
    userId: 'user-1',
    gateway: 'stripe',
    tier: 'pro',
    billingInterval: 'yearly',
    amount: price,
    fx: null,
    baseAmount: price,
    successUrl: 'https://app.aerostack.dev/settings/billing?success=true',
    cancelUrl: 'https://app.aerostack.dev/settings/billing',
    now: NOW,
    ...overrides,
  };
}

function inrPlanInput(overrides: Partial<PlanInput> = {}): PlanInput {
  const price = planPriceUsd('pro', 'yearly');
  return usdPlanInput({ gateway: 'razorpay', amount: fx85.convert(price), fx: fx85, baseAmount: price, ...overrides });
}

function anOpenSession(): CheckoutSession {
  return CheckoutSession.forPlan(usdPlanInput());
}

describe('a plan checkout session', () => {
  it('is built open, for the plan, with nothing from the provider yet', () => {
    const session = anOpenSession();

    expect(session.status).toBe('open');
    expect(session.purpose).toBe('plan');
    expect(session.tier).toBe('pro');
    expect(session.billingInterval).toBe('yearly');
    expect(session.amount.equals(Money.of(44_100, 'USD'))).toBe(true);
    expect(session.usdAmount.equals(Money.of(44_100, 'USD'))).toBe(true);
    expect(session.fx).toBeNull();
    expect(session.createdAt).toEqual(NOW);
    expect(session.completedAt).toBeNull();
    expect(session.providerSessionId).toBeNull();
    expect(session.providerPaymentId).toBeNull();
    expect(session.successUrl).toBe('https://app.aerostack.dev/settings/billing?success=true');
    expect(session.cancelUrl).toBe('https://app.aerostack.dev/settings/billing');
  });

  it('completes once, returning true, and afterwards returns false and changes nothing', () => {
    const session = anOpenSession();
    const firstAt = new Date('2026-11-22T09:05:00Z');

    expect(session.complete(firstAt, 'pi_1')).toBe(true);
    expect(session.status).toBe('completed');
    expect(session.completedAt).toEqual(firstAt);
    expect(session.providerPaymentId).toBe('pi_1');

    expect(session.complete(new Date('2026-11-22T09:10:00Z'), 'pi_2')).toBe(false);
    expect(session.status).toBe('completed');
    expect(session.completedAt).toEqual(firstAt);
    expect(session.providerPaymentId).toBe('pi_1');
  });

  it('completes without a provider payment id when none is given', () => {
    const session = anOpenSession();

    expect(session.complete(NOW)).toBe(true);
    expect(session.providerPaymentId).toBeNull();
  });

  it.each(['expired', 'canceled'] as const)('still completes once when the provider confirms a payment after it was %s here, with a reason to review it', (status) => {
    const session = anOpenSession();
    session.close(status);

    expect(session.complete(NOW, 'pi_late')).toBe(true);
    expect(session.complete(NOW, 'pi_late')).toBe(false);
    expect(session.status).toBe('completed');
    expect(session.reviewReason).toBe(`paid at the provider after it was ${status} here`);
  });

  it('completes an open session with no reason to review it', () => {
    const session = anOpenSession();

    session.complete(NOW);

    expect(session.reviewReason).toBeNull();
  });

  it.each(['expired', 'canceled'] as const)('moves an open session to %s when closed', (status) => {
    const session = anOpenSession();

    session.close(status);

    expect(session.status).toBe(status);
  });

  it('leaves a completed session completed when it is closed', () => {
    const session = anOpenSession();
    session.complete(NOW);

    session.close('expired');
    session.close('canceled');

    expect(session.status).toBe('completed');
    expect(session.completedAt).toEqual(NOW);
  });

  it('keeps the first way a session was closed', () => {
    const session = anOpenSession();

    session.close('expired');
    session.close('canceled');

    expect(session.status).toBe('expired');
  });

  it('records the provider session id once and accepts the same id again', () => {
    const session = anOpenSession();

    session.attachProviderSession('cs_test_1');
    session.attachProviderSession('cs_test_1');

    expect(session.providerSessionId).toBe('cs_test_1');
  });

  it('refuses a different provider session id once one is recorded', () => {
    const session = anOpenSession();
    session.attachProviderSession('cs_test_1');

    expect(() => session.attachProviderSession('cs_test_2')).toThrow(InvariantViolation);
    expect(session.providerSessionId).toBe('cs_test_1');
  });

  it('refuses an empty provider session id', () => {
    expect(() => anOpenSession().attachProviderSession('')).toThrow(InvariantViolation);
  });

  it('keeps the FX snapshot of an INR session: the rate, where and when it was quoted, and the USD amount', () => {
    const session = CheckoutSession.forPlan(inrPlanInput());

    expect(session.currency).toBe('INR');
    expect(session.amountMinor).toBe(3_748_500);
    expect(session.fx).toEqual({ rateMicros: 85_000_000, source: 'test', quotedAt: QUOTED_AT, baseAmountMinor: 44_100 });
    expect(session.usdAmount.equals(Money.of(44_100, 'USD'))).toBe(true);
  });

  it('refuses an INR session without an FX snapshot', () => {
    expect(() => CheckoutSession.forPlan(inrPlanInput({ fx: null }))).toThrow(InvariantViolation);
  });

  it('refuses a USD session with an FX snapshot', () => {
    expect(() => CheckoutSession.forPlan(usdPlanInput({ fx: fx85 }))).toThrow(InvariantViolation);
  });

  it('refuses an FX snapshot whose base amount is not in the currency the rate converts from', () => {
    expect(() => CheckoutSession.forPlan(inrPlanInput({ baseAmount: Money.of(3_748_500, 'INR') }))).toThrow(InvariantViolation);
  });

  it('refuses a zero or negative amount', () => {
    expect(() => CheckoutSession.forPlan(usdPlanInput({ amount: Money.zero('USD') }))).toThrow(InvariantViolation);
    expect(() => CheckoutSession.forPlan(usdPlanInput({ amount: Money.of(-100, 'USD') }))).toThrow(InvariantViolation);
  });

  it('refuses an empty id or user id', () => {
    expect(() => CheckoutSession.forPlan(usdPlanInput({ id: '' }))).toThrow(InvariantViolation);
    expect(() => CheckoutSession.forPlan(usdPlanInput({ userId: '' }))).toThrow(InvariantViolation);
  });
});
