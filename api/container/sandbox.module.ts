import { ContainerModule } from 'inversify';
import type { Database } from '../../adapters/persistence/database.ts';
import { SqlSandboxStore } from '../../adapters/persistence/sql.sandbox-store.ts';
import { SandboxClock } from '../../adapters/sandbox/sandbox.clock.ts';
import { SandboxEvents } from '../../adapters/sandbox/sandbox.events.ts';
import { SandboxProvider } from '../../adapters/sandbox/sandbox.provider.ts';
import { InMemorySandboxStore, type SandboxStore } from '../../adapters/sandbox/sandbox.store.ts';
import { EndGracePeriods } from '../../application/billing/end-grace-periods.use-case.ts';
import { EndUnrenewedPeriods } from '../../application/billing/end-unrenewed-periods.use-case.ts';
import { RunScheduledPayouts } from '../../application/payouts/run-scheduled-payouts.use-case.ts';
import type { Clock } from '../../application/shared/clock.port.ts';
import type { IdGenerator } from '../../application/shared/id-generator.port.ts';
import { REQUEST_SCOPE } from '../../application/shared/request-scope.port.ts';
import { PROVIDER_EVENT_INBOX } from '../../application/webhooks/provider-event-inbox.port.ts';
import type { AppConfig } from '../config.ts';
import { SandboxLifecycle } from '../sandbox-lifecycle.ts';
import { INBOX_STEP, LOGGER, SANDBOX_CLOCK, SANDBOX_EVENTS, SANDBOX_LIFECYCLE, SANDBOX_PROVIDER } from './tokens.ts';
import { wire } from './wire.ts';

export interface SandboxParts {
  readonly provider: SandboxProvider;
  readonly clock: SandboxClock;
  readonly events: SandboxEvents;
}

/** The sandbox provider, persisted in the service's database (in memory without one), with its clock and the events it sends. */
export function sandboxParts(config: AppConfig, database: Database | undefined, systemClock: Clock, ids: IdGenerator): SandboxParts {
  const store: SandboxStore = database ? new SqlSandboxStore(database.orm) : new InMemorySandboxStore();
  const clock = new SandboxClock(systemClock, store);
  const events = new SandboxEvents({ store, ids, clock, systemClock, secret: config.sandboxWebhookSecret ?? null });
  const provider = new SandboxProvider({ store, events, ids, clock, publicUrl: config.publicUrl ?? `http://localhost:${config.port}` });
  return { provider, clock, events };
}

/** The sandbox's parts, and its clock driver: it runs the service's own scheduled work as the clock passes it. */
export function sandboxModule(config: AppConfig, sandbox: SandboxParts): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(SANDBOX_PROVIDER).toConstantValue(sandbox.provider);
    bind(SANDBOX_CLOCK).toConstantValue(sandbox.clock);
    bind(SANDBOX_EVENTS).toConstantValue(sandbox.events);
    wire(
      bind,
      SANDBOX_LIFECYCLE,
      {
        step: INBOX_STEP,
        inbox: PROVIDER_EVENT_INBOX,
        scope: REQUEST_SCOPE,
        periods: EndUnrenewedPeriods,
        grace: EndGracePeriods,
        payouts: RunScheduledPayouts,
        logger: LOGGER,
      },
      ({ step, inbox, scope, periods, grace, payouts, logger }) =>
        new SandboxLifecycle({
          sandbox: sandbox.provider,
          clock: sandbox.clock,
          inbox,
          applyEvents: step,
          endPeriods: () => scope.run(async () => [await periods.execute(), await grace.execute()]),
          runScheduledPayouts: config.payoutSchedule ? (frequency) => scope.run(() => payouts.execute(frequency)) : null,
          logger,
        }),
    );
  });
}
