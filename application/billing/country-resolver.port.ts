import type { Country } from '../../domain/billing/country.value-object.ts';
import type { SignupSignals } from '../shared/requester.ts';
import { token } from '../shared/token.ts';

/** Decides a new user's country from what the request tells; null when it cannot tell. */
export interface CountryResolver {
  resolve(signals: SignupSignals): Promise<Country | null>;
}

export const COUNTRY_RESOLVER = token<CountryResolver>('CountryResolver');
