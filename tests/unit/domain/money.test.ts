import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Money } from '../../../domain/shared/money.value-object.ts';
import { InvalidInputError, InvariantViolation } from '../../../domain/shared/errors.ts';

describe('Money', () => {
  it('adds and subtracts in the same currency', () => {
    expect(Money.of(2_500, 'USD').add(Money.of(75, 'USD')).amountMinor).toBe(2_575);
    expect(Money.of(2_500, 'USD').subtract(Money.of(3_000, 'USD')).amountMinor).toBe(-500);
  });

  it('refuses to combine USD with INR', () => {
    expect(() => Money.of(100, 'USD').add(Money.of(100, 'INR'))).toThrow(InvariantViolation);
  });

  it.each([1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])('refuses %s minor units', (amount) => {
    expect(() => Money.of(amount, 'USD')).toThrow(InvariantViolation);
  });

  it.each([12.5, '2500', null, 2 ** 60])('refuses %j as caller input with BAD_USER_INPUT naming the field', (raw) => {
    expect(() => Money.parse(raw, 'USD', 'amount_cents')).toThrow(InvalidInputError);
  });

  it('keeps a + b - b = a for any safe amounts', () => {
    const amount = fc.integer({ min: -(2 ** 50), max: 2 ** 50 });
    fc.assert(
      fc.property(amount, amount, (a, b) => {
        expect(Money.of(a, 'INR').add(Money.of(b, 'INR')).subtract(Money.of(b, 'INR')).equals(Money.of(a, 'INR'))).toBe(true);
      }),
    );
  });
});
