import { ContainerModule } from 'inversify';
import { AdjustPlan } from '../../application/admin/adjust-plan.use-case.ts';
import { LookUpAccount } from '../../application/admin/look-up-account.use-case.ts';
import { ACCOUNT_PLAN_REPOSITORY, type AccountPlanRepository } from '../../application/billing/account-plan.repository.ts';
import { CHECKOUT_SESSION_REPOSITORY, type CheckoutSessionRepository } from '../../application/billing/checkout-session.repository.ts';
import { PLAN_CHANGE_REPOSITORY, type PlanChangeRepository } from '../../application/billing/plan-change.repository.ts';
import { PAYOUT_GATEWAYS, type PayoutGateways } from '../../application/payouts/payout-gateway.port.ts';
import { PAYOUT_REPOSITORY, type PayoutRepository } from '../../application/payouts/payout.repository.ts';
import { CLOCK, type Clock } from '../../application/shared/clock.port.ts';
import { ID_GENERATOR, type IdGenerator } from '../../application/shared/id-generator.port.ts';
import { UNIT_OF_WORK, type UnitOfWork } from '../../application/shared/unit-of-work.port.ts';
import { WalletQueries } from '../../application/wallet/wallet-queries.service.ts';
import { PROVIDER_EVENT_INBOX, type ProviderEventInbox } from '../../application/webhooks/provider-event-inbox.port.ts';

/** The operator's tools: one account's whole picture, and setting its plan by hand. */
export function adminModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(AdjustPlan).toResolvedValue(
      (accounts: AccountPlanRepository, planChanges: PlanChangeRepository, uow: UnitOfWork, ids: IdGenerator, clock: Clock) =>
        new AdjustPlan({ accounts, planChanges, uow, ids, clock }),
      [ACCOUNT_PLAN_REPOSITORY, PLAN_CHANGE_REPOSITORY, UNIT_OF_WORK, ID_GENERATOR, CLOCK],
    );
    bind(LookUpAccount).toResolvedValue(
      (
        accounts: AccountPlanRepository,
        planChanges: PlanChangeRepository,
        sessions: CheckoutSessionRepository,
        inbox: ProviderEventInbox,
        payouts: PayoutRepository,
        payoutGateways: PayoutGateways,
        walletQueries: WalletQueries,
      ) => new LookUpAccount({ accounts, planChanges, sessions, inbox, payouts, payoutGateways, walletQueries }),
      [ACCOUNT_PLAN_REPOSITORY, PLAN_CHANGE_REPOSITORY, CHECKOUT_SESSION_REPOSITORY, PROVIDER_EVENT_INBOX, PAYOUT_REPOSITORY, PAYOUT_GATEWAYS, WalletQueries],
    );
  });
}
