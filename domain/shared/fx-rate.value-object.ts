import { InvalidInputError, invariant } from './errors.ts';
import { Money, type Currency } from './money.value-object.ts';

/** Rates are held as integers of millionths, so conversion is integer arithmetic throughout. */
export const RATE_SCALE = 1_000_000n;

/** What a converted amount keeps of the rate it was converted at. */
export interface FxSnapshot {
  readonly rateMicros: number;
  readonly source: string;
  readonly quotedAt: Date;
  /** The amount the charge was converted from, in the rate's `from` currency (US cents). */
  readonly baseAmountMinor: number;
}

/**
 * A conversion rate as it was quoted, kept beside every converted amount so that any figure
 * can be explained later: which rate, from where, when, and how it was rounded.
 */
export class FxRate {
  readonly from: Currency;
  readonly to: Currency;
  /** Units of `to` per unit of `from`, times 1,000,000. */
  readonly rateMicros: number;
  readonly source: string;
  readonly quotedAt: Date;

  private constructor(from: Currency, to: Currency, rateMicros: number, source: string, quotedAt: Date) {
    invariant(Number.isSafeInteger(rateMicros) && rateMicros > 0, `an FX rate must be a positive integer of millionths, got ${rateMicros}`);
    this.from = from;
    this.to = to;
    this.rateMicros = rateMicros;
    this.source = source;
    this.quotedAt = quotedAt;
  }

  static of(input: { from: Currency; to: Currency; rateMicros: number; source: string; quotedAt: Date }): FxRate {
    return new FxRate(input.from, input.to, input.rateMicros, input.source, input.quotedAt);
  }

  /** Reads a decimal such as "83.25" (at most six decimals) without going through a float. */
  static parseDecimal(raw: string, field: string): number {
    const match = /^(\d{1,6})(?:\.(\d{1,6}))?$/.exec(raw.trim());
    if (!match) throw new InvalidInputError(field, `${field} must be a positive decimal with at most six decimals, e.g. "83.25"`);
    const micros = Number(match[1]) * 1_000_000 + Number((match[2] ?? '').padEnd(6, '0'));
    if (micros <= 0) throw new InvalidInputError(field, `${field} must be greater than zero`);
    return micros;
  }

  /**
   * The one rounding rule for conversions: to the nearest minor unit of the target currency,
   * halves rounded up (away from zero for charges, which are never negative here). Minor units
   * map one to one (cents to paise), so minor × rate is the converted minor amount.
   */
  convert(amount: Money): Money {
    invariant(amount.currency === this.from, `rate converts ${this.from}, not ${amount.currency}`);
    invariant(amount.amountMinor >= 0, 'only non-negative amounts are converted');
    const scaled = BigInt(amount.amountMinor) * BigInt(this.rateMicros);
    const rounded = (scaled + RATE_SCALE / 2n) / RATE_SCALE;
    invariant(rounded <= BigInt(Number.MAX_SAFE_INTEGER), 'converted amount is out of range');
    return Money.of(Number(rounded), this.to);
  }

  /** This rate as kept beside an amount converted from `baseAmount`. */
  snapshot(baseAmount: Money): FxSnapshot {
    invariant(baseAmount.currency === this.from, 'the base amount is in the currency the rate converts from');
    return { rateMicros: this.rateMicros, source: this.source, quotedAt: this.quotedAt, baseAmountMinor: baseAmount.amountMinor };
  }

  /** The rate as a decimal string, for display and logs. */
  toDecimalString(): string {
    const whole = Math.floor(this.rateMicros / 1_000_000);
    const fraction = String(this.rateMicros % 1_000_000).padStart(6, '0').replace(/0+$/, '');
    return fraction ? `${whole}.${fraction}` : String(whole);
  }
}
