import { ContainerModule } from 'inversify';
import { PollingLoop } from '../../adapters/jobs/polling-loop.ts';
import type { SandboxClock } from '../../adapters/sandbox/sandbox.clock.ts';
import { SettleDuplicateSubscriptions } from '../../application/billing/settle-duplicate-subscriptions.use-case.ts';
import { SyncCheckout } from '../../application/billing/sync-checkout.use-case.ts';
import { SyncSubscription } from '../../application/billing/sync-subscription.use-case.ts';
import { SyncPayoutObjects } from '../../application/payouts/sync-payout-objects.use-case.ts';
import { CLOCK, type Clock } from '../../application/shared/clock.port.ts';
import { ID_GENERATOR, type IdGenerator } from '../../application/shared/id-generator.port.ts';
import { REQUEST_SCOPE, type RequestScope } from '../../application/shared/request-scope.port.ts';
import { UNIT_OF_WORK, type UnitOfWork } from '../../application/shared/unit-of-work.port.ts';
import { SyncDepositReversals } from '../../application/wallet/sync-deposit-reversals.use-case.ts';
import { ApplyProviderEvents, type SettledEvent } from '../../application/webhooks/apply-provider-events.use-case.ts';
import { ListWebhookEvents } from '../../application/webhooks/list-webhook-events.use-case.ts';
import { PROVIDER_EVENT_INBOX, type ProviderEventInbox } from '../../application/webhooks/provider-event-inbox.port.ts';
import { ReceiveProviderEvent } from '../../application/webhooks/receive-provider-event.use-case.ts';
import { ReplayWebhookEvent } from '../../application/webhooks/replay-webhook-event.use-case.ts';
import type { Metrics } from '../http/metrics.ts';
import type { Logger } from '../logger.ts';
import { INBOX_STEP, INBOX_WORKERS, LOGGER, METRICS } from './tokens.ts';

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
    bind(ApplyProviderEvents).toResolvedValue(
      (
        inbox: ProviderEventInbox,
        uow: UnitOfWork,
        clock: Clock,
        ids: IdGenerator,
        checkouts: SyncCheckout,
        subscriptions: SyncSubscription,
        reversals: SyncDepositReversals,
        payoutObjects: SyncPayoutObjects,
      ) =>
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
      [PROVIDER_EVENT_INBOX, UNIT_OF_WORK, CLOCK, ID_GENERATOR, SyncCheckout, SyncSubscription, SyncDepositReversals, SyncPayoutObjects],
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
    bind(ReceiveProviderEvent).toResolvedValue(
      (inbox: ProviderEventInbox, clock: Clock, workers: PollingLoop) => new ReceiveProviderEvent(inbox, clock, () => workers.wake()),
      [PROVIDER_EVENT_INBOX, CLOCK, INBOX_WORKERS],
    );
    bind(ListWebhookEvents).toResolvedValue((inbox: ProviderEventInbox) => new ListWebhookEvents(inbox), [PROVIDER_EVENT_INBOX]);
    bind(ReplayWebhookEvent).toResolvedValue(
      (inbox: ProviderEventInbox, clock: Clock, workers: PollingLoop) => new ReplayWebhookEvent(inbox, clock, () => workers.wake()),
      [PROVIDER_EVENT_INBOX, CLOCK, INBOX_WORKERS],
    );
  });
}
