import { ContainerModule } from 'inversify';
import { AccountOpener } from '../../application/billing/account-opener.service.ts';
import { CheckoutCompletion } from '../../application/billing/checkout-completion.service.ts';
import { CHECKOUT_SESSION_REPOSITORY } from '../../application/billing/checkout-session.repository.ts';
import { FX_RATES } from '../../application/billing/fx-rates.port.ts';
import { HostedCheckouts } from '../../application/billing/hosted-checkouts.service.ts';
import { INVOICE_REPOSITORY } from '../../application/billing/invoice.repository.ts';
import { PAYMENT_GATEWAYS } from '../../application/billing/payment-gateway.port.ts';
import { SyncCheckout } from '../../application/billing/sync-checkout.service.ts';
import { CLOCK } from '../../application/shared/clock.port.ts';
import { ID_GENERATOR } from '../../application/shared/id-generator.port.ts';
import { UNIT_OF_WORK } from '../../application/shared/unit-of-work.port.ts';
import { AdjustWallet } from '../../application/wallet/adjust-wallet.use-case.ts';
import { AuditLedger } from '../../application/wallet/audit-ledger.use-case.ts';
import { ChargeToolCall } from '../../application/wallet/charge-tool-call.use-case.ts';
import { LEDGER_AUDIT } from '../../application/wallet/ledger-audit.port.ts';
import { StartDeposit } from '../../application/wallet/start-deposit.use-case.ts';
import { SyncDepositReversals } from '../../application/wallet/sync-deposit-reversals.service.ts';
import { VerifyDeposit } from '../../application/wallet/verify-deposit.use-case.ts';
import { WALLET_LEDGER } from '../../application/wallet/wallet-ledger.port.ts';
import { WalletQueries } from '../../application/wallet/wallet-queries.service.ts';
import type { AppConfig } from '../config.ts';
import { wire } from './wire.ts';

/** Prepaid wallets: deposits, charges for tool calls, adjustments, their reversals and the ledger's audit. */
export function walletModule(config: AppConfig): ContainerModule {
  const redirects = config.redirectAllowList;
  const feeBps = config.marketplaceFeeBps;

  return new ContainerModule(({ bind }) => {
    wire(bind, StartDeposit, { opener: AccountOpener, checkouts: HostedCheckouts, rates: FX_RATES, ids: ID_GENERATOR, clock: CLOCK }, (deps) => new StartDeposit({ ...deps, redirects }));
    wire(bind, VerifyDeposit, { completion: CheckoutCompletion }, ({ completion }) => new VerifyDeposit(completion));
    wire(bind, ChargeToolCall, { ledger: WALLET_LEDGER, ids: ID_GENERATOR, clock: CLOCK }, (deps) => new ChargeToolCall({ ...deps, feeBps }));
    wire(bind, WalletQueries, { ledger: WALLET_LEDGER }, ({ ledger }) => new WalletQueries(ledger));
    wire(bind, AuditLedger, { audit: LEDGER_AUDIT }, ({ audit }) => new AuditLedger(audit));
    wire(bind, AdjustWallet, { ledger: WALLET_LEDGER, uow: UNIT_OF_WORK, ids: ID_GENERATOR, clock: CLOCK }, (deps) => new AdjustWallet(deps));
    // The read of a deposit's payment or dispute that the inbox's workers apply (webhooks.module.ts).
    wire(
      bind,
      SyncDepositReversals,
      {
        sessions: CHECKOUT_SESSION_REPOSITORY,
        invoices: INVOICE_REPOSITORY,
        ledger: WALLET_LEDGER,
        gateways: PAYMENT_GATEWAYS,
        checkouts: SyncCheckout,
        uow: UNIT_OF_WORK,
        ids: ID_GENERATOR,
        clock: CLOCK,
      },
      (deps) => new SyncDepositReversals(deps),
    );
  });
}
