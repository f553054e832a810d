import { randomBytes } from 'node:crypto';
import { ContainerModule } from 'inversify';
import { HeaderCountryResolver } from '../../adapters/country/header.country-resolver.ts';
import { JoseSignedLinks } from '../../adapters/shared/jose.signed-links.ts';
import { COUNTRY_RESOLVER } from '../../application/billing/country-resolver.port.ts';
import { CLOCK, type Clock } from '../../application/shared/clock.port.ts';
import { ID_GENERATOR, type IdGenerator } from '../../application/shared/id-generator.port.ts';
import { SIGNED_LINKS } from '../../application/shared/signed-links.port.ts';
import { JwtVerifier } from '../auth/jwt-verifier.ts';
import type { AppConfig } from '../config.ts';
import { Metrics } from '../http/metrics.ts';
import type { Logger } from '../logger.ts';
import { CONFIG, JWT_VERIFIER, LOGGER, METRICS } from './tokens.ts';

/** What the HTTP edge checks against real time (tokens, signed links) and reads from each request. */
export function edgeModule(config: AppConfig, logger: Logger, systemClock: Clock): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(CONFIG).toConstantValue(config);
    bind(LOGGER).toConstantValue(logger);
    bind(METRICS).toConstantValue(new Metrics());
    bind(JWT_VERIFIER).toConstantValue(new JwtVerifier(config.jwt, systemClock));
    bind(SIGNED_LINKS).toConstantValue(new JoseSignedLinks(linkSecret(config), systemClock));
    bind(COUNTRY_RESOLVER).toConstantValue(new HeaderCountryResolver({ trustCfIpCountry: config.trustCfIpCountry }));
  });
}

/**
 * What signed links (renewal, portal) are derived from: a secret the deployment already keeps
 * (Razorpay's key secret, whose accounts the links serve; else the sandbox's or the JWT secret).
 * With none of them, a secret of this process: its links do not open in another process.
 */
function linkSecret(config: AppConfig): string {
  return config.razorpay?.keySecret ?? config.sandboxWebhookSecret ?? (config.jwt.kind === 'secret' ? config.jwt.secret : randomBytes(32).toString('hex'));
}

/** The clock the service's own work runs on (the sandbox's while it serves a region) and its ids. */
export function systemModule(clock: Clock, ids: IdGenerator): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(CLOCK).toConstantValue(clock);
    bind(ID_GENERATOR).toConstantValue(ids);
  });
}
