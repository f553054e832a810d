import { LedgerAccount } from '../../domain/ledger/ledger-account.ts';
import { WALLET_CURRENCY } from '../../domain/wallet/wallet-rules.ts';
import { parsePage, type Page } from '../shared/pagination.ts';
import type { AccountEntry, WalletLedger } from './wallet-ledger.port.ts';

export interface WalletView {
  readonly userId: string;
  readonly balanceCents: number;
  readonly currency: string;
  readonly flagged: boolean;
}

export interface DeveloperBalanceView {
  readonly creatorId: string;
  /** Earned and not yet paid out. */
  readonly availableCents: number;
  /** On its way to the creator's bank in payouts not yet settled. */
  readonly pendingCents: number;
  readonly currency: string;
}

/** Reads of the wallet and the developer balance, each from the ledger: shared by the wallet's GraphQL fields and the admin look-up. */
export class WalletQueries {
  private readonly ledger: WalletLedger;

  constructor(ledger: WalletLedger) {
    this.ledger = ledger;
  }

  async wallet(userId: string): Promise<WalletView> {
    const wallet = await this.ledger.wallet(userId);
    return { userId, balanceCents: wallet.balanceCents, currency: WALLET_CURRENCY, flagged: wallet.flagged };
  }

  walletTransactions(userId: string, first: unknown, after: unknown): Promise<Page<AccountEntry>> {
    return this.ledger.entries(LedgerAccount.wallet(userId), parsePage(first, after));
  }

  async developerBalance(creatorId: string): Promise<DeveloperBalanceView> {
    const [availableCents, pendingCents] = await Promise.all([
      this.ledger.balance(LedgerAccount.creatorBalance(creatorId)),
      this.ledger.balance(LedgerAccount.payoutsInFlight(creatorId)),
    ]);
    return { creatorId, availableCents, pendingCents, currency: WALLET_CURRENCY };
  }

  earnings(creatorId: string, first: unknown, after: unknown): Promise<Page<AccountEntry>> {
    return this.ledger.entries(LedgerAccount.creatorBalance(creatorId), parsePage(first, after));
  }
}
