import { ContainerModule } from 'inversify';
import { AccountOpener } from '../../application/billing/account-opener.service.ts';
import { FX_RATES } from '../../application/billing/fx-rates.port.ts';
import { GetPayout } from '../../application/payouts/get-payout.use-case.ts';
import { GetPayoutSettings } from '../../application/payouts/get-payout-settings.use-case.ts';
import { ListPayouts } from '../../application/payouts/list-payouts.use-case.ts';
import { PAYOUT_GATEWAYS } from '../../application/payouts/payout-gateway.port.ts';
import { PayoutTransfers } from '../../application/payouts/payout-transfers.service.ts';
import { PAYOUT_REPOSITORY } from '../../application/payouts/payout.repository.ts';
import { RequestPayout } from '../../application/payouts/request-payout.use-case.ts';
import { ResendUnansweredPayouts } from '../../application/payouts/resend-unanswered-payouts.use-case.ts';
import { RetryPayout } from '../../application/payouts/retry-payout.use-case.ts';
import { RunScheduledPayouts } from '../../application/payouts/run-scheduled-payouts.use-case.ts';
import { StartPayoutOnboarding } from '../../application/payouts/start-payout-onboarding.use-case.ts';
import { SyncPayoutObjects } from '../../application/payouts/sync-payout-objects.service.ts';
import { UpdatePayoutSettings } from '../../application/payouts/update-payout-settings.use-case.ts';
import { CLOCK } from '../../application/shared/clock.port.ts';
import { ID_GENERATOR } from '../../application/shared/id-generator.port.ts';
import { UNIT_OF_WORK } from '../../application/shared/unit-of-work.port.ts';
import { WALLET_LEDGER } from '../../application/wallet/wallet-ledger.port.ts';
import type { AppConfig } from '../config.ts';
import { wire } from './wire.ts';

/** Creator payouts: onboarding, settings, requests and their retries, the scheduled run and the provider's reads. */
export function payoutsModule(config: AppConfig): ContainerModule {
  const redirects = config.redirectAllowList;

  return new ContainerModule(({ bind }) => {
    wire(
      bind,
      PayoutTransfers,
      {
        payouts: PAYOUT_REPOSITORY,
        ledger: WALLET_LEDGER,
        payoutGateways: PAYOUT_GATEWAYS,
        opener: AccountOpener,
        rates: FX_RATES,
        uow: UNIT_OF_WORK,
        ids: ID_GENERATOR,
        clock: CLOCK,
      },
      (deps) => new PayoutTransfers(deps),
    );
    // What a creator's payout account is read, changed and saved with.
    const accountChange = { transfers: PayoutTransfers, payouts: PAYOUT_REPOSITORY, payoutGateways: PAYOUT_GATEWAYS, uow: UNIT_OF_WORK, clock: CLOCK } as const;
    wire(bind, StartPayoutOnboarding, accountChange, (deps) => new StartPayoutOnboarding({ ...deps, redirects }));
    wire(bind, GetPayoutSettings, { transfers: PayoutTransfers, payoutGateways: PAYOUT_GATEWAYS }, (deps) => new GetPayoutSettings(deps));
    wire(bind, GetPayout, { payouts: PAYOUT_REPOSITORY }, (deps) => new GetPayout(deps));
    wire(bind, ListPayouts, { payouts: PAYOUT_REPOSITORY }, (deps) => new ListPayouts(deps));
    wire(bind, UpdatePayoutSettings, accountChange, (deps) => new UpdatePayoutSettings(deps));
    wire(bind, RequestPayout, { transfers: PayoutTransfers }, ({ transfers }) => new RequestPayout(transfers));
    wire(bind, RetryPayout, { transfers: PayoutTransfers, payouts: PAYOUT_REPOSITORY, clock: CLOCK }, (deps) => new RetryPayout(deps));
    wire(bind, RunScheduledPayouts, { transfers: PayoutTransfers, payouts: PAYOUT_REPOSITORY, clock: CLOCK }, (deps) => new RunScheduledPayouts(deps));
    wire(bind, ResendUnansweredPayouts, { transfers: PayoutTransfers, payouts: PAYOUT_REPOSITORY, clock: CLOCK }, (deps) => new ResendUnansweredPayouts(deps));
    // The read of a connected account or a transfer that the inbox's workers apply (webhooks.module.ts).
    wire(
      bind,
      SyncPayoutObjects,
      { payouts: PAYOUT_REPOSITORY, payoutGateways: PAYOUT_GATEWAYS, transfers: PayoutTransfers, clock: CLOCK },
      (deps) => new SyncPayoutObjects(deps),
    );
  });
}
