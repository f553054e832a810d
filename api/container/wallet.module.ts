import { ContainerModule } from 'inversify';
import { AccountOpener } from '../../application/billing/account-opener.service.ts';
import { CheckoutCompletion } from '../../application/billing/checkout-completion.service.ts';
import { CHECKOUT_SESSION_REPOSITORY, type CheckoutSessionRepository } from '../../application/billing/checkout-session.repository.ts';
import { FX_RATES, type FxRates } from '../../application/billing/fx-rates.port.ts';
import { HostedCheckouts } from '../../application/billing/hosted-checkouts.service.ts';
import { INVOICE_REPOSITORY, type InvoiceRepository } from '../../application/billing/invoice.repository.ts';
import { PAYMENT_GATEWAYS, type PaymentGateways } from '../../application/billing/payment-gateway.port.ts';
import { SyncCheckout } from '../../application/billing/sync-checkout.use-case.ts';
import { CLOCK, type Clock } from '../../application/shared/clock.port.ts';
import { ID_GENERATOR, type IdGenerator } from '../../application/shared/id-generator.port.ts';
import { UNIT_OF_WORK, type UnitOfWork } from '../../application/shared/unit-of-work.port.ts';
import { AdjustWallet } from '../../application/wallet/adjust-wallet.use-case.ts';
import { AuditLedger } from '../../application/wallet/audit-ledger.use-case.ts';
import { ChargeToolCall } from '../../application/wallet/charge-tool-call.use-case.ts';
import { LEDGER_AUDIT, type LedgerAudit } from '../../application/wallet/ledger-audit.port.ts';
import { StartDeposit } from '../../application/wallet/start-deposit.use-case.ts';
import { SyncDepositReversals } from '../../application/wallet/sync-deposit-reversals.use-case.ts';
import { VerifyDeposit } from '../../application/wallet/verify-deposit.use-case.ts';
import { WALLET_LEDGER, type WalletLedger } from '../../application/wallet/wallet-ledger.port.ts';
import { WalletQueries } from '../../application/wallet/wallet-queries.service.ts';
import type { AppConfig } from '../config.ts';

/** Prepaid wallets: deposits, charges for tool calls, adjustments, their reversals and the ledger's audit. */
export function walletModule(config: AppConfig): ContainerModule {
  const redirects = config.redirectAllowList;
  const feeBps = config.marketplaceFeeBps;

  return new ContainerModule(({ bind }) => {
    bind(StartDeposit).toResolvedValue(
      (opener: AccountOpener, checkouts: HostedCheckouts, rates: FxRates, ids: IdGenerator, clock: Clock) =>
        new StartDeposit({ opener, checkouts, rates, redirects, ids, clock }),
      [AccountOpener, HostedCheckouts, FX_RATES, ID_GENERATOR, CLOCK],
    );
    bind(VerifyDeposit).toResolvedValue((completion: CheckoutCompletion) => new VerifyDeposit(completion), [CheckoutCompletion]);
    bind(ChargeToolCall).toResolvedValue(
      (ledger: WalletLedger, ids: IdGenerator, clock: Clock) => new ChargeToolCall({ ledger, feeBps, ids, clock }),
      [WALLET_LEDGER, ID_GENERATOR, CLOCK],
    );
    bind(WalletQueries).toResolvedValue((ledger: WalletLedger) => new WalletQueries(ledger), [WALLET_LEDGER]);
    bind(AuditLedger).toResolvedValue((audit: LedgerAudit) => new AuditLedger(audit), [LEDGER_AUDIT]);
    bind(AdjustWallet).toResolvedValue(
      (ledger: WalletLedger, uow: UnitOfWork, ids: IdGenerator, clock: Clock) => new AdjustWallet({ ledger, uow, ids, clock }),
      [WALLET_LEDGER, UNIT_OF_WORK, ID_GENERATOR, CLOCK],
    );
    // The read of a deposit's payment or dispute that the inbox's workers apply (webhooks.module.ts).
    bind(SyncDepositReversals).toResolvedValue(
      (
        sessions: CheckoutSessionRepository,
        invoices: InvoiceRepository,
        ledger: WalletLedger,
        gateways: PaymentGateways,
        checkouts: SyncCheckout,
        uow: UnitOfWork,
        ids: IdGenerator,
        clock: Clock,
      ) => new SyncDepositReversals({ sessions, invoices, ledger, gateways, checkouts, uow, ids, clock }),
      [CHECKOUT_SESSION_REPOSITORY, INVOICE_REPOSITORY, WALLET_LEDGER, PAYMENT_GATEWAYS, SyncCheckout, UNIT_OF_WORK, ID_GENERATOR, CLOCK],
    );
  });
}
