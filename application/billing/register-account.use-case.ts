import { AccountPlan } from '../../domain/billing/account-plan.entity.ts';
import { Country } from '../../domain/billing/country.value-object.ts';
import { ConflictError } from '../../domain/shared/errors.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { SignupSignals } from '../shared/requester.ts';
import type { AccountPlanRepository } from './account-plan.repository.ts';
import { toBillingState, type BillingState } from './billing-state.ts';
import type { CountryResolver } from './country-resolver.port.ts';

export interface RegisterAccountInput {
  readonly userId: string;
  /** The country the user stated at signup; when absent it is resolved from `signals`. */
  readonly country?: unknown;
  readonly signals: SignupSignals;
}

/**
 * Opens the user's billing account, choosing its gateway from the country once and for all.
 * Registering again is harmless and returns the account as it is; registering again with a
 * different stated country is a conflict, because the gateway it chose cannot change.
 */
export class RegisterAccount {
  private readonly accounts: AccountPlanRepository;
  private readonly countries: CountryResolver;
  private readonly clock: Clock;

  constructor(accounts: AccountPlanRepository, countries: CountryResolver, clock: Clock) {
    this.accounts = accounts;
    this.countries = countries;
    this.clock = clock;
  }

  async execute(input: RegisterAccountInput): Promise<BillingState> {
    const stated = input.country === undefined || input.country === null ? null : Country.parse(input.country);
    const existing = await this.accounts.findByUserId(input.userId);
    const plan = existing ?? (await this.register(input.userId, stated ?? (await this.resolveCountry(input.signals))));
    if (stated && !plan.country.equals(stated)) {
      throw new ConflictError(
        `this account was registered in ${plan.country.code} and pays through ${plan.paymentGateway}; ` +
          `the payment gateway is decided once, at signup, and cannot be changed by registering again`,
      );
    }
    return toBillingState(plan);
  }

  private register(userId: string, country: Country): Promise<AccountPlan> {
    return this.accounts.insertIfAbsent(AccountPlan.register({ userId, country, now: this.clock.now() }));
  }

  private async resolveCountry(signals: SignupSignals): Promise<Country> {
    return (await this.countries.resolve(signals)) ?? Country.DEFAULT;
  }
}
