import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { periodEnd, planPriceUsd, requirePaidTier, MONTHLY_PRICE_USD_CENTS } from '../../../domain/billing/plan-catalogue.ts';
import { InvalidInputError, InvariantViolation } from '../../../domain/shared/errors.ts';
import { FxRate } from '../../../domain/shared/fx-rate.value-object.ts';
import { Money } from '../../../domain/shared/money.value-object.ts';
import { splitMarketplaceFee } from '../../../domain/wallet/marketplace-fee.policy.ts';
import { aPlanCheckout } from '../../support/builders.ts';

const rate = (rateMicros: number) => FxRate.of({ from: 'USD', to: 'INR', rateMicros, source: 'test', quotedAt: new Date() });

describe('FX conversion', () => {
  it.each([
    ['83.25', 83_250_000],
    ['85', 85_000_000],
    ['0.000001', 1],
  ])('reads %s as %i millionths, without floats', (raw, micros) => {
    expect(FxRate.parseDecimal(raw, 'INR_PER_USD')).toBe(micros);
  });

  it.each(['0', '-1', '1e3', '83.1234567', 'abc', ' ', '83,25'])('refuses %j naming the variable', (raw) => {
    expect(() => FxRate.parseDecimal(raw, 'INR_PER_USD')).toThrow(InvalidInputError);
  });

  it('converts $441.00 at 85 to ₹37,485.00 exactly', () => {
    expect(rate(85_000_000).convert(Money.of(44_100, 'USD'))).toEqual(Money.of(3_748_500, 'INR'));
  });

  it('rounds half a paisa up and less than half down', () => {
    expect(rate(1_500_000).convert(Money.of(1, 'USD')).amountMinor).toBe(2); // 1.5 → 2
    expect(rate(1_499_999).convert(Money.of(1, 'USD')).amountMinor).toBe(1); // 1.499999 → 1
  });

  it('refuses to convert another currency or a negative amount', () => {
    expect(() => rate(85_000_000).convert(Money.of(100, 'INR'))).toThrow(InvariantViolation);
    expect(() => rate(85_000_000).convert(Money.of(-1, 'USD'))).toThrow(InvariantViolation);
  });

  it('loses at most one paisa by converting parts instead of the whole', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200_000_000 }), fc.nat(1_000_000), fc.nat(1_000_000), (micros, a, b) => {
        const fx = rate(micros);
        const parts = fx.convert(Money.of(a, 'USD')).amountMinor + fx.convert(Money.of(b, 'USD')).amountMinor;
        expect(Math.abs(parts - fx.convert(Money.of(a + b, 'USD')).amountMinor)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('prints the rate it was given', () => {
    expect(rate(83_250_000).toDecimalString()).toBe('83.25');
    expect(rate(85_000_000).toDecimalString()).toBe('85');
  });
});

describe('plan catalogue', () => {
  it.each(Object.entries(MONTHLY_PRICE_USD_CENTS))('prices %s yearly at exactly 12 × monthly × 0.75', (tier, monthly) => {
    expect(planPriceUsd(tier as 'pro', 'yearly').amountMinor).toBe((12 * monthly * 3) / 4);
    expect(planPriceUsd(tier as 'pro', 'monthly').amountMinor).toBe(monthly);
  });

  it('needs no checkout for the free tier', () => {
    expect(() => requirePaidTier('free')).toThrow(expect.objectContaining({ field: 'tier' }));
  });

  it.each([
    ['2026-01-31T10:00:00.000Z', 'monthly', '2026-02-28T10:00:00.000Z'],
    ['2028-01-31T10:00:00.000Z', 'monthly', '2028-02-29T10:00:00.000Z'],
    ['2026-12-15T00:00:00.000Z', 'monthly', '2027-01-15T00:00:00.000Z'],
    ['2028-02-29T08:30:00.000Z', 'yearly', '2029-02-28T08:30:00.000Z'],
    ['2026-11-22T12:00:00.000Z', 'yearly', '2027-11-22T12:00:00.000Z'],
  ] as const)('ends a period starting %s (%s) at %s', (start, interval, end) => {
    expect(periodEnd(new Date(start), interval).toISOString()).toBe(end);
  });
});

describe('marketplace fee split', () => {
  it('takes whole cents rounded down and gives the creator the rest', () => {
    const split = splitMarketplaceFee(Money.of(999, 'USD'), 2_000);

    expect([split.fee.amountMinor, split.creatorShare.amountMinor]).toEqual([199, 800]);
  });

  it('never loses or makes a cent, for any price and fee', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 10_000 }), (cents, bps) => {
        const { fee, creatorShare } = splitMarketplaceFee(Money.of(cents, 'USD'), bps);
        expect(fee.amountMinor + creatorShare.amountMinor).toBe(cents);
        expect(fee.amountMinor).toBeGreaterThanOrEqual(0);
        expect(fee.amountMinor).toBeLessThanOrEqual((cents * bps) / 10_000);
      }),
    );
  });
});

describe('CheckoutSession', () => {
  it('completes once: the second completion changes nothing and says so', () => {
    const session = aPlanCheckout().build();

    expect(session.complete(new Date('2026-11-22T10:00:00Z'))).toBe(true);
    expect(session.complete(new Date('2026-11-22T11:00:00Z'))).toBe(false);
    expect(session.completedAt?.toISOString()).toBe('2026-11-22T10:00:00.000Z');
  });

  it('refuses to complete after it expired, and only closes an open session', () => {
    const expired = aPlanCheckout().build();
    expired.close('expired');
    const completed = aPlanCheckout().build();
    completed.complete(new Date());
    completed.close('canceled');

    expect(() => expired.complete(new Date())).toThrow(/expired/);
    expect(completed.status).toBe('completed');
  });

  it('keeps the provider session id it was given first', () => {
    const session = aPlanCheckout().build();
    session.attachProviderSession('cs_1');

    expect(() => session.attachProviderSession('cs_1')).not.toThrow();
    expect(() => session.attachProviderSession('cs_2')).toThrow(InvariantViolation);
  });

  it('charges an INR plan from its USD list price at the snapshot rate', () => {
    const session = aPlanCheckout().inInr({ rateMicros: 85_000_000, quotedAt: new Date() }).build();

    expect([session.amountMinor, session.currency, session.usdAmount.amountMinor]).toEqual([3_748_500, 'INR', 44_100]);
  });
});
