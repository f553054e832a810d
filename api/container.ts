import { Container } from 'inversify';
import type { Database } from '../adapters/persistence/database.ts';
import { SystemClock } from '../adapters/system/system.clock.ts';
import { UuidV7IdGenerator } from '../adapters/system/uuid-v7.id-generator.ts';
import type { PaymentGateway } from '../application/billing/payment-gateway.port.ts';
import type { PayoutGateway } from '../application/payouts/payout-gateway.port.ts';
import type { Clock } from '../application/shared/clock.port.ts';
import type { PaymentGatewayName } from '../domain/billing/plan.value-objects.ts';
import type { AppConfig } from './config.ts';
import { adminModule } from './container/admin.module.ts';
import { billingModule } from './container/billing.module.ts';
import { edgeModule, systemModule } from './container/edge.module.ts';
import { gatewaysModule } from './container/gateways.module.ts';
import { inMemoryModule } from './container/in-memory.module.ts';
import { payoutsModule } from './container/payouts.module.ts';
import { persistenceModule } from './container/persistence.module.ts';
import { sandboxModule, sandboxParts } from './container/sandbox.module.ts';
import { walletModule } from './container/wallet.module.ts';
import { webhooksModule } from './container/webhooks.module.ts';
import type { ServiceId } from './container/wire.ts';
import type { Logger } from './logger.ts';

export { razorpayCheckoutUrls } from './container/gateways.module.ts';
export {
  CONFIG,
  INBOX_STEP,
  INBOX_WORKERS,
  JWT_VERIFIER,
  LOGGER,
  METRICS,
  RAZORPAY_WEBHOOKS,
  SANDBOX_CLOCK,
  SANDBOX_EVENTS,
  SANDBOX_LIFECYCLE,
  SANDBOX_PROVIDER,
  STRIPE_WEBHOOKS,
} from './container/tokens.ts';

export type { ServiceId } from './container/wire.ts';

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
 * The composition root: the only place, with its modules in `container/`, that names concrete
 * adapters. Adapters are bound as the values this function builds; each use case and service is
 * built by `wire`, naming exactly the ports and services it uses, which keeps decorators and
 * reflection out of every other layer.
 */
export function buildContainer(options: ContainerOptions): Container {
  const { config, logger, database } = options;
  const container = new Container({ defaultScope: 'Singleton' });
  const systemClock = options.clock ?? new SystemClock();
  const ids = new UuidV7IdGenerator();
  const sandbox = servedBySandbox(options) ? sandboxParts(config, database, systemClock, ids) : null;
  // While the sandbox serves a region the service's work runs on its test clock; tokens and signatures are checked against real time.
  const clock = sandbox?.clock ?? systemClock;
  container.load(
    edgeModule(config, logger, systemClock),
    systemModule(clock, ids),
    database ? persistenceModule(database) : inMemoryModule(),
    gatewaysModule({
      config,
      gateways: options.gateways,
      payoutGateways: options.payoutGateways,
      clock,
      systemClock,
      sandbox: sandbox?.provider ?? null,
    }),
    billingModule(config),
    walletModule(config),
    payoutsModule(config),
    webhooksModule(sandbox?.clock ?? null),
    adminModule(),
  );
  if (sandbox) container.load(sandboxModule(config, sandbox));
  return container;
}

/** Whether any region's payments or payouts go through the sandbox: no keys for it, and no replacement given. */
function servedBySandbox({ config, gateways, payoutGateways }: ContainerOptions): boolean {
  const sandboxFor = (region: PaymentGatewayName) => !config[region] && (!gateways?.[region] || !payoutGateways?.[region]);
  return sandboxFor('stripe') || sandboxFor('razorpay');
}
