import { describe, expect, it } from 'vitest';
import { CheckoutSession } from '../../../domain/billing/checkout-session.entity.ts';
import { DuplicateSubscription, type NewDuplicateSubscription } from '../../../domain/billing/duplicate-subscription.entity.ts';
import { planPriceUsd } from '../../../domain/billing/plan-catalogue.ts';
import { InvariantViolation } from '../../../domain/shared/errors.ts';

const NOW = new Date('2026-11-22T09:00:00Z');
const LATER = (ms: number) => new Date(NOW.getTime() + ms);

function aRecord(overrides: Partial<NewDuplicateSubscription> = {}): DuplicateSubscription {
  return DuplicateSubscription.record({
    id: 'dup-1',
    userId: 'user-1',
    gateway: 'stripe',
    keptSessionId: 'cs-later',
    canceledSessionId: 'cs-earlier',
    subscriptionId: 'sub_earlier',
    paymentId: 'pi_earlier',
    amountMinor: 4_900,
    currency: 'USD',
    now: NOW,
    ...overrides,
  });
}

function aPlanSession(id: string, now: Date): CheckoutSession {
  const price = planPriceUsd('pro', 'monthly');
  return CheckoutSession.forPlan({
    id,
    userId: 'user-1',
    gateway: 'stripe',
    tier: 'pro',
    billingInterval: 'monthly',
    amount: price,
    fx: null,
    baseAmount: price,
    successUrl: 'https://app.aerostack.dev/settings/billing?success=true',
    cancelUrl: 'https://app.aerostack.dev/settings/billing',
    now,
  });
}

describe('a second subscription to settle', () => {
  it('is pending and due at once when recorded', () => {
    const record = aRecord();

    expect(record).toMatchObject({ status: 'pending', attempts: 0, lastError: null, nextAttemptAt: NOW, subscriptionCanceledAt: null, refundedAt: null, settledAt: null });
  });

  it('is held by the one runner that claimed it until its lease ends', () => {
    const record = aRecord();

    const first = record.claim(NOW, LATER(60_000));
    const second = record.claim(LATER(1_000), LATER(61_000));
    const afterLease = record.claim(LATER(60_000), LATER(120_000));

    expect([first, second, afterLease]).toEqual([true, false, true]);
  });

  it('is done once the subscription is canceled and the payment refunded, and never claimed again', () => {
    const record = aRecord();
    record.claim(NOW, LATER(60_000));

    record.subscriptionCanceled(LATER(1));
    record.refunded({ refundId: 're_1', refundedMinor: 4_900 }, LATER(2));
    record.refunded({ refundId: 're_2', refundedMinor: 4_900 }, LATER(3));
    record.finishAttempt(LATER(3), null);

    expect(record).toMatchObject({ status: 'done', attempts: 1, refundId: 're_1', refundedMinor: 4_900, settledAt: LATER(3), nextAttemptAt: null });
    expect(record.claim(LATER(120_000), LATER(180_000))).toBe(false);
  });

  it('keeps the steps done and the provider error, pending until the retry time, and failed when no retry is left', () => {
    const record = aRecord();
    record.claim(NOW, LATER(60_000));
    record.subscriptionCanceled(LATER(1));
    record.finishAttempt(LATER(2), { error: 'stripe could not refund the payment: down', retryAt: LATER(60_000) });

    const tooSoon = record.claim(LATER(30_000), LATER(90_000));
    const due = record.claim(LATER(60_000), LATER(120_000));
    record.finishAttempt(LATER(60_001), { error: 'still down', retryAt: null });

    expect([tooSoon, due]).toEqual([false, true]);
    expect(record).toMatchObject({ status: 'failed', attempts: 2, lastError: 'still down', subscriptionCanceledAt: LATER(1), refundedAt: null, settledAt: LATER(60_001) });
    expect(record.claim(LATER(3_600_000), LATER(3_660_000))).toBe(false);
  });

  it('shortens a very long provider error, and refuses a record that keeps and cancels the same checkout', () => {
    const record = aRecord();
    record.claim(NOW, LATER(1));
    record.finishAttempt(NOW, { error: 'x'.repeat(5_000), retryAt: LATER(1) });

    expect(record.lastError!.length).toBeLessThanOrEqual(1_001);
    expect(() => aRecord({ keptSessionId: 'cs-same', canceledSessionId: 'cs-same' })).toThrow(InvariantViolation);
    expect(() => aRecord({ amountMinor: 0 })).toThrow(InvariantViolation);
  });
});

describe('which of two plan checkouts was opened first', () => {
  it('goes by when each was opened, then by id when they were opened at the same instant', () => {
    const early = aPlanSession('cs-b', NOW);
    const late = aPlanSession('cs-a', LATER(1));
    const sameInstant = aPlanSession('cs-c', NOW);

    expect([early.openedBefore(late), late.openedBefore(early)]).toEqual([true, false]);
    expect([early.openedBefore(sameInstant), sameInstant.openedBefore(early)]).toEqual([true, false]);
  });

  it('keeps the subscription a completed plan checkout started', () => {
    const session = aPlanSession('cs-1', NOW);
    session.attachProviderSession('cs_test_1');

    session.complete(LATER(1), 'pi_1', 'sub_1');

    expect([session.providerPaymentId, session.providerSubscriptionId]).toEqual(['pi_1', 'sub_1']);
  });
});
