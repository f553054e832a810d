import { InvalidInputError } from '../shared/errors.ts';

const ISO_ALPHA_2 = /^[A-Z]{2}$/;
/**
 * Two-letter codes that name no country: ISO's user-assigned ranges (AA, QM–QZ, XA–XZ but XK,
 * which Cloudflare uses for Kosovo, ZZ) and the regions GeoIP databases report (EU, AP).
 * Cloudflare's other non-answers (T1 for Tor and the like) already fail the pattern.
 */
const NOT_A_COUNTRY = /^(AA|ZZ|EU|AP|Q[M-Z]|X[A-JL-Z])$/;

/** An ISO 3166-1 alpha-2 country code, upper case. */
export class Country {
  readonly code: string;

  private constructor(code: string) {
    this.code = code;
  }

  static readonly DEFAULT = new Country('US');

  /** Parses caller input, refusing anything that is not a two-letter country code. */
  static parse(raw: unknown, field = 'country'): Country {
    const country = Country.tryParse(raw);
    if (!country) {
      throw new InvalidInputError(field, `${field} must be a two-letter ISO 3166-1 country code such as "US" or "IN"`);
    }
    return country;
  }

  /** Parses a hint (a token claim, a header): anything unusable is simply no answer. */
  static tryParse(raw: unknown): Country | null {
    if (typeof raw !== 'string') return null;
    const code = raw.trim().toUpperCase();
    if (!ISO_ALPHA_2.test(code) || NOT_A_COUNTRY.test(code)) {
      return null;
    }
    return new Country(code);
  }

  equals(other: Country): boolean {
    return this.code === other.code;
  }

  toString(): string {
    return this.code;
  }
}
