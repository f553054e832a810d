import { describe, expect, it } from 'vitest';
import { Country } from '../../../domain/billing/country.value-object.ts';
import { selectPaymentGateway } from '../../../domain/billing/gateway-selection.policy.ts';
import { InvalidInputError } from '../../../domain/shared/errors.ts';

describe('Country', () => {
  it.each([
    ['IN', 'IN'],
    ['in', 'IN'],
    [' us ', 'US'],
    ['XK', 'XK'],
    ['QA', 'QA'],
  ])('reads %j as %s', (raw, code) => {
    expect(Country.parse(raw).code).toBe(code);
  });

  it.each(['', 'I', 'IND', 'India', '1N', 'XX', 'ZZ', 'T1', 'EU', 'QZ', 'AA', null, 42, undefined])(
    'refuses %j as a country, naming the field',
    (raw) => {
      expect(() => Country.parse(raw, 'country')).toThrow(InvalidInputError);
      expect(Country.tryParse(raw)).toBeNull();
    },
  );
});

describe('payment gateway selection', () => {
  it('sends India to razorpay', () => {
    expect(selectPaymentGateway(Country.parse('IN'))).toBe('razorpay');
  });

  it.each(['US', 'GB', 'DE', 'SG', 'AE', 'BR', 'NP', 'LK'])('sends %s to stripe', (code) => {
    expect(selectPaymentGateway(Country.parse(code))).toBe('stripe');
  });
});
