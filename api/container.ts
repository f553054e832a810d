import { Container, ContainerModule, type Newable } from 'inversify';
import { HeaderCountryResolver } from '../adapters/country/header.country-resolver.ts';
import { InMemoryAccountPlanRepository } from '../adapters/in-memory/in-memory.account-plan.repository.ts';
import { InMemoryUnitOfWork } from '../adapters/in-memory/in-memory.unit-of-work.ts';
import type { Database } from '../adapters/persistence/database.ts';
import { MikroOrmAccountPlanRepository } from '../adapters/persistence/mikro-orm.account-plan.repository.ts';
import { MikroOrmUnitOfWork } from '../adapters/persistence/mikro-orm.unit-of-work.ts';
import { SystemClock } from '../adapters/system/system.clock.ts';
import { UuidV7IdGenerator } from '../adapters/system/uuid-v7.id-generator.ts';
import { ACCOUNT_PLAN_REPOSITORY, type AccountPlanRepository } from '../application/billing/account-plan.repository.ts';
import { COUNTRY_RESOLVER, type CountryResolver } from '../application/billing/country-resolver.port.ts';
import { GetBillingState } from '../application/billing/get-billing-state.use-case.ts';
import { RegisterAccount } from '../application/billing/register-account.use-case.ts';
import { CLOCK, type Clock } from '../application/shared/clock.port.ts';
import { HEALTH_CHECK } from '../application/shared/health.port.ts';
import { ID_GENERATOR } from '../application/shared/id-generator.port.ts';
import { token, type Token } from '../application/shared/token.ts';
import { UNIT_OF_WORK } from '../application/shared/unit-of-work.port.ts';
import { JwtVerifier } from './auth/jwt-verifier.ts';
import type { AppConfig } from './config.ts';
import type { Logger } from './logger.ts';

export const LOGGER = token<Logger>('Logger');
export const JWT_VERIFIER = token<JwtVerifier>('JwtVerifier');

/** What the container can hand out: a typed token, or an application service's own class. */
export type ServiceId<T> = Token<T> | Newable<T>;

export function resolve<T>(container: Container, id: ServiceId<T>): T {
  return container.get<T>(id);
}

export interface ContainerOptions {
  readonly config: AppConfig;
  readonly logger: Logger;
  /** The opened database; without one every repository is in memory (tests, demos). */
  readonly database?: Database | undefined;
  /** Replaces the system clock, for tests that control time. */
  readonly clock?: Clock | undefined;
}

/**
 * The composition root: the only place that names concrete adapters. Factories with explicit
 * dependency lists (`toResolvedValue`) keep decorators and reflection out of every other layer.
 */
export function buildContainer(options: ContainerOptions): Container {
  const container = new Container({ defaultScope: 'Singleton' });
  container.load(
    edgeModule(options),
    systemModule(options.clock ?? new SystemClock()),
    options.database ? persistenceModule(options.database) : inMemoryModule(),
    billingModule(),
  );
  return container;
}

function edgeModule({ config, logger }: ContainerOptions): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(LOGGER).toConstantValue(logger);
    bind(JWT_VERIFIER).toConstantValue(new JwtVerifier(config.jwt));
    bind(COUNTRY_RESOLVER).toConstantValue(new HeaderCountryResolver({ trustCfIpCountry: config.trustCfIpCountry }));
  });
}

function systemModule(clock: Clock): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(CLOCK).toConstantValue(clock);
    bind(ID_GENERATOR).toConstantValue(new UuidV7IdGenerator());
  });
}

function persistenceModule(database: Database): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(UNIT_OF_WORK).toConstantValue(new MikroOrmUnitOfWork(database.orm));
    bind(ACCOUNT_PLAN_REPOSITORY).toConstantValue(new MikroOrmAccountPlanRepository(database.orm));
    bind(HEALTH_CHECK).toConstantValue({ check: () => database.ping() });
  });
}

function inMemoryModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(UNIT_OF_WORK).toConstantValue(new InMemoryUnitOfWork());
    bind(ACCOUNT_PLAN_REPOSITORY).toConstantValue(new InMemoryAccountPlanRepository());
    bind(HEALTH_CHECK).toConstantValue({ check: async () => undefined });
  });
}

function billingModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(RegisterAccount).toResolvedValue(
      (accounts: AccountPlanRepository, countries: CountryResolver, clock: Clock) => new RegisterAccount(accounts, countries, clock),
      [ACCOUNT_PLAN_REPOSITORY, COUNTRY_RESOLVER, CLOCK],
    );
    bind(GetBillingState).toResolvedValue(
      (accounts: AccountPlanRepository, register: RegisterAccount) => new GetBillingState(accounts, register),
      [ACCOUNT_PLAN_REPOSITORY, RegisterAccount],
    );
  });
}
