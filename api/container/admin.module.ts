import { ContainerModule } from 'inversify';
import { AdjustPlan } from '../../application/admin/adjust-plan.use-case.ts';
import { LookUpAccount } from '../../application/admin/look-up-account.use-case.ts';
import { ACCOUNT_PLAN_REPOSITORY } from '../../application/billing/account-plan.repository.ts';
import { CHECKOUT_SESSION_REPOSITORY } from '../../application/billing/checkout-session.repository.ts';
import { PLAN_CHANGE_REPOSITORY } from '../../application/billing/plan-change.repository.ts';
import { PAYOUT_GATEWAYS } from '../../application/payouts/payout-gateway.port.ts';
import { PAYOUT_REPOSITORY } from '../../application/payouts/payout.repository.ts';
import { CLOCK } from '../../application/shared/clock.port.ts';
import { ID_GENERATOR } from '../../application/shared/id-generator.port.ts';
import { UNIT_OF_WORK } from '../../application/shared/unit-of-work.port.ts';
import { WalletQueries } from '../../application/wallet/wallet-queries.service.ts';
import { PROVIDER_EVENT_INBOX } from '../../application/webhooks/provider-event-inbox.port.ts';
import { wire } from './wire.ts';

/** The operator's tools: one account's whole picture, and setting its plan by hand. */
export function adminModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    wire(
      bind,
      AdjustPlan,
      { accounts: ACCOUNT_PLAN_REPOSITORY, planChanges: PLAN_CHANGE_REPOSITORY, uow: UNIT_OF_WORK, ids: ID_GENERATOR, clock: CLOCK },
      (deps) => new AdjustPlan(deps),
    );
    wire(
      bind,
      LookUpAccount,
      {
        accounts: ACCOUNT_PLAN_REPOSITORY,
        planChanges: PLAN_CHANGE_REPOSITORY,
        sessions: CHECKOUT_SESSION_REPOSITORY,
        inbox: PROVIDER_EVENT_INBOX,
        payouts: PAYOUT_REPOSITORY,
        payoutGateways: PAYOUT_GATEWAYS,
        walletQueries: WalletQueries,
      },
      (deps) => new LookUpAccount(deps),
    );
  });
}
