import { ContainerModule } from 'inversify';
import { PollingLoop } from '../../adapters/jobs/polling-loop.ts';
import type { SandboxClock } from '../../adapters/sandbox/sandbox.clock.ts';
import { SettleDuplicateSubscriptions } from '../../application/billing/settle-duplicate-subscriptions.use-case.ts';
import { SyncCheckout } from '../../application/billing/sync-checkout.service.ts';
import { SyncSubscription } from '../../application/billing/sync-subscription.service.ts';
import { SyncPayoutObjects } from '../../application/payouts/sync-payout-objects.service.ts';
import { CLOCK } from '../../application/shared/clock.port.ts';
import { ID_GENERATOR } from '../../application/shared/id-generator.port.ts';
import { REQUEST_SCOPE } from '../../application/shared/request-scope.port.ts';
import { UNIT_OF_WORK } from '../../application/shared/unit-of-work.port.ts';
import { SyncDepositReversals } from '../../application/wallet/sync-deposit-reversals.service.ts';
import { ApplyProviderEvents } from '../../application/webhooks/apply-provider-events.use-case.ts';
import { ListWebhookEvents } from '../../application/webhooks/list-webhook-events.use-case.ts';
import { PROVIDER_EVENT_INBOX } from '../../application/webhooks/provider-event-inbox.port.ts';
import { ReceiveProviderEvent } from '../../application/webhooks/receive-provider-event.use-case.ts';
import { ReplayWebhookEvent } from '../../application/webhooks/replay-webhook-event.use-case.ts';
import { INBOX_STEP, INBOX_WORKERS, LOGGER, METRICS } from './tokens.ts';
import { wire } from './wire.ts';

/** How often an idle process looks for provider events to apply that another process received. */
const INBOX_POLL_MS = 250;
/** How long a woken worker waits for more deliveries to take with the first: a renewal's events come together. */
const INBOX_GATHER_MS = 10;

/**
 * The inbox's workers, which apply provider events through each area's read of that kind of
 * object, and the edges that record and replay events. With the sandbox serving a region its
 * clock is refreshed before each run.
 */
export function webhooksModule(sandboxClock: SandboxClock | null): ContainerModule {
  return new ContainerModule(({ bind }) => {
    wire(
      bind,
      ApplyProviderEvents,
      {
        inbox: PROVIDER_EVENT_INBOX,
        uow: UNIT_OF_WORK,
        clock: CLOCK,
        ids: ID_GENERATOR,
        checkouts: SyncCheckout,
        subscriptions: SyncSubscription,
        reversals: SyncDepositReversals,
        payoutObjects: SyncPayoutObjects,
      },
      ({ inbox, uow, clock, ids, checkouts, subscriptions, reversals, payoutObjects }) =>
        new ApplyProviderEvents({
          inbox,
          uow,
          clock,
          owner: `worker:${process.pid}:${ids.next()}`,
          syncs: {
            checkout: (provider, subject) => checkouts.prepare(provider, subject),
            subscription: (provider, subject) => subscriptions.prepare(provider, subject),
            payment: (provider, subject) => reversals.preparePayment(provider, subject),
            dispute: (provider, subject) => reversals.prepareDispute(provider, subject),
            account: (provider, subject) => payoutObjects.prepareAccount(provider, subject),
            transfer: (provider, subject) => payoutObjects.prepareTransfer(provider, subject),
          },
        }),
    );
    wire(
      bind,
      INBOX_STEP,
      { scope: REQUEST_SCOPE, apply: ApplyProviderEvents, metrics: METRICS, duplicates: SettleDuplicateSubscriptions },
      ({ scope, apply, metrics, duplicates }) =>
        async () => {
          // Another process may have advanced the sandbox's clock: events are applied at its time.
          await sandboxClock?.refresh();
          const settled = await scope.run(() => apply.execute());
          metrics.countProviderEvents(settled);
          // A completion applied may have found a second subscription: it is canceled and refunded now, outside the events' transaction.
          if (settled.some((event) => event.status === 'applied')) await scope.run(() => duplicates.execute());
          return settled;
        },
    );
    wire(
      bind,
      INBOX_WORKERS,
      { step: INBOX_STEP, logger: LOGGER },
      ({ step, logger }) =>
        new PollingLoop({
          step: async () => (await step()).length > 0,
          idleMs: INBOX_POLL_MS,
          gatherMs: INBOX_GATHER_MS,
          onError: (error) => logger.error({ err: error }, 'applying provider events failed'),
        }),
    );
    wire(
      bind,
      ReceiveProviderEvent,
      { inbox: PROVIDER_EVENT_INBOX, clock: CLOCK, workers: INBOX_WORKERS },
      ({ inbox, clock, workers }) => new ReceiveProviderEvent({ inbox, clock, recorded: () => workers.wake() }),
    );
    wire(bind, ListWebhookEvents, { inbox: PROVIDER_EVENT_INBOX }, ({ inbox }) => new ListWebhookEvents(inbox));
    wire(
      bind,
      ReplayWebhookEvent,
      { inbox: PROVIDER_EVENT_INBOX, clock: CLOCK, workers: INBOX_WORKERS },
      ({ inbox, clock, workers }) => new ReplayWebhookEvent({ inbox, clock, queued: () => workers.wake() }),
    );
  });
}
