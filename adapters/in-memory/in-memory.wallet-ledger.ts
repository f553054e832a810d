import type { Page, PageRequest } from '../../application/shared/pagination.ts';
import type {
  AccountEntry,
  RecordedCharge,
  WalletLedger,
  WalletSnapshot,
} from '../../application/wallet/wallet-ledger.port.ts';
import type { LedgerAccount } from '../../domain/ledger/ledger-account.ts';
import type { LedgerTransfer } from '../../domain/ledger/ledger-transfer.entity.ts';
import { InsufficientFundsError, InvalidInputError } from '../../domain/shared/errors.ts';
import { Money } from '../../domain/shared/money.value-object.ts';
import { WALLET_CURRENCY, type ToolCharge } from '../../domain/wallet/wallet-rules.ts';
import { decodeCursor, encodeCursor } from '../shared/cursor.ts';

/** A wallet as this fake keeps it: its balance in the ledger's minor units. */
interface StoredWallet {
  readonly balanceCents: number;
  readonly flagged: boolean;
}

/**
 * The ledger in memory, for unit tests and the in-memory container. Each write runs without an
 * await in between, so it is atomic in a single thread; it passes the same contract as SQL.
 */
export class InMemoryWalletLedger implements WalletLedger {
  private readonly transfers: LedgerTransfer[] = [];
  private readonly wallets = new Map<string, StoredWallet>();
  private readonly charges = new Map<string, RecordedCharge>();

  async chargeToolCall(charge: ToolCharge, transfer: LedgerTransfer): Promise<RecordedCharge> {
    const key = `${charge.consumerId}\u0000${charge.idempotencyKey}`;
    const first = this.charges.get(key);
    if (first) return { ...first, replayed: true };
    const balanceCents = this.wallets.get(charge.consumerId)?.balanceCents ?? 0;
    if (balanceCents < charge.price.amountMinor) {
      throw new InsufficientFundsError(`wallet of ${charge.consumerId} cannot pay ${charge.price.amountMinor} cents`);
    }
    this.append(transfer, false);
    const recorded: RecordedCharge = {
      chargeId: charge.id,
      consumerId: charge.consumerId,
      creatorId: charge.creatorId,
      toolId: charge.toolId,
      price: charge.price,
      walletBalance: Money.of(this.wallets.get(charge.consumerId)!.balanceCents, WALLET_CURRENCY),
      replayed: false,
    };
    this.charges.set(key, recorded);
    return recorded;
  }

  async post(transfer: LedgerTransfer, options: { allowNegativeWallet?: boolean } = {}): Promise<void> {
    this.append(transfer, options.allowNegativeWallet ?? false);
  }

  async wallet(userId: string): Promise<WalletSnapshot> {
    const wallet = this.wallets.get(userId) ?? { balanceCents: 0, flagged: false };
    return { balance: Money.of(wallet.balanceCents, WALLET_CURRENCY), flagged: wallet.flagged };
  }

  async balance(account: LedgerAccount): Promise<Money> {
    return this.entriesOf(account).reduce((sum, entry) => sum.add(entry.amount), Money.zero(WALLET_CURRENCY));
  }

  /** Balances here are sums over the transfers in memory: nothing to fold. */
  async rollUpBalances(): Promise<number> {
    return 0;
  }

  async entries(account: LedgerAccount, page: PageRequest): Promise<Page<AccountEntry>> {
    const all = this.entriesOf(account);
    let start = 0;
    if (page.after !== undefined) {
      const position = decodeCursor(page.after);
      const index = typeof position?.[0] === 'number' ? position[0] : -1;
      if (index < 0 || index >= all.length) throw new InvalidInputError('after', 'after is not a cursor from this list');
      start = index + 1;
    }
    return {
      hasNextPage: all.length > start + page.first,
      items: all.slice(start, start + page.first).map((node, offset) => ({ cursor: encodeCursor([start + offset]), node })),
    };
  }

  /** The fake's own inspection helper for tests (no port asks it): every transfer touching the account, newest first. */
  async transfersOf(account: LedgerAccount, limit: number): Promise<LedgerTransfer[]> {
    return this.transfers.filter((transfer) => transfer.entryFor(account) !== 0).reverse().slice(0, limit);
  }

  /** What the ledger holds, for the in-memory auditor. */
  contents(): { readonly transfers: readonly LedgerTransfer[]; readonly wallets: ReadonlyMap<string, StoredWallet> } {
    return { transfers: this.transfers, wallets: this.wallets };
  }

  /** Newest first, like the SQL ledger. */
  private entriesOf(account: LedgerAccount): AccountEntry[] {
    return this.transfers
      .flatMap((transfer) =>
        transfer.entries
          .filter((entry) => entry.account.key === account.key)
          .map((entry) => ({
            transferId: transfer.id,
            kind: transfer.kind,
            amount: Money.of(entry.amountMinor, transfer.currency),
            reference: transfer.reference,
            createdAt: transfer.createdAt,
          })),
      )
      .reverse();
  }

  private append(transfer: LedgerTransfer, allowNegativeWallet: boolean): void {
    transfer.assertBalanced();
    const moved = new Map<string, StoredWallet>();
    for (const entry of transfer.entries) {
      if (entry.account.type !== 'wallet') continue;
      const userId = entry.account.ownerId!;
      const before = moved.get(userId) ?? this.wallets.get(userId) ?? { balanceCents: 0, flagged: false };
      const balanceCents = before.balanceCents + entry.amountMinor;
      if (balanceCents < 0 && entry.amountMinor < 0 && !allowNegativeWallet) {
        throw new InsufficientFundsError(`wallet of ${userId} cannot give ${-entry.amountMinor} cents`);
      }
      moved.set(userId, { balanceCents, flagged: before.flagged || balanceCents < 0 });
    }
    for (const [userId, wallet] of moved) this.wallets.set(userId, wallet);
    this.transfers.push(transfer);
  }
}
