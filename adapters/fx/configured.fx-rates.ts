import type { FxRates } from '../../application/billing/fx-rates.port.ts';
import type { Clock } from '../../application/shared/clock.port.ts';
import { InvariantViolation } from '../../domain/shared/errors.ts';
import { FxRate } from '../../domain/shared/fx-rate.value-object.ts';
import type { Currency } from '../../domain/shared/money.value-object.ts';

/** The rate the deployment configured (INR_PER_USD), quoted at the moment it is asked for. */
export class ConfiguredFxRates implements FxRates {
  private readonly inrPerUsdMicros: number;
  private readonly clock: Clock;

  constructor(inrPerUsdMicros: number, clock: Clock) {
    this.inrPerUsdMicros = inrPerUsdMicros;
    this.clock = clock;
  }

  async quote(from: Currency, to: Currency): Promise<FxRate> {
    if (from !== 'USD' || to !== 'INR') throw new InvariantViolation(`no configured rate from ${from} to ${to}`);
    return FxRate.of({ from, to, rateMicros: this.inrPerUsdMicros, source: 'config:INR_PER_USD', quotedAt: this.clock.now() });
  }
}
