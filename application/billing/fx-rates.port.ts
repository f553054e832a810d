import type { FxRate } from '../../domain/shared/fx-rate.value-object.ts';
import type { Currency } from '../../domain/shared/money.value-object.ts';
import { token } from '../shared/token.ts';

/** Quotes the rate to convert between two currencies now. */
export interface FxRates {
  quote(from: Currency, to: Currency): Promise<FxRate>;
}

export const FX_RATES = token<FxRates>('FxRates');
