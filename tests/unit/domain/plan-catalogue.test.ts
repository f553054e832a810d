import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MONTHLY_PRICE_USD_CENTS,
  PAID_TIERS,
  periodEnd,
  planPriceUsd,
  parsePaidTier,
} from '../../../domain/billing/plan-catalogue.ts';
import { InvalidInputError } from '../../../domain/shared/errors.ts';

describe('the plan catalogue', () => {
  it('lists starter, pro and business as the paid tiers', () => {
    expect([...PAID_TIERS]).toEqual(['starter', 'pro', 'business']);
  });

  it.each(PAID_TIERS)('prices %s monthly at its list price in US cents', (tier) => {
    const price = planPriceUsd(tier, 'monthly');

    expect(price.currency).toBe('USD');
    expect(price.amountMinor).toBe(MONTHLY_PRICE_USD_CENTS[tier]);
  });

  it.each(PAID_TIERS)('prices %s yearly at exactly 12 × monthly × 0.75', (tier) => {
    const monthly = planPriceUsd(tier, 'monthly').amountMinor;
    const yearly = planPriceUsd(tier, 'yearly');

    expect(yearly.currency).toBe('USD');
    expect(yearly.amountMinor).toBe(12 * monthly * 0.75);
    expect(yearly.amountMinor * 4).toBe(monthly * 12 * 3);
  });

  it('prices starter, pro and business monthly at $19, $49 and $199', () => {
    expect(PAID_TIERS.map((tier) => planPriceUsd(tier, 'monthly').amountMinor)).toEqual([1_900, 4_900, 19_900]);
    expect(PAID_TIERS.map((tier) => planPriceUsd(tier, 'yearly').amountMinor)).toEqual([17_100, 44_100, 179_100]);
  });
});

describe('parsePaidTier', () => {
  it('refuses the free tier with a BAD_USER_INPUT naming the tier field', () => {
    let error: unknown;
    try {
      parsePaidTier('free');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'tier', message: 'the free tier needs no checkout; choose starter, pro, business' });
  });

  it('names the field the caller passes when it refuses the free tier', () => {
    expect(() => parsePaidTier('free', 'plan')).toThrow(expect.objectContaining({ field: 'plan' }));
  });

  it('lists only the tiers it accepts when it refuses an unknown one, never free', () => {
    expect(() => parsePaidTier('gold')).toThrow(expect.objectContaining({ field: 'tier', message: 'tier must be one of starter, pro, business' }));
  });

  it.each(PAID_TIERS)('returns the paid tier %s as it is', (tier) => {
    expect(parsePaidTier(tier)).toBe(tier);
  });
});

describe('periodEnd', () => {
  it.each([
    ['2026-01-31T00:00:00.000Z', 'monthly', '2026-02-28T00:00:00.000Z'],
    ['2028-01-31T00:00:00.000Z', 'monthly', '2028-02-29T00:00:00.000Z'],
    ['2028-02-29T00:00:00.000Z', 'yearly', '2029-02-28T00:00:00.000Z'],
    ['2026-12-15T00:00:00.000Z', 'monthly', '2027-01-15T00:00:00.000Z'],
    ['2026-12-31T12:00:00.000Z', 'monthly', '2027-01-31T12:00:00.000Z'],
    ['2026-03-31T08:00:00.000Z', 'monthly', '2026-04-30T08:00:00.000Z'],
    ['2026-11-22T09:00:00.000Z', 'yearly', '2027-11-22T09:00:00.000Z'],
    ['2026-01-31T23:59:59.999Z', 'monthly', '2026-02-28T23:59:59.999Z'],
    ['2027-12-15T18:45:30.250Z', 'monthly', '2028-01-15T18:45:30.250Z'],
  ] as const)('ends a period that starts at %s, billed %s, at %s', (start, interval, end) => {
    expect(periodEnd(new Date(start), interval).toISOString()).toBe(end);
  });

  it('leaves the start date as it was', () => {
    const start = new Date('2026-01-31T10:00:00Z');

    periodEnd(start, 'monthly');

    expect(start.toISOString()).toBe('2026-01-31T10:00:00.000Z');
  });

  it('ends every period one calendar month or year later, on the same day or the last day of a shorter month, at the same time of day', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2200-12-31T23:59:59Z'), noInvalidDate: true }),
        fc.constantFrom('monthly' as const, 'yearly' as const),
        (start, interval) => {
          const end = periodEnd(start, interval);
          const months = interval === 'monthly' ? 1 : 12;
          const monthIndex = start.getUTCFullYear() * 12 + start.getUTCMonth() + months;
          const daysInEndMonth = new Date(Date.UTC(Math.floor(monthIndex / 12), (monthIndex % 12) + 1, 0)).getUTCDate();

          expect(end.getUTCFullYear() * 12 + end.getUTCMonth()).toBe(monthIndex);
          expect(end.getUTCDate()).toBe(Math.min(start.getUTCDate(), daysInEndMonth));
          expect(end.getTime() % 86_400_000).toBe(start.getTime() % 86_400_000);
          expect(end.getTime()).toBeGreaterThan(start.getTime());
        },
      ),
    );
  });
});
