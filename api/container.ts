import { Container, ContainerModule, type Newable } from 'inversify';
import { HeaderCountryResolver } from '../adapters/country/header.country-resolver.ts';
import { ConfiguredFxRates } from '../adapters/fx/configured.fx-rates.ts';
import { InMemoryAccountPlanRepository } from '../adapters/in-memory/in-memory.account-plan.repository.ts';
import { InMemoryCheckoutSessionRepository } from '../adapters/in-memory/in-memory.checkout-session.repository.ts';
import { InMemoryPlanChangeRepository } from '../adapters/in-memory/in-memory.plan-change.repository.ts';
import { InMemoryUnitOfWork } from '../adapters/in-memory/in-memory.unit-of-work.ts';
import type { Database } from '../adapters/persistence/database.ts';
import { MikroOrmAccountPlanRepository } from '../adapters/persistence/mikro-orm.account-plan.repository.ts';
import { MikroOrmCheckoutSessionRepository } from '../adapters/persistence/mikro-orm.checkout-session.repository.ts';
import { MikroOrmPlanChangeRepository } from '../adapters/persistence/mikro-orm.plan-change.repository.ts';
import { MikroOrmRequestScope } from '../adapters/persistence/mikro-orm.request-scope.ts';
import { MikroOrmUnitOfWork } from '../adapters/persistence/mikro-orm.unit-of-work.ts';
import { RazorpayClient } from '../adapters/razorpay/razorpay.client.ts';
import { RazorpayPaymentGateway } from '../adapters/razorpay/razorpay.payment-gateway.ts';
import { SandboxPaymentGateway } from '../adapters/sandbox/sandbox.payment-gateway.ts';
import { SandboxProvider } from '../adapters/sandbox/sandbox.provider.ts';
import { StripePaymentGateway } from '../adapters/stripe/stripe.payment-gateway.ts';
import { SystemClock } from '../adapters/system/system.clock.ts';
import { UuidV7IdGenerator } from '../adapters/system/uuid-v7.id-generator.ts';
import { AccountOpener } from '../application/billing/account-opener.ts';
import { ACCOUNT_PLAN_REPOSITORY, type AccountPlanRepository } from '../application/billing/account-plan.repository.ts';
import { CheckoutCompletion } from '../application/billing/checkout-completion.ts';
import { CHECKOUT_SESSION_REPOSITORY, type CheckoutSessionRepository } from '../application/billing/checkout-session.repository.ts';
import { COUNTRY_RESOLVER, type CountryResolver } from '../application/billing/country-resolver.port.ts';
import { FX_RATES, type FxRates } from '../application/billing/fx-rates.port.ts';
import { GetBillingState } from '../application/billing/get-billing-state.use-case.ts';
import { ListPlans } from '../application/billing/list-plans.use-case.ts';
import {
  CancelSubscription,
  ChangeBillingInterval,
  CreatePortalSession,
  type SubscriptionDeps,
} from '../application/billing/manage-subscription.use-cases.ts';
import { PAYMENT_GATEWAYS, type PaymentGateway, type PaymentGateways } from '../application/billing/payment-gateway.port.ts';
import { PLAN_CHANGE_REPOSITORY, type PlanChangeRepository } from '../application/billing/plan-change.repository.ts';
import { PlanPricing } from '../application/billing/plan-pricing.ts';
import { RegisterAccount } from '../application/billing/register-account.use-case.ts';
import { StartPlanCheckout } from '../application/billing/start-plan-checkout.use-case.ts';
import { VerifyCheckoutSession } from '../application/billing/verify-checkout-session.use-case.ts';
import { CLOCK, type Clock } from '../application/shared/clock.port.ts';
import { HEALTH_CHECK } from '../application/shared/health.port.ts';
import { ID_GENERATOR, type IdGenerator } from '../application/shared/id-generator.port.ts';
import { REQUEST_SCOPE } from '../application/shared/request-scope.port.ts';
import { token, type Token } from '../application/shared/token.ts';
import { UNIT_OF_WORK, type UnitOfWork } from '../application/shared/unit-of-work.port.ts';
import type { PaymentGatewayName } from '../domain/billing/plan.value-objects.ts';
import { JwtVerifier } from './auth/jwt-verifier.ts';
import type { AppConfig } from './config.ts';
import type { Logger } from './logger.ts';

export const LOGGER = token<Logger>('Logger');
export const CONFIG = token<AppConfig>('AppConfig');
export const JWT_VERIFIER = token<JwtVerifier>('JwtVerifier');
/** Bound only while the sandbox serves a region; its hosted pages are mounted then. */
export const SANDBOX_PROVIDER = token<SandboxProvider>('SandboxProvider');
const SUBSCRIPTION_DEPS = token<SubscriptionDeps>('SubscriptionDeps');

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
  /** Replaces the gateway of a region, for tests that drive a provider fake or a failing one. */
  readonly gateways?: Partial<Record<PaymentGatewayName, PaymentGateway>> | undefined;
}

/**
 * The composition root: the only place that names concrete adapters. Factories with explicit
 * dependency lists (`toResolvedValue`) keep decorators and reflection out of every other layer.
 */
export function buildContainer(options: ContainerOptions): Container {
  const container = new Container({ defaultScope: 'Singleton' });
  const clock = options.clock ?? new SystemClock();
  const ids = new UuidV7IdGenerator();
  container.load(
    edgeModule(options),
    systemModule(clock, ids),
    options.database ? persistenceModule(options.database) : inMemoryModule(),
    gatewayModule(options, clock, ids),
    billingModule(options.config),
  );
  return container;
}

function edgeModule({ config, logger }: ContainerOptions): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(CONFIG).toConstantValue(config);
    bind(LOGGER).toConstantValue(logger);
    bind(JWT_VERIFIER).toConstantValue(new JwtVerifier(config.jwt));
    bind(COUNTRY_RESOLVER).toConstantValue(new HeaderCountryResolver({ trustCfIpCountry: config.trustCfIpCountry }));
  });
}

function systemModule(clock: Clock, ids: IdGenerator): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(CLOCK).toConstantValue(clock);
    bind(ID_GENERATOR).toConstantValue(ids);
  });
}

function persistenceModule(database: Database): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(UNIT_OF_WORK).toConstantValue(new MikroOrmUnitOfWork(database.orm));
    bind(REQUEST_SCOPE).toConstantValue(new MikroOrmRequestScope(database.orm));
    bind(ACCOUNT_PLAN_REPOSITORY).toConstantValue(new MikroOrmAccountPlanRepository(database.orm));
    bind(CHECKOUT_SESSION_REPOSITORY).toConstantValue(new MikroOrmCheckoutSessionRepository(database.orm));
    bind(PLAN_CHANGE_REPOSITORY).toConstantValue(new MikroOrmPlanChangeRepository(database.orm));
    bind(HEALTH_CHECK).toConstantValue({ check: () => database.ping() });
  });
}

function inMemoryModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(UNIT_OF_WORK).toConstantValue(new InMemoryUnitOfWork());
    bind(REQUEST_SCOPE).toConstantValue({ run: <T>(work: () => Promise<T>) => work() });
    bind(ACCOUNT_PLAN_REPOSITORY).toConstantValue(new InMemoryAccountPlanRepository());
    bind(CHECKOUT_SESSION_REPOSITORY).toConstantValue(new InMemoryCheckoutSessionRepository());
    bind(PLAN_CHANGE_REPOSITORY).toConstantValue(new InMemoryPlanChangeRepository());
    bind(HEALTH_CHECK).toConstantValue({ check: async () => undefined });
  });
}

/** Each region's gateway: the real provider where its keys are configured, else the sandbox. */
function gatewayModule(options: ContainerOptions, clock: Clock, ids: IdGenerator): ContainerModule {
  const { config } = options;
  let sandbox: SandboxProvider | undefined;
  const sandboxFor = (region: PaymentGatewayName) => {
    sandbox ??= new SandboxProvider({ publicUrl: config.publicUrl ?? `http://localhost:${config.port}`, ids, clock });
    return new SandboxPaymentGateway(sandbox, { region });
  };
  const stripe =
    options.gateways?.stripe ??
    (config.stripe ? new StripePaymentGateway({ secretKey: config.stripe.secretKey, priceIds: config.stripe.priceIds }) : sandboxFor('stripe'));
  const razorpay =
    options.gateways?.razorpay ??
    (config.razorpay
      ? new RazorpayPaymentGateway(new RazorpayClient({ keyId: config.razorpay.keyId, keySecret: config.razorpay.keySecret }))
      : sandboxFor('razorpay'));
  const gateways: PaymentGateways = { for: (name) => (name === 'razorpay' ? razorpay : stripe) };

  return new ContainerModule(({ bind }) => {
    bind(PAYMENT_GATEWAYS).toConstantValue(gateways);
    bind(FX_RATES).toConstantValue(new ConfiguredFxRates(config.inrPerUsdMicros, clock));
    if (sandbox) bind(SANDBOX_PROVIDER).toConstantValue(sandbox);
  });
}

function billingModule(config: AppConfig): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(AccountOpener).toResolvedValue(
      (accounts: AccountPlanRepository, countries: CountryResolver, clock: Clock) => new AccountOpener(accounts, countries, clock),
      [ACCOUNT_PLAN_REPOSITORY, COUNTRY_RESOLVER, CLOCK],
    );
    bind(RegisterAccount).toResolvedValue((opener: AccountOpener) => new RegisterAccount(opener), [AccountOpener]);
    bind(GetBillingState).toResolvedValue((opener: AccountOpener) => new GetBillingState(opener), [AccountOpener]);
    bind(PlanPricing).toResolvedValue((rates: FxRates) => new PlanPricing(rates), [FX_RATES]);
    bind(ListPlans).toResolvedValue((opener: AccountOpener, pricing: PlanPricing) => new ListPlans(opener, pricing), [AccountOpener, PlanPricing]);
    bind(StartPlanCheckout).toResolvedValue(
      (opener: AccountOpener, sessions: CheckoutSessionRepository, gateways: PaymentGateways, pricing: PlanPricing, ids: IdGenerator, clock: Clock) =>
        new StartPlanCheckout({ opener, sessions, gateways, pricing, redirects: config.redirectAllowList, ids, clock }),
      [AccountOpener, CHECKOUT_SESSION_REPOSITORY, PAYMENT_GATEWAYS, PlanPricing, ID_GENERATOR, CLOCK],
    );
    bind(CheckoutCompletion).toResolvedValue(
      (uow: UnitOfWork, sessions: CheckoutSessionRepository, accounts: AccountPlanRepository, planChanges: PlanChangeRepository, ids: IdGenerator, clock: Clock) =>
        new CheckoutCompletion({ uow, sessions, accounts, planChanges, ids, clock }),
      [UNIT_OF_WORK, CHECKOUT_SESSION_REPOSITORY, ACCOUNT_PLAN_REPOSITORY, PLAN_CHANGE_REPOSITORY, ID_GENERATOR, CLOCK],
    );
    bind(VerifyCheckoutSession).toResolvedValue(
      (sessions: CheckoutSessionRepository, accounts: AccountPlanRepository, gateways: PaymentGateways, completion: CheckoutCompletion) =>
        new VerifyCheckoutSession({ sessions, accounts, gateways, completion }),
      [CHECKOUT_SESSION_REPOSITORY, ACCOUNT_PLAN_REPOSITORY, PAYMENT_GATEWAYS, CheckoutCompletion],
    );
    bind(SUBSCRIPTION_DEPS).toResolvedValue(
      (opener: AccountOpener, accounts: AccountPlanRepository, planChanges: PlanChangeRepository, gateways: PaymentGateways, uow: UnitOfWork, ids: IdGenerator, clock: Clock) =>
        ({ opener, accounts, planChanges, gateways, uow, ids, clock }),
      [AccountOpener, ACCOUNT_PLAN_REPOSITORY, PLAN_CHANGE_REPOSITORY, PAYMENT_GATEWAYS, UNIT_OF_WORK, ID_GENERATOR, CLOCK],
    );
    bind(CreatePortalSession).toResolvedValue(
      (deps: SubscriptionDeps) => new CreatePortalSession(deps, config.redirectAllowList),
      [SUBSCRIPTION_DEPS],
    );
    bind(CancelSubscription).toResolvedValue((deps: SubscriptionDeps) => new CancelSubscription(deps), [SUBSCRIPTION_DEPS]);
    bind(ChangeBillingInterval).toResolvedValue((deps: SubscriptionDeps) => new ChangeBillingInterval(deps), [SUBSCRIPTION_DEPS]);
  });
}
