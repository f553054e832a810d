import { ContainerModule } from 'inversify';
import { AccountOpener } from '../../application/billing/account-opener.service.ts';
import { FX_RATES, type FxRates } from '../../application/billing/fx-rates.port.ts';
import { GetPayout } from '../../application/payouts/get-payout.use-case.ts';
import { GetPayoutSettings } from '../../application/payouts/get-payout-settings.use-case.ts';
import { ListPayouts } from '../../application/payouts/list-payouts.use-case.ts';
import { PAYOUT_GATEWAYS, type PayoutGateways } from '../../application/payouts/payout-gateway.port.ts';
import { PayoutTransfers } from '../../application/payouts/payout-transfers.service.ts';
import { PAYOUT_REPOSITORY, type PayoutRepository } from '../../application/payouts/payout.repository.ts';
import { RequestPayout } from '../../application/payouts/request-payout.use-case.ts';
import { ResendUnansweredPayouts } from '../../application/payouts/resend-unanswered-payouts.use-case.ts';
import { RetryPayout } from '../../application/payouts/retry-payout.use-case.ts';
import { RunScheduledPayouts } from '../../application/payouts/run-scheduled-payouts.use-case.ts';
import { StartPayoutOnboarding } from '../../application/payouts/start-payout-onboarding.use-case.ts';
import { SyncPayoutObjects } from '../../application/payouts/sync-payout-objects.use-case.ts';
import { UpdatePayoutSettings } from '../../application/payouts/update-payout-settings.use-case.ts';
import { CLOCK, type Clock } from '../../application/shared/clock.port.ts';
import { ID_GENERATOR, type IdGenerator } from '../../application/shared/id-generator.port.ts';
import { UNIT_OF_WORK, type UnitOfWork } from '../../application/shared/unit-of-work.port.ts';
import { WALLET_LEDGER, type WalletLedger } from '../../application/wallet/wallet-ledger.port.ts';
import type { AppConfig } from '../config.ts';

/** Creator payouts: onboarding, settings, requests and their retries, the scheduled run and the provider's reads. */
export function payoutsModule(config: AppConfig): ContainerModule {
  const redirects = config.redirectAllowList;

  return new ContainerModule(({ bind }) => {
    bind(PayoutTransfers).toResolvedValue(
      (
        payouts: PayoutRepository,
        ledger: WalletLedger,
        payoutGateways: PayoutGateways,
        opener: AccountOpener,
        rates: FxRates,
        uow: UnitOfWork,
        ids: IdGenerator,
        clock: Clock,
      ) => new PayoutTransfers({ payouts, ledger, payoutGateways, opener, rates, uow, ids, clock }),
      [PAYOUT_REPOSITORY, WALLET_LEDGER, PAYOUT_GATEWAYS, AccountOpener, FX_RATES, UNIT_OF_WORK, ID_GENERATOR, CLOCK],
    );
    bind(StartPayoutOnboarding).toResolvedValue(
      (transfers: PayoutTransfers, payouts: PayoutRepository, payoutGateways: PayoutGateways, uow: UnitOfWork, clock: Clock) =>
        new StartPayoutOnboarding({ transfers, payouts, payoutGateways, redirects, uow, clock }),
      [PayoutTransfers, PAYOUT_REPOSITORY, PAYOUT_GATEWAYS, UNIT_OF_WORK, CLOCK],
    );
    bind(GetPayoutSettings).toResolvedValue(
      (transfers: PayoutTransfers, payoutGateways: PayoutGateways) => new GetPayoutSettings({ transfers, payoutGateways }),
      [PayoutTransfers, PAYOUT_GATEWAYS],
    );
    bind(GetPayout).toResolvedValue((payouts: PayoutRepository) => new GetPayout({ payouts }), [PAYOUT_REPOSITORY]);
    bind(ListPayouts).toResolvedValue((payouts: PayoutRepository) => new ListPayouts({ payouts }), [PAYOUT_REPOSITORY]);
    bind(UpdatePayoutSettings).toResolvedValue(
      (transfers: PayoutTransfers, payouts: PayoutRepository, payoutGateways: PayoutGateways, uow: UnitOfWork, clock: Clock) =>
        new UpdatePayoutSettings({ transfers, payouts, payoutGateways, uow, clock }),
      [PayoutTransfers, PAYOUT_REPOSITORY, PAYOUT_GATEWAYS, UNIT_OF_WORK, CLOCK],
    );
    bind(RequestPayout).toResolvedValue((transfers: PayoutTransfers) => new RequestPayout(transfers), [PayoutTransfers]);
    bind(RetryPayout).toResolvedValue(
      (transfers: PayoutTransfers, payouts: PayoutRepository, clock: Clock) => new RetryPayout({ transfers, payouts, clock }),
      [PayoutTransfers, PAYOUT_REPOSITORY, CLOCK],
    );
    bind(RunScheduledPayouts).toResolvedValue(
      (transfers: PayoutTransfers, payouts: PayoutRepository, clock: Clock) => new RunScheduledPayouts({ transfers, payouts, clock }),
      [PayoutTransfers, PAYOUT_REPOSITORY, CLOCK],
    );
    bind(ResendUnansweredPayouts).toResolvedValue(
      (transfers: PayoutTransfers, payouts: PayoutRepository, clock: Clock) => new ResendUnansweredPayouts({ transfers, payouts, clock }),
      [PayoutTransfers, PAYOUT_REPOSITORY, CLOCK],
    );
    // The read of a connected account or a transfer that the inbox's workers apply (webhooks.module.ts).
    bind(SyncPayoutObjects).toResolvedValue(
      (payouts: PayoutRepository, payoutGateways: PayoutGateways, transfers: PayoutTransfers, clock: Clock) =>
        new SyncPayoutObjects({ payouts, payoutGateways, transfers, clock }),
      [PAYOUT_REPOSITORY, PAYOUT_GATEWAYS, PayoutTransfers, CLOCK],
    );
  });
}
