import { AccountPlan } from '../../domain/billing/account-plan.entity.ts';
import { Country } from '../../domain/billing/country.value-object.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { SignupSignals } from '../shared/requester.ts';
import type { AccountPlanRepository } from './account-plan.repository.ts';
import type { CountryResolver } from './country-resolver.port.ts';

/**
 * Get-or-create of the caller's account on first authenticated use: what signup would have done,
 * with the country from the request's signals (else the default). Used by every user-facing flow.
 */
export class AccountOpener {
  private readonly accounts: AccountPlanRepository;
  private readonly countries: CountryResolver;
  private readonly clock: Clock;

  constructor(deps: { readonly accounts: AccountPlanRepository; readonly countries: CountryResolver; readonly clock: Clock }) {
    this.accounts = deps.accounts;
    this.countries = deps.countries;
    this.clock = deps.clock;
  }

  async open(userId: string, signals: SignupSignals): Promise<AccountPlan> {
    return (await this.accounts.findByUserId(userId)) ?? (await this.register(userId, await this.resolveCountry(signals)));
  }

  register(userId: string, country: Country): Promise<AccountPlan> {
    return this.accounts.insertIfAbsent(AccountPlan.register({ userId, country, now: this.clock.now() }));
  }

  private async resolveCountry(signals: SignupSignals): Promise<Country> {
    return (await this.countries.resolve(signals)) ?? Country.DEFAULT;
  }
}
