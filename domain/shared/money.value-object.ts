import { InvalidInputError, invariant } from './errors.ts';

export const CURRENCIES = ['USD', 'INR'] as const;
export type Currency = (typeof CURRENCIES)[number];

/**
 * An amount in integer minor units (cents, paise) with its currency.
 *
 * Amounts are safe-integer `number`s, checked on every construction, rather than `bigint`:
 * they cross JSON, GraphQL and the pg driver many times per request, and 2^53 minor units
 * (about 90 trillion dollars) is far beyond any balance this service holds.
 */
export class Money {
  readonly amountMinor: number;
  readonly currency: Currency;

  private constructor(amountMinor: number, currency: Currency) {
    invariant(Number.isSafeInteger(amountMinor), `money must be a safe integer of minor units, got ${amountMinor}`);
    invariant((CURRENCIES as readonly string[]).includes(currency), `unknown currency ${currency}`);
    this.amountMinor = amountMinor;
    this.currency = currency;
  }

  static of(amountMinor: number, currency: Currency): Money {
    return new Money(amountMinor, currency);
  }

  static zero(currency: Currency): Money {
    return new Money(0, currency);
  }

  /** Parses caller input: the amount must be a whole number of minor units. */
  static parse(raw: unknown, currency: Currency, field: string): Money {
    if (typeof raw !== 'number' || !Number.isSafeInteger(raw)) {
      throw new InvalidInputError(field, `${field} must be a whole number of minor units (cents)`);
    }
    return new Money(raw, currency);
  }

  add(other: Money): Money {
    this.assertSameCurrency(other);
    return new Money(this.amountMinor + other.amountMinor, this.currency);
  }

  subtract(other: Money): Money {
    this.assertSameCurrency(other);
    return new Money(this.amountMinor - other.amountMinor, this.currency);
  }

  negate(): Money {
    return new Money(-this.amountMinor, this.currency);
  }

  isNegative(): boolean {
    return this.amountMinor < 0;
  }

  isZero(): boolean {
    return this.amountMinor === 0;
  }

  compare(other: Money): -1 | 0 | 1 {
    this.assertSameCurrency(other);
    return Math.sign(this.amountMinor - other.amountMinor) as -1 | 0 | 1;
  }

  equals(other: Money): boolean {
    return this.currency === other.currency && this.amountMinor === other.amountMinor;
  }

  toString(): string {
    return `${this.amountMinor} ${this.currency} minor units`;
  }

  private assertSameCurrency(other: Money): void {
    invariant(this.currency === other.currency, `cannot combine ${this.currency} with ${other.currency}`);
  }
}
