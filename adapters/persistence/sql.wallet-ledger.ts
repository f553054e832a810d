import type { MikroORM } from '@mikro-orm/postgresql';
import type { Page, PageRequest } from '../../application/shared/pagination.ts';
import type {
  AccountEntry,
  RecordedCharge,
  WalletLedger,
  WalletSnapshot,
} from '../../application/wallet/wallet-ledger.port.ts';
import { LedgerAccount } from '../../domain/ledger/ledger-account.ts';
import { LedgerTransfer, type TransferKind } from '../../domain/ledger/ledger-transfer.entity.ts';
import { InsufficientFundsError, InvalidInputError, invariant } from '../../domain/shared/errors.ts';
import { Money } from '../../domain/shared/money.value-object.ts';
import { WALLET_CURRENCY, type ToolCharge } from '../../domain/wallet/wallet-rules.ts';
import { decodeCursor, encodeCursor } from '../shared/cursor.ts';
import { boundQuery, pooledQuery } from './bound-query.ts';
import { GroupCommit } from './group-commit.ts';

/** An account's (not a wallet's) balance: its rolled-up row and the deltas behind it, from one snapshot, so exact at every commit. */
export const STORED_BALANCE_SQL = `select coalesce((select balance_minor from ledger_balances where account = $1), 0)
  + coalesce((select sum(amount_minor) from ledger_balance_deltas where account = $1), 0) as total`;

/** Charges that arrive together go to the database together (GroupCommit), up to this many in one transaction. */
export const MAX_CHARGES_PER_BATCH = 32;
export const DEFAULT_BATCHES_IN_FLIGHT = 4;
/** Charges waiting for a batch before more are refused: some thirty round trips of full batches, well past any wait worth making. */
export const MAX_CHARGES_WAITING = 4_096;

interface ChargeRow {
  idx: number;
  charge_id: string | null;
  consumer_id: string;
  creator_id: string;
  tool_id: string;
  price_cents: string | number;
  wallet_balance_cents: string | number | null;
  outcome: 'charged' | 'replayed' | 'insufficient';
}

interface EntryRow {
  transfer_id: string;
  seq: number;
  amount_minor: string | number;
  kind: TransferKind;
  reference: string;
  created_at: Date | string;
}

/**
 * The ledger in SQL, written by hand: the hot path is one call of `charge_tool_calls` (see the
 * wallet-ledger migration) and every other write is a few set-based statements, which an ORM's
 * unit of work would only make slower and less clear.
 */
export class SqlWalletLedger implements WalletLedger {
  private readonly orm: MikroORM;
  private readonly charges: GroupCommit<{ charge: ToolCharge; transfer: LedgerTransfer }, RecordedCharge>;

  constructor(orm: MikroORM, options: { batchesInFlight?: number } = {}) {
    this.orm = orm;
    this.charges = new GroupCommit({
      send: (batch) => this.chargeBatch(batch),
      maxBatch: MAX_CHARGES_PER_BATCH,
      maxInFlight: options.batchesInFlight ?? DEFAULT_BATCHES_IN_FLIGHT,
      maxWaiting: MAX_CHARGES_WAITING,
    });
  }

  chargeToolCall(charge: ToolCharge, transfer: LedgerTransfer): Promise<RecordedCharge> {
    transfer.assertBalanced();
    // A charge sent again after its batch failed whole is replayed by its key, never charged twice.
    return this.charges.submit({ charge, transfer });
  }

  private async chargeBatch(batch: readonly { charge: ToolCharge; transfer: LedgerTransfer }[]): Promise<(RecordedCharge | Error)[]> {
    const payload = batch.map(({ charge, transfer }, idx) => ({
      idx,
      charge_id: charge.id,
      key: charge.idempotencyKey,
      consumer: charge.consumerId,
      creator: charge.creatorId,
      tool: charge.toolId,
      price: charge.price.amountMinor,
      transfer_id: transfer.id,
      entries: transfer.entries.map((entry) => ({ account: entry.account.key, amount: entry.amountMinor })),
      at: charge.createdAt.toISOString(),
    }));
    // Outside any unit of work: each batch is its own autocommit transaction, its charges one bind parameter.
    const rows = await pooledQuery<ChargeRow>(this.orm, 'select * from charge_tool_calls($1::jsonb)', [JSON.stringify(payload)]);
    invariant(rows.length === batch.length, `charge_tool_calls answered ${rows.length} of ${batch.length} charges`);
    const results: (RecordedCharge | Error)[] = [];
    for (const row of rows) {
      const { charge } = batch[row.idx]!;
      results[row.idx] =
        row.outcome === 'insufficient'
          ? new InsufficientFundsError(`wallet of ${charge.consumerId} cannot pay ${charge.price.amountMinor} cents`)
          : {
              chargeId: row.charge_id!,
              consumerId: row.consumer_id,
              creatorId: row.creator_id,
              toolId: row.tool_id,
              price: Money.of(Number(row.price_cents), WALLET_CURRENCY),
              walletBalance: Money.of(Number(row.wallet_balance_cents), WALLET_CURRENCY),
              replayed: row.outcome === 'replayed',
            };
    }
    return results;
  }

  async post(transfer: LedgerTransfer, options: { allowNegativeWallet?: boolean } = {}): Promise<void> {
    transfer.assertBalanced();
    for (const entry of transfer.entries) {
      if (entry.account.type === 'wallet') await this.moveWallet(entry.account.ownerId!, entry.amountMinor, transfer.createdAt, options);
    }
    await this.query(
      `insert into ledger_transfers (owner_id, id, kind, currency, reference, actor_id, reason, fx, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        transfer.ownerId,
        transfer.id,
        transfer.kind,
        transfer.currency,
        transfer.reference,
        transfer.actorId,
        transfer.reason,
        transfer.fx ? JSON.stringify({ ...transfer.fx, quotedAt: transfer.fx.quotedAt.toISOString() }) : null,
        transfer.createdAt,
      ],
    );
    await this.query('select post_ledger_entries($1, $2, $3::jsonb)', [transfer.ownerId, transfer.id, entriesJson(transfer)]);
  }

  async wallet(userId: string): Promise<WalletSnapshot> {
    const [row] = await this.query<{ balance_cents: string; flagged: boolean }>(
      'select balance_cents, flagged from wallets where user_id = $1',
      [userId],
    );
    return { balance: Money.of(row ? Number(row.balance_cents) : 0, WALLET_CURRENCY), flagged: row?.flagged ?? false };
  }

  async balance(account: LedgerAccount): Promise<Money> {
    if (account.type === 'wallet') return (await this.wallet(account.ownerId!)).balance;
    const [row] = await this.query<{ total: string }>(STORED_BALANCE_SQL, [account.key]);
    return Money.of(Number(row?.total ?? 0), WALLET_CURRENCY);
  }

  async rollUpBalances(limit: number): Promise<number> {
    // Its own autocommit transaction, whoever calls it.
    const [row] = await pooledQuery<{ rolled: number }>(this.orm, 'select roll_up_ledger_balances($1) as rolled', [limit]);
    return row?.rolled ?? 0;
  }

  async entries(account: LedgerAccount, page: PageRequest): Promise<Page<AccountEntry>> {
    const rows = await this.query<EntryRow>(...accountEntriesQuery(account, page));
    return {
      hasNextPage: rows.length > page.first,
      items: rows.slice(0, page.first).map((row) => ({
        cursor: encodeCursor([row.transfer_id, row.seq]),
        node: {
          transferId: row.transfer_id,
          kind: row.kind,
          amount: Money.of(Number(row.amount_minor), WALLET_CURRENCY),
          reference: row.reference,
          createdAt: new Date(row.created_at),
        },
      })),
    };
  }

  private async moveWallet(userId: string, deltaCents: number, now: Date, options: { allowNegativeWallet?: boolean }): Promise<void> {
    if (deltaCents < 0 && !options.allowNegativeWallet) {
      const moved = await this.query<{ balance_cents: string }>(
        `update wallets set balance_cents = balance_cents + $1, updated_at = $2 where user_id = $3 and balance_cents >= $4 returning balance_cents`,
        [deltaCents, now, userId, -deltaCents],
      );
      if (moved.length === 0) throw new InsufficientFundsError(`wallet of ${userId} cannot give ${-deltaCents} cents`);
      return;
    }
    // A credit, or a reversal allowed to go below zero: such a wallet is flagged for review.
    await this.query(
      `insert into wallets (user_id, balance_cents, flagged, updated_at) values ($1, $2::bigint, $2::bigint < 0, $3)
       on conflict (user_id) do update set
         balance_cents = wallets.balance_cents + excluded.balance_cents,
         flagged = wallets.flagged or wallets.balance_cents + excluded.balance_cents < 0,
         updated_at = excluded.updated_at`,
      [userId, deltaCents, now],
    );
  }

  /** In the caller's unit of work when there is one. */
  private query<R>(sql: string, parameters: readonly unknown[]): Promise<readonly R[]> {
    return boundQuery<R>(this.orm, sql, parameters);
  }
}

/** A transfer's entries as one JSON parameter (the driver would spread a JS array into many). */
function entriesJson(transfer: LedgerTransfer): string {
  return JSON.stringify(transfer.entries.map((entry) => ({ account: entry.account.key, amount: entry.amountMinor })));
}

function parseEntryCursor(cursor: string): [string, number] {
  const position = decodeCursor(cursor);
  if (!position || typeof position[0] !== 'string' || typeof position[1] !== 'number') {
    throw new InvalidInputError('after', 'after is not a cursor from this list');
  }
  return [position[0], position[1]];
}


/**
 * One page of an account's entries, newest first: the statement and its parameters, served by
 * `ledger_entries_account_page_idx` in its own order (tests/persistence/page-plans.test.ts).
 * A wallet's entries are all its owner's, which the statement says, so that on Citus it goes to
 * that owner's shard alone.
 */
export function accountEntriesQuery(account: LedgerAccount, page: PageRequest): [string, unknown[]] {
  const parameters: unknown[] = [account.key, page.first + 1];
  let where = 'e.account = $1';
  if (account.type === 'wallet') {
    parameters.push(account.ownerId);
    where += ` and e.owner_id = $${parameters.length}`;
  }
  if (page.after !== undefined) {
    parameters.push(...parseEntryCursor(page.after));
    where += ` and (e.transfer_id, e.seq) < ($${parameters.length - 1}, $${parameters.length}::smallint)`;
  }
  return [
    `select e.transfer_id, e.seq, e.amount_minor, t.kind, t.reference, t.created_at
     from ledger_entries e join ledger_transfers t on t.owner_id = e.owner_id and t.id = e.transfer_id
     where ${where}
     order by e.transfer_id desc, e.seq desc
     limit $2`,
    parameters,
  ];
}
