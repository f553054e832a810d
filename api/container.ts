import { randomBytes } from 'node:crypto';
import { Container, ContainerModule, type Newable } from 'inversify';
import { HeaderCountryResolver } from '../adapters/country/header.country-resolver.ts';
import { ConfiguredFxRates } from '../adapters/fx/configured.fx-rates.ts';
import { InMemoryAccountPlanRepository } from '../adapters/in-memory/in-memory.account-plan.repository.ts';
import { InMemoryCheckoutSessionRepository } from '../adapters/in-memory/in-memory.checkout-session.repository.ts';
import { InMemoryInvoiceRepository } from '../adapters/in-memory/in-memory.invoice.repository.ts';
import { InMemoryDuplicateSubscriptionRepository } from '../adapters/in-memory/in-memory.duplicate-subscription.repository.ts';
import { InMemoryPlanChangeRepository } from '../adapters/in-memory/in-memory.plan-change.repository.ts';
import { InMemoryUnitOfWork } from '../adapters/in-memory/in-memory.unit-of-work.ts';
import { InMemoryWalletLedger } from '../adapters/in-memory/in-memory.wallet-ledger.ts';
import { InMemoryPayoutRepository } from '../adapters/in-memory/in-memory.payout.repository.ts';
import { InMemoryProviderEventInbox } from '../adapters/in-memory/in-memory.provider-event-inbox.ts';
import { PollingLoop } from '../adapters/jobs/polling-loop.ts';
import type { Database } from '../adapters/persistence/database.ts';
import { MikroOrmAccountPlanRepository } from '../adapters/persistence/mikro-orm.account-plan.repository.ts';
import { MikroOrmCheckoutSessionRepository } from '../adapters/persistence/mikro-orm.checkout-session.repository.ts';
import { MikroOrmDuplicateSubscriptionRepository } from '../adapters/persistence/mikro-orm.duplicate-subscription.repository.ts';
import { MikroOrmPlanChangeRepository } from '../adapters/persistence/mikro-orm.plan-change.repository.ts';
import { MikroOrmRequestScope } from '../adapters/persistence/mikro-orm.request-scope.ts';
import { MikroOrmUnitOfWork } from '../adapters/persistence/mikro-orm.unit-of-work.ts';
import { SqlInvoiceRepository } from '../adapters/persistence/sql.invoice.repository.ts';
import { SqlWalletLedger } from '../adapters/persistence/sql.wallet-ledger.ts';
import { SqlLedgerAudit } from '../adapters/persistence/sql.ledger-audit.ts';
import { InMemoryLedgerAudit } from '../adapters/in-memory/in-memory.ledger-audit.ts';
import { AuditLedger } from '../application/wallet/audit-ledger.use-case.ts';
import { LEDGER_AUDIT, type LedgerAudit } from '../application/wallet/ledger-audit.port.ts';
import { SqlPayoutRepository } from '../adapters/persistence/sql.payout.repository.ts';
import { SqlProviderEventInbox } from '../adapters/persistence/sql.provider-event-inbox.ts';
import { RazorpayClient } from '../adapters/razorpay/razorpay.client.ts';
import { RazorpayPaymentGateway } from '../adapters/razorpay/razorpay.payment-gateway.ts';
import { RazorpayPayoutGateway } from '../adapters/razorpay/razorpay.payout-gateway.ts';
import { RazorpayWebhooks } from '../adapters/razorpay/razorpay.webhooks.ts';
import { SandboxPaymentGateway } from '../adapters/sandbox/sandbox.payment-gateway.ts';
import { SandboxPayoutGateway } from '../adapters/sandbox/sandbox.payout-gateway.ts';
import { SandboxProvider } from '../adapters/sandbox/sandbox.provider.ts';
import { SandboxClock } from '../adapters/sandbox/sandbox.clock.ts';
import { SandboxEvents } from '../adapters/sandbox/sandbox.events.ts';
import { InMemorySandboxStore, type SandboxStore } from '../adapters/sandbox/sandbox.store.ts';
import { SqlSandboxStore } from '../adapters/persistence/sql.sandbox-store.ts';
import { StripePaymentGateway } from '../adapters/stripe/stripe.payment-gateway.ts';
import { StripePayoutGateway } from '../adapters/stripe/stripe.payout-gateway.ts';
import { StripeWebhooks } from '../adapters/stripe/stripe.webhooks.ts';
import { SystemClock } from '../adapters/system/system.clock.ts';
import { UuidV7IdGenerator } from '../adapters/system/uuid-v7.id-generator.ts';
import { AdjustPlan } from '../application/admin/adjust-plan.use-case.ts';
import { LookUpAccount } from '../application/admin/look-up-account.use-case.ts';
import { AccountOpener } from '../application/billing/account-opener.service.ts';
import { ACCOUNT_PLAN_REPOSITORY, type AccountPlanRepository } from '../application/billing/account-plan.repository.ts';
import { ChangePlan } from '../application/billing/change-plan.use-case.ts';
import { CheckoutCompletion } from '../application/billing/checkout-completion.service.ts';
import { CHECKOUT_SESSION_REPOSITORY, type CheckoutSessionRepository } from '../application/billing/checkout-session.repository.ts';
import { CloseEarlierPlanCheckouts } from '../application/billing/close-earlier-plan-checkouts.service.ts';
import { DUPLICATE_SUBSCRIPTION_REPOSITORY, type DuplicateSubscriptionRepository } from '../application/billing/duplicate-subscription.repository.ts';
import { ListDuplicateSubscriptions } from '../application/billing/list-duplicate-subscriptions.use-case.ts';
import { SettleDuplicateSubscriptions } from '../application/billing/settle-duplicate-subscriptions.use-case.ts';
import { COUNTRY_RESOLVER, type CountryResolver } from '../application/billing/country-resolver.port.ts';
import { FX_RATES, type FxRates } from '../application/billing/fx-rates.port.ts';
import { GetBillingState } from '../application/billing/get-billing-state.use-case.ts';
import { ListPlans } from '../application/billing/list-plans.use-case.ts';
import { HostedCheckouts } from '../application/billing/hosted-checkouts.service.ts';
import { INVOICE_REPOSITORY, type InvoiceRepository } from '../application/billing/invoice.repository.ts';
import { ListInvoices } from '../application/billing/list-invoices.use-case.ts';
import { CancelSubscription } from '../application/billing/cancel-subscription.use-case.ts';
import { ChangeBillingInterval } from '../application/billing/change-billing-interval.use-case.ts';
import { CreatePortalSession } from '../application/billing/create-portal-session.use-case.ts';
import { PAYMENT_GATEWAYS, type PaymentGateway, type PaymentGateways } from '../application/billing/payment-gateway.port.ts';
import { PLAN_CHANGE_REPOSITORY, type PlanChangeRepository } from '../application/billing/plan-change.repository.ts';
import { PlanChangeCompletion } from '../application/billing/plan-change-completion.service.ts';
import { PlanPricing } from '../application/billing/plan-pricing.service.ts';
import { ReconcileCheckouts } from '../application/billing/reconcile-checkouts.use-case.ts';
import { EndGracePeriods } from '../application/billing/end-grace-periods.use-case.ts';
import { EndUnrenewedPeriods } from '../application/billing/end-unrenewed-periods.use-case.ts';
import { RegisterAccount } from '../application/billing/register-account.use-case.ts';
import { StartPlanCheckout } from '../application/billing/start-plan-checkout.use-case.ts';
import { SyncCheckout } from '../application/billing/sync-checkout.use-case.ts';
import { SyncSubscription } from '../application/billing/sync-subscription.use-case.ts';
import { OpenCheckoutPage } from '../application/billing/open-checkout-page.use-case.ts';
import { RenewalPayments } from '../application/billing/renewal-payments.use-case.ts';
import { OwnBillingPortal } from '../application/billing/own-billing-portal.use-case.ts';
import { SIGNED_LINKS, type SignedLinks } from '../application/shared/signed-links.port.ts';
import { JoseSignedLinks } from '../adapters/shared/jose.signed-links.ts';
import { ConfirmPlanChange } from '../application/billing/confirm-plan-change.use-case.ts';
import { ReturnFromCheckout } from '../application/billing/return-from-checkout.use-case.ts';
import { VerifyCheckoutSession } from '../application/billing/verify-checkout-session.use-case.ts';
import { PAYOUT_GATEWAYS, type PayoutGateway, type PayoutGateways } from '../application/payouts/payout-gateway.port.ts';
import { PAYOUT_REPOSITORY, type PayoutRepository } from '../application/payouts/payout.repository.ts';
import { GetPayout } from '../application/payouts/get-payout.use-case.ts';
import { GetPayoutSettings } from '../application/payouts/get-payout-settings.use-case.ts';
import { ListPayouts } from '../application/payouts/list-payouts.use-case.ts';
import { PayoutTransfers } from '../application/payouts/payout-transfers.service.ts';
import { RequestPayout } from '../application/payouts/request-payout.use-case.ts';
import { ResendUnansweredPayouts } from '../application/payouts/resend-unanswered-payouts.use-case.ts';
import { RetryPayout } from '../application/payouts/retry-payout.use-case.ts';
import { RunScheduledPayouts } from '../application/payouts/run-scheduled-payouts.use-case.ts';
import { StartPayoutOnboarding } from '../application/payouts/start-payout-onboarding.use-case.ts';
import { UpdatePayoutSettings } from '../application/payouts/update-payout-settings.use-case.ts';
import { SyncPayoutObjects } from '../application/payouts/sync-payout-objects.use-case.ts';
import { CLOCK, type Clock } from '../application/shared/clock.port.ts';
import { HEALTH_CHECK } from '../application/shared/health.port.ts';
import { ID_GENERATOR, type IdGenerator } from '../application/shared/id-generator.port.ts';
import { REQUEST_SCOPE, type RequestScope } from '../application/shared/request-scope.port.ts';
import { token, type Token } from '../application/shared/token.ts';
import { UNIT_OF_WORK, type UnitOfWork } from '../application/shared/unit-of-work.port.ts';
import { ChargeToolCall } from '../application/wallet/charge-tool-call.use-case.ts';
import { StartDeposit } from '../application/wallet/start-deposit.use-case.ts';
import { VerifyDeposit } from '../application/wallet/verify-deposit.use-case.ts';
import { WALLET_LEDGER, type WalletLedger } from '../application/wallet/wallet-ledger.port.ts';
import { SyncDepositReversals } from '../application/wallet/sync-deposit-reversals.use-case.ts';
import { AdjustWallet } from '../application/wallet/adjust-wallet.use-case.ts';
import { WalletQueries } from '../application/wallet/wallet-queries.service.ts';
import { ApplyProviderEvents, type SettledEvent } from '../application/webhooks/apply-provider-events.use-case.ts';
import { PROVIDER_EVENT_INBOX, type ProviderEventInbox } from '../application/webhooks/provider-event-inbox.port.ts';
import { ReceiveProviderEvent } from '../application/webhooks/receive-provider-event.use-case.ts';
import { ListWebhookEvents } from '../application/webhooks/list-webhook-events.use-case.ts';
import { ReplayWebhookEvent } from '../application/webhooks/replay-webhook-event.use-case.ts';
import type { PaymentGatewayName } from '../domain/billing/plan.value-objects.ts';
import { JwtVerifier } from './auth/jwt-verifier.ts';
import type { AppConfig } from './config.ts';
import { Metrics } from './http/metrics.ts';
import { SandboxLifecycle } from './sandbox-lifecycle.ts';
import type { Logger } from './logger.ts';

export const LOGGER = token<Logger>('Logger');
export const CONFIG = token<AppConfig>('AppConfig');
export const JWT_VERIFIER = token<JwtVerifier>('JwtVerifier');
export const STRIPE_WEBHOOKS = token<StripeWebhooks>('StripeWebhooks');
export const RAZORPAY_WEBHOOKS = token<RazorpayWebhooks>('RazorpayWebhooks');
export const METRICS = token<Metrics>('Metrics');
/** This process's workers applying provider events from the inbox: started by the server, woken by deliveries. */
export const INBOX_WORKERS = token<PollingLoop>('InboxWorkers');
/** One run of this process's workers, counted in the metrics: what the loop runs, and what tests call. */
export const INBOX_STEP = token<() => Promise<SettledEvent[]>>('InboxStep');
/** Bound only while the sandbox serves a region; its hosted pages are mounted then. */
export const SANDBOX_PROVIDER = token<SandboxProvider>('SandboxProvider');
/** The sandbox's test clock, which the service's own work follows while the sandbox serves a region. */
export const SANDBOX_CLOCK = token<SandboxClock>('SandboxClock');
/** The events the sandbox sends to this service's webhook routes. */
export const SANDBOX_EVENTS = token<SandboxEvents>('SandboxEvents');
/** What advances the sandbox's clock and lets the whole lifecycle catch up. */
export const SANDBOX_LIFECYCLE = token<SandboxLifecycle>('SandboxLifecycle');

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
  /** Replaces the payout gateway of a region, likewise. */
  readonly payoutGateways?: Partial<Record<PaymentGatewayName, PayoutGateway>> | undefined;
}

/**
 * The composition root: the only place that names concrete adapters. Factories with explicit
 * dependency lists (`toResolvedValue`) keep decorators and reflection out of every other layer.
 */
export function buildContainer(options: ContainerOptions): Container {
  const container = new Container({ defaultScope: 'Singleton' });
  const systemClock = options.clock ?? new SystemClock();
  const ids = new UuidV7IdGenerator();
  const sandbox = servedBySandbox(options) ? sandboxParts(options, systemClock, ids) : null;
  // While the sandbox serves a region the service's work runs on its test clock; tokens and signatures are checked against real time.
  const clock = sandbox?.clock ?? systemClock;
  container.load(
    edgeModule(options, systemClock),
    systemModule(clock, ids),
    options.database ? persistenceModule(options.database) : inMemoryModule(),
    gatewayModule(options, { clock, systemClock, sandbox }),
    applicationModule(options.config, sandbox?.clock ?? null),
  );
  if (sandbox) container.load(sandboxModule(options.config, sandbox));
  return container;
}

/** Whether any region's payments or payouts go through the sandbox: no keys for it, and no replacement given. */
function servedBySandbox({ config, gateways, payoutGateways }: ContainerOptions): boolean {
  const sandboxFor = (region: PaymentGatewayName) => !config[region] && (!gateways?.[region] || !payoutGateways?.[region]);
  return sandboxFor('stripe') || sandboxFor('razorpay');
}

/** The sandbox's clock driver: it runs the service's own scheduled work as the clock passes it. */
function sandboxModule(config: AppConfig, sandbox: SandboxParts): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(SANDBOX_LIFECYCLE).toResolvedValue(
      (step: () => Promise<SettledEvent[]>, inbox: ProviderEventInbox, scope: RequestScope, periods: EndUnrenewedPeriods, grace: EndGracePeriods, payouts: RunScheduledPayouts, logger: Logger) =>
        new SandboxLifecycle({
          sandbox: sandbox.provider,
          clock: sandbox.clock,
          inbox,
          applyEvents: step,
          endPeriods: () => scope.run(async () => [await periods.execute(), await grace.execute()]),
          runScheduledPayouts: config.payoutSchedule ? (frequency) => scope.run(() => payouts.execute(frequency)) : null,
          logger,
        }),
      [INBOX_STEP, PROVIDER_EVENT_INBOX, REQUEST_SCOPE, EndUnrenewedPeriods, EndGracePeriods, RunScheduledPayouts, LOGGER],
    );
  });
}

interface SandboxParts {
  readonly provider: SandboxProvider;
  readonly clock: SandboxClock;
  readonly events: SandboxEvents;
}

/** The sandbox provider, persisted in the service's database (in memory without one), with its clock and the events it sends. */
function sandboxParts(options: ContainerOptions, systemClock: Clock, ids: IdGenerator): SandboxParts {
  const { config } = options;
  const store: SandboxStore = options.database ? new SqlSandboxStore(options.database.orm) : new InMemorySandboxStore();
  const clock = new SandboxClock(systemClock, store);
  const events = new SandboxEvents({ store, ids, clock, systemClock, secret: config.sandboxWebhookSecret ?? null });
  const provider = new SandboxProvider({ store, events, ids, clock, publicUrl: config.publicUrl ?? `http://localhost:${config.port}` });
  return { provider, clock, events };
}

function edgeModule({ config, logger }: ContainerOptions, clock: Clock): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(CONFIG).toConstantValue(config);
    bind(LOGGER).toConstantValue(logger);
    bind(METRICS).toConstantValue(new Metrics());
    bind(JWT_VERIFIER).toConstantValue(new JwtVerifier(config.jwt, clock));
    bind(SIGNED_LINKS).toConstantValue(new JoseSignedLinks(linkSecret(config), clock));
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

function systemModule(clock: Clock, ids: IdGenerator): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(CLOCK).toConstantValue(clock);
    bind(ID_GENERATOR).toConstantValue(ids);
  });
}

function persistenceModule(database: Database): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(UNIT_OF_WORK).toConstantValue(new MikroOrmUnitOfWork(database.orm));
    bind(REQUEST_SCOPE).toConstantValue(new MikroOrmRequestScope());
    bind(ACCOUNT_PLAN_REPOSITORY).toConstantValue(new MikroOrmAccountPlanRepository(database.orm));
    bind(CHECKOUT_SESSION_REPOSITORY).toConstantValue(new MikroOrmCheckoutSessionRepository(database.orm));
    bind(PLAN_CHANGE_REPOSITORY).toConstantValue(new MikroOrmPlanChangeRepository(database.orm));
    bind(INVOICE_REPOSITORY).toConstantValue(new SqlInvoiceRepository(database.orm));
    bind(DUPLICATE_SUBSCRIPTION_REPOSITORY).toConstantValue(new MikroOrmDuplicateSubscriptionRepository(database.orm));
    bind(WALLET_LEDGER).toConstantValue(new SqlWalletLedger(database.orm));
    bind(LEDGER_AUDIT).toConstantValue(new SqlLedgerAudit(database.orm));
    bind(PROVIDER_EVENT_INBOX).toConstantValue(new SqlProviderEventInbox(database.orm));
    bind(PAYOUT_REPOSITORY).toConstantValue(new SqlPayoutRepository(database.orm));
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
    bind(INVOICE_REPOSITORY).toConstantValue(new InMemoryInvoiceRepository());
    bind(DUPLICATE_SUBSCRIPTION_REPOSITORY).toConstantValue(new InMemoryDuplicateSubscriptionRepository());
    const ledger = new InMemoryWalletLedger();
    bind(WALLET_LEDGER).toConstantValue(ledger);
    bind(LEDGER_AUDIT).toConstantValue(new InMemoryLedgerAudit(ledger));
    bind(PROVIDER_EVENT_INBOX).toConstantValue(new InMemoryProviderEventInbox());
    bind(PAYOUT_REPOSITORY).toConstantValue(new InMemoryPayoutRepository());
    bind(HEALTH_CHECK).toConstantValue({ check: async () => undefined });
  });
}

/** Each region's gateway: the real provider where its keys are configured, else the sandbox. */
function gatewayModule(
  options: ContainerOptions,
  { clock, systemClock, sandbox }: { clock: Clock; systemClock: Clock; sandbox: SandboxParts | null },
): ContainerModule {
  const { config } = options;
  const sandboxFor = (region: PaymentGatewayName) => new SandboxPaymentGateway(sandbox!.provider, { region });
  const stripe =
    options.gateways?.stripe ??
    (config.stripe
      ? new StripePaymentGateway({
          secretKey: config.stripe.secretKey,
          priceIds: config.stripe.priceIds,
          allowPromotionCodes: config.stripe.allowPromotionCodes,
          automaticTax: config.stripe.automaticTax,
          ...optional('api', config.stripe.api),
        })
      : sandboxFor('stripe'));
  const razorpayClient = config.razorpay
    ? new RazorpayClient({ keyId: config.razorpay.keyId, keySecret: config.razorpay.keySecret, ...optional('apiBaseUrl', config.razorpay.apiBaseUrl) })
    : null;
  const publicUrl = config.publicUrl ?? `http://localhost:${config.port}`;
  const razorpay =
    options.gateways?.razorpay ??
    (razorpayClient && config.razorpay
      ? new RazorpayPaymentGateway(razorpayClient, {
          keyId: config.razorpay.keyId,
          keySecret: config.razorpay.keySecret,
          scriptUrl: config.razorpay.checkoutScriptUrl,
          ...razorpayCheckoutUrls(publicUrl),
        })
      : sandboxFor('razorpay'));
  const gateways: PaymentGateways = { for: (name) => (name === 'razorpay' ? razorpay : stripe) };
  const stripePayouts =
    options.payoutGateways?.stripe ??
    (config.stripe ? new StripePayoutGateway({ secretKey: config.stripe.secretKey, ...optional('api', config.stripe.api) }) : new SandboxPayoutGateway(sandbox!.provider, { region: 'stripe' }));
  const razorpayPayouts =
    options.payoutGateways?.razorpay ??
    (razorpayClient ? new RazorpayPayoutGateway(razorpayClient) : new SandboxPayoutGateway(sandbox!.provider, { region: 'razorpay' }));
  const payoutGateways: PayoutGateways = { for: (name) => (name === 'razorpay' ? razorpayPayouts : stripePayouts) };

  return new ContainerModule(({ bind }) => {
    bind(PAYMENT_GATEWAYS).toConstantValue(gateways);
    bind(PAYOUT_GATEWAYS).toConstantValue(payoutGateways);
    bind(FX_RATES).toConstantValue(new ConfiguredFxRates(config.inrPerUsdMicros, clock));
    bind(STRIPE_WEBHOOKS).toConstantValue(new StripeWebhooks({ secrets: config.stripeWebhookSecrets, clock: systemClock }));
    bind(RAZORPAY_WEBHOOKS).toConstantValue(new RazorpayWebhooks({ secrets: config.razorpayWebhookSecrets }));
    if (sandbox) {
      bind(SANDBOX_PROVIDER).toConstantValue(sandbox.provider);
      bind(SANDBOX_CLOCK).toConstantValue(sandbox.clock);
      bind(SANDBOX_EVENTS).toConstantValue(sandbox.events);
    }
  });
}

/** Every port the use cases need, resolved once from whichever adapters were bound. */
interface Ports {
  readonly accounts: AccountPlanRepository;
  readonly sessions: CheckoutSessionRepository;
  readonly planChanges: PlanChangeRepository;
  readonly invoices: InvoiceRepository;
  readonly ledger: WalletLedger;
  readonly inbox: ProviderEventInbox;
  readonly payouts: PayoutRepository;
  readonly gateways: PaymentGateways;
  readonly payoutGateways: PayoutGateways;
  readonly countries: CountryResolver;
  readonly rates: FxRates;
  readonly uow: UnitOfWork;
  readonly ids: IdGenerator;
  readonly clock: Clock;
  readonly duplicates: DuplicateSubscriptionRepository;
}
const PORTS = token<Ports>('Ports');

function applicationModule(config: AppConfig, sandboxClock: SandboxClock | null): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(PORTS).toResolvedValue(
      (accounts, sessions, planChanges, invoices, ledger, inbox, payouts, gateways, payoutGateways, countries, rates, uow, ids, clock, duplicates) =>
        ({ accounts, sessions, planChanges, invoices, ledger, inbox, payouts, gateways, payoutGateways, countries, rates, uow, ids, clock, duplicates }) as Ports,
      [
        ACCOUNT_PLAN_REPOSITORY,
        CHECKOUT_SESSION_REPOSITORY,
        PLAN_CHANGE_REPOSITORY,
        INVOICE_REPOSITORY,
        WALLET_LEDGER,
        PROVIDER_EVENT_INBOX,
        PAYOUT_REPOSITORY,
        PAYMENT_GATEWAYS,
        PAYOUT_GATEWAYS,
        COUNTRY_RESOLVER,
        FX_RATES,
        UNIT_OF_WORK,
        ID_GENERATOR,
        CLOCK,
        DUPLICATE_SUBSCRIPTION_REPOSITORY,
      ],
    );
    const use = <T>(id: Newable<T>, build: (ports: Ports) => T) => bind(id).toResolvedValue(build, [PORTS]);
    const redirects = config.redirectAllowList;
    const graceMs = config.pastDueGraceDays * DAY_MS;
    // Where this server's own pages are (the server fills it in when PUBLIC_URL is not set).
    const publicUrl = config.publicUrl ?? `http://localhost:${config.port}`;

    use(AccountOpener, (p) => new AccountOpener(p.accounts, p.countries, p.clock));
    use(HostedCheckouts, (p) => new HostedCheckouts(p.sessions, p.gateways));
    use(PlanPricing, (p) => new PlanPricing(p.rates));
    use(SettleDuplicateSubscriptions, (p) => new SettleDuplicateSubscriptions(p));
    bind(CheckoutCompletion).toResolvedValue(
      (p: Ports, duplicates: SettleDuplicateSubscriptions) => new CheckoutCompletion({ ...p, graceMs, settleDuplicates: (userId) => duplicates.execute({ userId }) }),
      [PORTS, SettleDuplicateSubscriptions],
    );
    bind(CloseEarlierPlanCheckouts).toResolvedValue(
      (p: Ports, completion: CheckoutCompletion) => new CloseEarlierPlanCheckouts({ ...p, completion }),
      [PORTS, CheckoutCompletion],
    );
    use(ListDuplicateSubscriptions, (p) => new ListDuplicateSubscriptions(p.duplicates));
    use(PlanChangeCompletion, (p) => new PlanChangeCompletion({ ...p, graceMs }));
    bind(RegisterAccount).toResolvedValue((opener: AccountOpener) => new RegisterAccount(opener), [AccountOpener]);
    bind(GetBillingState).toResolvedValue((opener: AccountOpener) => new GetBillingState(opener), [AccountOpener]);
    bind(ListPlans).toResolvedValue((opener: AccountOpener, pricing: PlanPricing) => new ListPlans(opener, pricing), [AccountOpener, PlanPricing]);
    use(ListInvoices, (p) => new ListInvoices(p.invoices));
    bind(StartPlanCheckout).toResolvedValue(
      (p: Ports, opener: AccountOpener, checkouts: HostedCheckouts, pricing: PlanPricing, earlierCheckouts: CloseEarlierPlanCheckouts) =>
        new StartPlanCheckout({ opener, checkouts, pricing, redirects, ids: p.ids, clock: p.clock, earlierCheckouts }),
      [PORTS, AccountOpener, HostedCheckouts, PlanPricing, CloseEarlierPlanCheckouts],
    );
    bind(VerifyCheckoutSession).toResolvedValue(
      (p: Ports, completion: CheckoutCompletion, planChanges: PlanChangeCompletion) => new VerifyCheckoutSession(p.accounts, completion, planChanges),
      [PORTS, CheckoutCompletion, PlanChangeCompletion],
    );
    bind(ChangePlan).toResolvedValue(
      (p: Ports, pricing: PlanPricing, completion: PlanChangeCompletion) => new ChangePlan({ ...p, pricing, completion }),
      [PORTS, PlanPricing, PlanChangeCompletion],
    );
    bind(OwnBillingPortal).toResolvedValue(
      (p: Ports, pricing: PlanPricing, links: SignedLinks, cancel: CancelSubscription, startPlanCheckout: StartPlanCheckout) =>
        new OwnBillingPortal({ ...p, pricing, links, redirects, cancel, startPlanCheckout, pageUrl: `${publicUrl}/api/billing/portal/page` }),
      [PORTS, PlanPricing, SIGNED_LINKS, CancelSubscription, StartPlanCheckout],
    );
    bind(CreatePortalSession).toResolvedValue(
      (p: Ports, opener: AccountOpener, ownPortal: OwnBillingPortal) => new CreatePortalSession({ opener, gateways: p.gateways, redirects, ownPortal }),
      [PORTS, AccountOpener, OwnBillingPortal],
    );
    bind(CancelSubscription).toResolvedValue((p: Ports, opener: AccountOpener) => new CancelSubscription(p), [PORTS, AccountOpener]);
    bind(ChangeBillingInterval).toResolvedValue(
      (p: Ports, opener: AccountOpener, pricing: PlanPricing) => new ChangeBillingInterval({ ...p, pricing }),
      [PORTS, AccountOpener, PlanPricing],
    );
    use(OpenCheckoutPage, (p) => new OpenCheckoutPage(p.sessions, p.gateways));
    bind(RenewalPayments).toResolvedValue(
      (p: Ports, pricing: PlanPricing, checkouts: HostedCheckouts, completion: CheckoutCompletion, links: SignedLinks) =>
        new RenewalPayments({ ...p, pricing, checkouts, completion, links, renewalUrl: `${publicUrl}/api/billing/renewal`, donePageUrl: `${publicUrl}/api/billing/renewal/done` }),
      [PORTS, PlanPricing, HostedCheckouts, CheckoutCompletion, SIGNED_LINKS],
    );
    bind(ConfirmPlanChange).toResolvedValue(
      (p: Ports, completion: PlanChangeCompletion) => new ConfirmPlanChange({ ...p, completion }),
      [PORTS, PlanChangeCompletion],
    );
    bind(ReturnFromCheckout).toResolvedValue(
      (p: Ports, completion: CheckoutCompletion) => new ReturnFromCheckout(p.sessions, p.gateways, completion),
      [PORTS, CheckoutCompletion],
    );
    bind(StartDeposit).toResolvedValue(
      (p: Ports, opener: AccountOpener, checkouts: HostedCheckouts) =>
        new StartDeposit({ opener, checkouts, rates: p.rates, redirects, ids: p.ids, clock: p.clock }),
      [PORTS, AccountOpener, HostedCheckouts],
    );
    bind(ReconcileCheckouts).toResolvedValue(
      (p: Ports, completion: CheckoutCompletion, planChanges: PlanChangeCompletion) => new ReconcileCheckouts(p.sessions, completion, p.clock, planChanges),
      [PORTS, CheckoutCompletion, PlanChangeCompletion],
    );
    use(EndGracePeriods, (p) => new EndGracePeriods({ ...p, graceMs }));
    use(EndUnrenewedPeriods, (p) => new EndUnrenewedPeriods({ ...p, graceMs }));
    bind(VerifyDeposit).toResolvedValue((completion: CheckoutCompletion) => new VerifyDeposit(completion), [CheckoutCompletion]);
    use(ChargeToolCall, (p) => new ChargeToolCall({ ...p, feeBps: config.marketplaceFeeBps }));
    use(WalletQueries, (p) => new WalletQueries(p.ledger));
    bind(AuditLedger).toResolvedValue((audit: LedgerAudit) => new AuditLedger(audit), [LEDGER_AUDIT]);
    use(AdjustWallet, (p) => new AdjustWallet(p));
    use(AdjustPlan, (p) => new AdjustPlan(p));
    bind(LookUpAccount).toResolvedValue((p: Ports, walletQueries: WalletQueries) => new LookUpAccount({ ...p, walletQueries }), [PORTS, WalletQueries]);
    bind(PayoutTransfers).toResolvedValue((p: Ports, opener: AccountOpener) => new PayoutTransfers({ ...p, opener }), [PORTS, AccountOpener]);
    const payouts = <T>(id: Newable<T>, build: (p: Ports, transfers: PayoutTransfers) => T) =>
      bind(id).toResolvedValue(build, [PORTS, PayoutTransfers]);
    payouts(StartPayoutOnboarding, (p, transfers) => new StartPayoutOnboarding({ ...p, transfers, redirects }));
    payouts(GetPayoutSettings, (p, transfers) => new GetPayoutSettings({ ...p, transfers }));
    use(GetPayout, (p) => new GetPayout(p));
    use(ListPayouts, (p) => new ListPayouts(p));
    payouts(UpdatePayoutSettings, (p, transfers) => new UpdatePayoutSettings({ ...p, transfers }));
    payouts(RequestPayout, (_p, transfers) => new RequestPayout(transfers));
    payouts(RetryPayout, (p, transfers) => new RetryPayout({ ...p, transfers }));
    payouts(RunScheduledPayouts, (p, transfers) => new RunScheduledPayouts({ ...p, transfers }));
    payouts(ResendUnansweredPayouts, (p, transfers) => new ResendUnansweredPayouts({ ...p, transfers }));
    providerEventsModule(bind, graceMs, sandboxClock);
  });
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** This server's pages for Razorpay: opening Checkout for a subscription, the callback Checkout posts to, confirming a change of plan (api/rest/billing.routes.ts). */
export function razorpayCheckoutUrls(publicUrl: string): { readonly checkoutPageUrl: string; readonly callbackUrl: string; readonly planChangePageUrl: string } {
  return {
    checkoutPageUrl: `${publicUrl}/api/billing/razorpay/checkout`,
    callbackUrl: `${publicUrl}/api/billing/razorpay/callback`,
    planChangePageUrl: `${publicUrl}/api/billing/plan-change`,
  };
}

/** `{ [key]: value }`, or nothing when the value is absent (options are `exactOptionalPropertyTypes`). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
/** How often an idle process looks for provider events to apply that another process received. */
const INBOX_POLL_MS = 250;
/** How long a woken worker waits for more deliveries to take with the first: a renewal's events come together. */
const INBOX_GATHER_MS = 10;

/** The inbox's workers, the reads of each kind of provider object they apply, and the edges that record and replay events. */
function providerEventsModule(bind: Parameters<ConstructorParameters<typeof ContainerModule>[0]>[0]['bind'], graceMs: number, sandboxClock: SandboxClock | null): void {
  bind(SyncCheckout).toResolvedValue((p: Ports, completion: CheckoutCompletion) => new SyncCheckout(p.sessions, completion, p.gateways), [PORTS, CheckoutCompletion]);
  bind(SyncSubscription).toResolvedValue((p: Ports, checkouts: SyncCheckout) => new SyncSubscription({ ...p, checkouts, graceMs }), [PORTS, SyncCheckout]);
  bind(SyncDepositReversals).toResolvedValue((p: Ports, checkouts: SyncCheckout) => new SyncDepositReversals({ ...p, checkouts }), [PORTS, SyncCheckout]);
  bind(SyncPayoutObjects).toResolvedValue((p: Ports, transfers: PayoutTransfers) => new SyncPayoutObjects({ ...p, transfers }), [PORTS, PayoutTransfers]);
  bind(ApplyProviderEvents).toResolvedValue(
    (p: Ports, checkouts: SyncCheckout, subscriptions: SyncSubscription, reversals: SyncDepositReversals, payoutObjects: SyncPayoutObjects) =>
      new ApplyProviderEvents({
        inbox: p.inbox,
        uow: p.uow,
        clock: p.clock,
        owner: `worker:${process.pid}:${p.ids.next()}`,
        syncs: {
          checkout: (provider, subject) => checkouts.prepare(provider, subject),
          subscription: (provider, subject) => subscriptions.prepare(provider, subject),
          payment: (provider, subject) => reversals.preparePayment(provider, subject),
          dispute: (provider, subject) => reversals.prepareDispute(provider, subject),
          account: (provider, subject) => payoutObjects.prepareAccount(provider, subject),
          transfer: (provider, subject) => payoutObjects.prepareTransfer(provider, subject),
        },
      }),
    [PORTS, SyncCheckout, SyncSubscription, SyncDepositReversals, SyncPayoutObjects],
  );
  bind(INBOX_STEP).toResolvedValue(
    (scope: RequestScope, apply: ApplyProviderEvents, metrics: Metrics, duplicates: SettleDuplicateSubscriptions) => async () => {
      // Another process may have advanced the sandbox's clock: events are applied at its time.
      await sandboxClock?.refresh();
      const settled = await scope.run(() => apply.execute());
      metrics.countProviderEvents(settled);
      // A completion applied may have found a second subscription: it is canceled and refunded now, outside the events' transaction.
      if (settled.some((event) => event.status === 'applied')) await scope.run(() => duplicates.execute());
      return settled;
    },
    [REQUEST_SCOPE, ApplyProviderEvents, METRICS, SettleDuplicateSubscriptions],
  );
  bind(INBOX_WORKERS).toResolvedValue(
    (step: () => Promise<SettledEvent[]>, logger: Logger) =>
      new PollingLoop({
        step: async () => (await step()).length > 0,
        idleMs: INBOX_POLL_MS,
        gatherMs: INBOX_GATHER_MS,
        onError: (error) => logger.error({ err: error }, 'applying provider events failed'),
      }),
    [INBOX_STEP, LOGGER],
  );
  bind(ReceiveProviderEvent).toResolvedValue((p: Ports, workers: PollingLoop) => new ReceiveProviderEvent(p.inbox, p.clock, () => workers.wake()), [PORTS, INBOX_WORKERS]);
  bind(ListWebhookEvents).toResolvedValue((p: Ports) => new ListWebhookEvents(p.inbox), [PORTS]);
  bind(ReplayWebhookEvent).toResolvedValue((p: Ports, workers: PollingLoop) => new ReplayWebhookEvent(p.inbox, p.clock, () => workers.wake()), [PORTS, INBOX_WORKERS]);
}
