import { LedgerAccount } from '../../domain/ledger/ledger-account.ts';
import type { Money } from '../../domain/shared/money.value-object.ts';
import type { Page, PageRequest } from '../shared/pagination.ts';
import type { AccountEntry, WalletLedger } from './wallet-ledger.port.ts';

export interface WalletView {
  readonly userId: string;
  /** In US cents, as every wallet holds. */
  readonly balance: Money;
  readonly flagged: boolean;
}

export interface DeveloperBalanceView {
  readonly creatorId: string;
  /** Earned and not yet paid out. */
  readonly available: Money;
  /** On its way to the creator's bank in payouts not yet settled. */
  readonly pending: Money;
}

/** Reads of the wallet and the developer balance, each from the ledger: shared by the wallet's GraphQL fields and the admin look-up. */
export class WalletQueries {
  private readonly ledger: WalletLedger;

  constructor(ledger: WalletLedger) {
    this.ledger = ledger;
  }

  async wallet(userId: string): Promise<WalletView> {
    const wallet = await this.ledger.wallet(userId);
    return { userId, balance: wallet.balance, flagged: wallet.flagged };
  }

  walletTransactions(userId: string, page: PageRequest): Promise<Page<AccountEntry>> {
    return this.ledger.entries(LedgerAccount.wallet(userId), page);
  }

  async developerBalance(creatorId: string): Promise<DeveloperBalanceView> {
    const [available, pending] = await Promise.all([
      this.ledger.balance(LedgerAccount.creatorBalance(creatorId)),
      this.ledger.balance(LedgerAccount.payoutsInFlight(creatorId)),
    ]);
    return { creatorId, available, pending };
  }

  earnings(creatorId: string, page: PageRequest): Promise<Page<AccountEntry>> {
    return this.ledger.entries(LedgerAccount.creatorBalance(creatorId), page);
  }
}
