import type { LedgerAccount } from '../../domain/ledger/ledger-account.ts';
import type { LedgerTransfer, TransferKind } from '../../domain/ledger/ledger-transfer.entity.ts';
import type { Money } from '../../domain/shared/money.value-object.ts';
import type { ToolCharge } from '../../domain/wallet/wallet-rules.ts';
import type { Page, PageRequest } from '../shared/pagination.ts';
import { token } from '../shared/token.ts';

/**
 * One movement on one account, as its owner sees it. Every amount the ledger answers is Money in
 * the ledger's currency (WALLET_CURRENCY: every transfer is written in it).
 */
export interface AccountEntry {
  readonly transferId: string;
  readonly kind: TransferKind;
  /** Signed: positive added to the account, negative took from it. */
  readonly amount: Money;
  readonly reference: string;
  readonly createdAt: Date;
}

/** A charge as it was recorded, returned again for a repeated idempotency key. */
export interface RecordedCharge {
  readonly chargeId: string;
  readonly consumerId: string;
  readonly creatorId: string;
  readonly toolId: string;
  readonly price: Money;
  readonly walletBalance: Money;
  readonly replayed: boolean;
}

export interface WalletSnapshot {
  readonly balance: Money;
  /** Set when a refund or dispute reversal took the wallet below zero. */
  readonly flagged: boolean;
}

/**
 * The ledger of wallets and balances. Every write is a balanced transfer; every balance is kept
 * beside its entries (and equals their sum) without a row that the charges of different wallets
 * would all have to lock.
 */
export interface WalletLedger {
  /**
   * The hot path, atomic on its own: debits the consumer's wallet unless that would take it
   * below zero (InsufficientFundsError, nothing written), and posts the transfer. A repeated
   * idempotency key (per consumer) returns the first charge, never a second debit.
   */
  chargeToolCall(charge: ToolCharge, transfer: LedgerTransfer): Promise<RecordedCharge>;
  /**
   * Posts a transfer inside the caller's unit of work, moving wallet balances with it. A wallet
   * debit that would go below zero throws InsufficientFundsError, unless `allowNegativeWallet`
   * (the reversal of a refunded deposit), which flags the wallet instead.
   */
  post(transfer: LedgerTransfer, options?: { readonly allowNegativeWallet?: boolean }): Promise<void>;
  wallet(userId: string): Promise<WalletSnapshot>;
  /** The sum of an account's entries, exact as of the last commit, in time independent of its history. */
  balance(account: LedgerAccount): Promise<Money>;
  /**
   * Background upkeep that keeps balance reads cheap: folds up to `limit` recent movements into the
   * balances they belong to. Answers how many it folded (fewer than `limit`: nothing is left).
   * Balances are exact whether it runs or not.
   */
  rollUpBalances(limit: number): Promise<number>;
  entries(account: LedgerAccount, page: PageRequest): Promise<Page<AccountEntry>>;
}

export const WALLET_LEDGER = token<WalletLedger>('WalletLedger');
