import type { CountryResolver } from '../../application/billing/country-resolver.port.ts';
import type { SignupSignals } from '../../application/shared/requester.ts';
import { Country } from '../../domain/billing/country.value-object.ts';

/**
 * The token's `country` claim first; then Cloudflare's `CF-IPCountry` header, but only where
 * the deployment sits behind Cloudflare (anyone else can send that header); else no answer.
 */
export class HeaderCountryResolver implements CountryResolver {
  private readonly trustCfIpCountry: boolean;

  constructor(options: { readonly trustCfIpCountry: boolean }) {
    this.trustCfIpCountry = options.trustCfIpCountry;
  }

  async resolve(signals: SignupSignals): Promise<Country | null> {
    return (
      Country.tryParse(signals.claimedCountry) ??
      (this.trustCfIpCountry ? Country.tryParse(signals.cfIpCountry) : null)
    );
  }
}
