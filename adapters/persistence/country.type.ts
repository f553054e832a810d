import { Type } from '@mikro-orm/core';
import { Country } from '../../domain/billing/country.value-object.ts';
import { InvariantViolation } from '../../domain/shared/errors.ts';

/** Stores a Country as its two-letter code and refuses to load a row whose code is not one. */
export class CountryType extends Type<Country, string> {
  override convertToDatabaseValue(value: Country | string): string {
    return typeof value === 'string' ? value : value.code;
  }

  override convertToJSValue(value: Country | string): Country {
    if (value instanceof Country) return value;
    const country = Country.tryParse(value);
    if (!country) throw new InvariantViolation(`stored country ${JSON.stringify(value)} is not a country code`);
    return country;
  }

  override compareAsType(): string {
    return 'string';
  }

  override getColumnType(): string {
    return 'char(2)';
  }
}
