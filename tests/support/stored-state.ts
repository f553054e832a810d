import type { Container } from 'inversify';
import type { MikroORM } from '@mikro-orm/postgresql';
import { InMemoryProviderEventInbox } from '../../adapters/in-memory/in-memory.provider-event-inbox.ts';
import { InMemoryWalletLedger } from '../../adapters/in-memory/in-memory.wallet-ledger.ts';
import { pooledQuery } from '../../adapters/persistence/bound-query.ts';
import type { Database } from '../../adapters/persistence/database.ts';
import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { WALLET_LEDGER } from '../../application/wallet/wallet-ledger.port.ts';
import { PROVIDER_EVENT_INBOX } from '../../application/webhooks/provider-event-inbox.port.ts';
import { LedgerAccount } from '../../domain/ledger/ledger-account.ts';
import { LedgerTransfer, type TransferKind } from '../../domain/ledger/ledger-transfer.entity.ts';
import type { Currency } from '../../domain/shared/money.value-object.ts';
import { resolve } from '../../api/container.ts';

/**
 * What tests read of stored state that no port answers, since the service itself never asks: the
 * in-memory fakes' own inspection helpers, or SQL on the test's database.
 */
export interface StoredState {
  readonly container: Container;
  readonly database?: Database | undefined;
}

/** Every transfer touching the account, newest first, at most `limit`. */
export function transfersOf(state: StoredState, account: LedgerAccount, limit: number): Promise<LedgerTransfer[]> {
  if (state.database) return sqlTransfersOf(state.database.orm, account, limit);
  return inMemory(resolve(state.container, WALLET_LEDGER), InMemoryWalletLedger).transfersOf(account, limit);
}

/** How many events the inbox holds from the provider. */
export async function inboxCount(state: StoredState, provider: PaymentGatewayName): Promise<number> {
  if (!state.database) return inMemory(resolve(state.container, PROVIDER_EVENT_INBOX), InMemoryProviderEventInbox).count(provider);
  const [row] = await pooledQuery<{ count: string }>(state.database.orm, 'select count(*) as count from webhook_events where provider = $1', [provider]);
  return Number(row?.count ?? 0);
}

interface TransferRow {
  id: string;
  kind: TransferKind;
  currency: Currency;
  reference: string;
  actor_id: string | null;
  reason: string | null;
  fx: { rateMicros: number; source: string; quotedAt: string; baseAmountMinor: number } | null;
  created_at: Date | string;
  entries: { account: string; amount_minor: string | number }[];
}

/** The SQL ledger's transfers touching the account, read back from its tables. */
export async function sqlTransfersOf(orm: MikroORM, account: LedgerAccount, limit: number): Promise<LedgerTransfer[]> {
  const rows = await pooledQuery<TransferRow>(
    orm,
    `select t.*, (select json_agg(json_build_object('account', e.account, 'amount_minor', e.amount_minor) order by e.seq)
                  from ledger_entries e where e.owner_id = t.owner_id and e.transfer_id = t.id) as entries
     from ledger_transfers t
     join (select distinct owner_id, transfer_id from ledger_entries where account = $1 order by transfer_id desc limit $2) touched
       on touched.owner_id = t.owner_id and touched.transfer_id = t.id
     order by t.id desc`,
    [account.key, limit],
  );
  return rows.map((row) =>
    LedgerTransfer.create({
      id: row.id,
      kind: row.kind,
      currency: row.currency,
      reference: row.reference,
      actorId: row.actor_id,
      reason: row.reason,
      fx: row.fx ? { ...row.fx, quotedAt: new Date(row.fx.quotedAt) } : null,
      createdAt: new Date(row.created_at),
      entries: row.entries.map((entry) => ({ account: LedgerAccount.fromKey(entry.account), amountMinor: Number(entry.amount_minor) })),
    }),
  );
}

function inMemory<T>(bound: unknown, kind: abstract new (...args: never[]) => T): T {
  if (!(bound instanceof kind)) throw new Error(`a container with no database should hold the in-memory ${kind.name}`);
  return bound;
}
