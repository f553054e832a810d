import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, InvariantViolation } from '../../../domain/shared/errors.ts';
import { FxRate } from '../../../domain/shared/fx-rate.value-object.ts';
import { Money } from '../../../domain/shared/money.value-object.ts';

const QUOTED_AT = new Date('2026-11-22T09:00:00Z');

function usdToInr(rateMicros: number): FxRate {
  return FxRate.of({ from: 'USD', to: 'INR', rateMicros, source: 'test', quotedAt: QUOTED_AT });
}

/** Round half up of amount × rate / 10^6, computed independently with bigint. */
function expectedConversion(amountMinor: number, rateMicros: number): number {
  const exact = BigInt(amountMinor) * BigInt(rateMicros);
  const whole = exact / 1_000_000n;
  return Number(exact % 1_000_000n >= 500_000n ? whole + 1n : whole);
}

describe('FxRate.parseDecimal', () => {
  it.each([
    ['83.25', 83_250_000],
    ['85', 85_000_000],
    ['85.0', 85_000_000],
    ['0.000001', 1],
    ['1.5', 1_500_000],
    ['83.123456', 83_123_456],
    ['999999.999999', 999_999_999_999],
    [' 83.25 ', 83_250_000],
  ])('reads %j as %i millionths', (raw, micros) => {
    expect(FxRate.parseDecimal(raw, 'rate')).toBe(micros);
  });

  it.each(['0', '0.0', '0.000000', '-1', '1e3', '83.1234567', 'abc', ' ', '', '83.', '.5', '+83', '83,25', '1234567', '0x10', 'NaN', 'Infinity'])(
    'refuses %j with a BAD_USER_INPUT naming the field',
    (raw) => {
      let error: unknown;
      try {
        FxRate.parseDecimal(raw, 'USD_INR_RATE');
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'USD_INR_RATE' });
    },
  );
});

describe('FxRate', () => {
  it('refuses a rate that is not a positive whole number of millionths', () => {
    for (const rateMicros of [0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1]) {
      expect(() => usdToInr(rateMicros)).toThrow(InvariantViolation);
    }
  });

  it('converts 44,100 US cents at 85 to 3,748,500 paise', () => {
    const converted = usdToInr(85_000_000).convert(Money.of(44_100, 'USD'));

    expect(converted.equals(Money.of(3_748_500, 'INR'))).toBe(true);
  });

  it('rounds an exact half of a minor unit up', () => {
    // 83.5 paise per cent: 1 cent is 83.5 paise, 3 cents are 250.5 paise.
    const rate = usdToInr(83_500_000);

    expect(rate.convert(Money.of(1, 'USD')).amountMinor).toBe(84);
    expect(rate.convert(Money.of(3, 'USD')).amountMinor).toBe(251);
    expect(rate.convert(Money.of(2, 'USD')).amountMinor).toBe(167);
  });

  it('rounds anything below half a minor unit down and anything above it up', () => {
    expect(usdToInr(83_499_999).convert(Money.of(1, 'USD')).amountMinor).toBe(83);
    expect(usdToInr(83_500_001).convert(Money.of(1, 'USD')).amountMinor).toBe(84);
    expect(usdToInr(1).convert(Money.of(499_999, 'USD')).amountMinor).toBe(0);
    expect(usdToInr(1).convert(Money.of(500_000, 'USD')).amountMinor).toBe(1);
  });

  it('converts zero to zero in the target currency', () => {
    const converted = usdToInr(83_250_000).convert(Money.zero('USD'));

    expect(converted.equals(Money.zero('INR'))).toBe(true);
  });

  it('refuses to convert an amount in a currency other than the one it converts from', () => {
    expect(() => usdToInr(85_000_000).convert(Money.of(100, 'INR'))).toThrow(InvariantViolation);
  });

  it('refuses to convert a negative amount', () => {
    expect(() => usdToInr(85_000_000).convert(Money.of(-1, 'USD'))).toThrow(InvariantViolation);
  });

  it('refuses a conversion whose result is beyond a safe integer', () => {
    expect(() => usdToInr(999_999_999_999).convert(Money.of(Number.MAX_SAFE_INTEGER, 'USD'))).toThrow(InvariantViolation);
  });

  it('converts every amount to the nearest minor unit, halves up', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000_000 }), fc.integer({ min: 1, max: 999_999_999 }), (amount, rateMicros) => {
        expect(usdToInr(rateMicros).convert(Money.of(amount, 'USD')).amountMinor).toBe(expectedConversion(amount, rateMicros));
      }),
    );
  });

  it('converts a sum to within one minor unit of the sum of the conversions', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000_000 }),
        fc.integer({ min: 0, max: 1_000_000_000 }),
        fc.integer({ min: 1, max: 999_999_999 }),
        (a, b, rateMicros) => {
          const rate = usdToInr(rateMicros);
          const separately = rate.convert(Money.of(a, 'USD')).add(rate.convert(Money.of(b, 'USD')));
          const together = rate.convert(Money.of(a + b, 'USD'));

          expect(Math.abs(separately.amountMinor - together.amountMinor)).toBeLessThanOrEqual(1);
        },
      ),
    );
  });

  it('prints a rate as its shortest decimal', () => {
    expect(usdToInr(83_250_000).toDecimalString()).toBe('83.25');
    expect(usdToInr(85_000_000).toDecimalString()).toBe('85');
    expect(usdToInr(1).toDecimalString()).toBe('0.000001');
    expect(usdToInr(83_123_456).toDecimalString()).toBe('83.123456');
  });

  it('reads back every rate it prints as the same number of millionths', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 999_999_999_999 }), (rateMicros) => {
        expect(FxRate.parseDecimal(usdToInr(rateMicros).toDecimalString(), 'rate')).toBe(rateMicros);
      }),
    );
  });

  it('prints every decimal it reads in canonical form, without trailing zeros', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 999_999 }),
        fc.stringMatching(/^[0-9]{1,6}$/),
        (whole, fraction) => {
          const raw = `${whole}.${fraction}`;
          fc.pre(Number(raw) > 0);
          const printed = usdToInr(FxRate.parseDecimal(raw, 'rate')).toDecimalString();

          expect(printed).toBe(fraction.replace(/0+$/, '') ? `${whole}.${fraction.replace(/0+$/, '')}` : String(whole));
        },
      ),
    );
  });
});

describe('FxRate.snapshot', () => {
  it('keeps the rate, its source and quote time beside the amount it converted from', () => {
    expect(usdToInr(83_250_000).snapshot(Money.of(1_000, 'USD'))).toEqual({
      rateMicros: 83_250_000,
      source: 'test',
      quotedAt: QUOTED_AT,
      baseAmountMinor: 1_000,
    });
  });

  it('refuses a base amount in a currency the rate does not convert from', () => {
    expect(() => usdToInr(83_250_000).snapshot(Money.of(1_000, 'INR'))).toThrow(InvariantViolation);
  });
});
