import type { MikroORM } from '@mikro-orm/postgresql';
import type { PayoutRepository } from '../../application/payouts/payout.repository.ts';
import type { Page, PageRequest } from '../../application/shared/pagination.ts';
import type { FxSnapshot } from '../../domain/shared/fx-rate.value-object.ts';
import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { PayoutAccount, type OnboardingStatus, type PayoutFrequency } from '../../domain/payouts/payout-account.entity.ts';
import { Payout, type PayoutStatus } from '../../domain/payouts/payout.entity.ts';
import { InvalidInputError, restoring } from '../../domain/shared/errors.ts';
import { Money, type Currency } from '../../domain/shared/money.value-object.ts';
import { decodeCursor, encodeCursor } from '../shared/cursor.ts';
import { boundQuery } from './bound-query.ts';

interface AccountRow {
  creator_id: string;
  gateway: PaymentGatewayName;
  frequency: PayoutFrequency;
  onboarding_status: OnboardingStatus;
  provider_account_id: string | null;
  restriction_reason: string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

interface PayoutRow {
  id: string;
  creator_id: string;
  gateway: PaymentGatewayName;
  provider_account_id: string;
  amount_cents: string | number;
  payout_currency: Currency;
  payout_amount_minor: string | number;
  fx: (Omit<FxSnapshot, 'quotedAt'> & { quotedAt: string }) | null;
  period: string | null;
  retry_of: string | null;
  status: PayoutStatus;
  provider_transfer_id: string | null;
  failure_reason: string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

function toAccount(row: AccountRow): PayoutAccount {
  return PayoutAccount.restore({
    creatorId: row.creator_id,
    gateway: row.gateway,
    frequency: row.frequency,
    onboardingStatus: row.onboarding_status,
    providerAccountId: row.provider_account_id,
    restrictionReason: row.restriction_reason,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  });
}

/** The row's amounts become Money inside the restore, so a bad amount or currency is refused in the payout's name too. */
function toPayout(row: PayoutRow): Payout {
  return restoring('Payout', row.id, () =>
    Payout.restore(
      {
        id: row.id,
        creatorId: row.creator_id,
        gateway: row.gateway,
        providerAccountId: row.provider_account_id,
        amount: Money.of(Number(row.amount_cents), 'USD'),
        payoutAmount: Money.of(Number(row.payout_amount_minor), row.payout_currency),
        fx: row.fx ? { ...row.fx, quotedAt: new Date(row.fx.quotedAt) } : null,
        period: row.period,
        retryOf: row.retry_of,
        createdAt: new Date(row.created_at),
      },
      {
        status: row.status,
        providerTransferId: row.provider_transfer_id,
        failureReason: row.failure_reason,
        updatedAt: new Date(row.updated_at),
      },
    ),
  );
}

/** Payout accounts and payouts in plain SQL (bound parameters), inside whatever transaction the unit of work runs. */
export class SqlPayoutRepository implements PayoutRepository {
  private readonly orm: MikroORM;

  constructor(orm: MikroORM) {
    this.orm = orm;
  }

  /** In the caller's unit of work when there is one. */
  private query<R>(sql: string, parameters: readonly unknown[]): Promise<readonly R[]> {
    return boundQuery<R>(this.orm, sql, parameters);
  }

  async findAccount(creatorId: string): Promise<PayoutAccount | null> {
    const [row] = await this.query<AccountRow>('select * from payout_accounts where creator_id = $1', [creatorId]);
    return row ? toAccount(row) : null;
  }

  async lockAccount(creatorId: string, gateway: PaymentGatewayName, now: Date): Promise<PayoutAccount> {
    const fresh = PayoutAccount.open(creatorId, gateway, now);
    // Two first requests of one creator at once: one inserts, the other waits for it and locks the same row.
    await this.query(
      `insert into payout_accounts (creator_id, gateway, frequency, onboarding_status, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6) on conflict (creator_id) do nothing`,
      [creatorId, gateway, fresh.frequency, fresh.onboardingStatus, now, now],
    );
    const [row] = await this.query<AccountRow>('select * from payout_accounts where creator_id = $1 for update', [creatorId]);
    return toAccount(row!);
  }

  async findAccountByProviderId(gateway: PaymentGatewayName, providerAccountId: string): Promise<PayoutAccount | null> {
    const [row] = await this.query<AccountRow>('select * from payout_accounts where gateway = $1 and provider_account_id = $2', [gateway, providerAccountId]);
    return row ? toAccount(row) : null;
  }

  async findAccountByProviderIdForUpdate(gateway: PaymentGatewayName, providerAccountId: string): Promise<PayoutAccount | null> {
    const [row] = await this.query<AccountRow>('select * from payout_accounts where gateway = $1 and provider_account_id = $2 for update', [
      gateway,
      providerAccountId,
    ]);
    return row ? toAccount(row) : null;
  }

  async saveAccount(account: PayoutAccount): Promise<void> {
    account.assertInvariants();
    await this.query(
      `insert into payout_accounts (creator_id, gateway, frequency, onboarding_status, provider_account_id, restriction_reason, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8)
       on conflict (creator_id) do update set frequency = excluded.frequency, onboarding_status = excluded.onboarding_status,
         provider_account_id = excluded.provider_account_id, restriction_reason = excluded.restriction_reason, updated_at = excluded.updated_at`,
      [
        account.creatorId,
        account.gateway,
        account.frequency,
        account.onboardingStatus,
        account.providerAccountId,
        account.restrictionReason,
        account.createdAt,
        account.updatedAt,
      ],
    );
  }

  async add(payout: Payout): Promise<boolean> {
    payout.assertInvariants();
    const inserted = await this.query<{ id: string }>(
      `insert into payouts (id, creator_id, gateway, provider_account_id, amount_cents, payout_currency, payout_amount_minor, fx, period,
         retry_of, status, provider_transfer_id, failure_reason, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12, $13, $14, $15)
       on conflict do nothing returning id`,
      [
        payout.id,
        payout.creatorId,
        payout.gateway,
        payout.providerAccountId,
        payout.amount.amountMinor,
        payout.payoutAmount.currency,
        payout.payoutAmount.amountMinor,
        payout.fx ? JSON.stringify({ ...payout.fx, quotedAt: payout.fx.quotedAt.toISOString() }) : null,
        payout.period,
        payout.retryOf,
        payout.status,
        payout.providerTransferId,
        payout.failureReason,
        payout.createdAt,
        payout.updatedAt,
      ],
    );
    return inserted.length === 1;
  }

  async save(payout: Payout): Promise<void> {
    payout.assertInvariants();
    await this.query('update payouts set status = $1, provider_transfer_id = $2, failure_reason = $3, updated_at = $4 where id = $5', [
      payout.status,
      payout.providerTransferId,
      payout.failureReason,
      payout.updatedAt,
      payout.id,
    ]);
  }

  async find(id: string): Promise<Payout | null> {
    const [row] = await this.query<PayoutRow>('select * from payouts where id = $1', [id]);
    return row ? toPayout(row) : null;
  }

  async findForUpdate(id: string): Promise<Payout | null> {
    const [row] = await this.query<PayoutRow>('select * from payouts where id = $1 for update', [id]);
    return row ? toPayout(row) : null;
  }

  async findRetryOf(payoutId: string): Promise<Payout | null> {
    const [row] = await this.query<PayoutRow>('select * from payouts where retry_of = $1', [payoutId]);
    return row ? toPayout(row) : null;
  }

  async findByTransfer(gateway: PaymentGatewayName, transferId: string): Promise<Payout | null> {
    const [row] = await this.query<PayoutRow>('select * from payouts where gateway = $1 and provider_transfer_id = $2', [gateway, transferId]);
    return row ? toPayout(row) : null;
  }

  async list(creatorId: string, page: PageRequest): Promise<Page<Payout>> {
    const params: unknown[] = [creatorId];
    let after = '';
    if (page.after !== undefined) {
      const [id] = decodeCursor(page.after) ?? [];
      if (typeof id !== 'string') throw new InvalidInputError('after', 'after is not a cursor from this list');
      params.push(id);
      after = `and id < $${params.length}`;
    }
    params.push(page.first + 1);
    const rows = await this.query<PayoutRow>(`select * from payouts where creator_id = $1 ${after} order by id desc limit $${params.length}`, params);
    return {
      hasNextPage: rows.length > page.first,
      items: rows.slice(0, page.first).map((row) => ({ cursor: encodeCursor([row.id]), node: toPayout(row) })),
    };
  }

  async scheduledCreators(frequency: Exclude<PayoutFrequency, 'manual'>, period: string, afterCreatorId: string | null, limit: number): Promise<string[]> {
    const rows = await this.query<{ creator_id: string }>(
      `select creator_id from payout_accounts a where frequency = $1 and onboarding_status = 'verified' and creator_id > $2
       and not exists (select 1 from payouts p where p.creator_id = a.creator_id and p.period = $3)
       order by creator_id limit $4`,
      [frequency, afterCreatorId ?? '', period, limit],
    );
    return rows.map((row) => row.creator_id);
  }

  async unansweredIds(triedBefore: Date, createdAfter: Date, limit: number): Promise<string[]> {
    const rows = await this.query<{ id: string }>(
      `select id from payouts where status = 'pending' and updated_at < $1 and created_at > $2 order by updated_at limit $3`,
      [triedBefore, createdAfter, limit],
    );
    return rows.map((row) => row.id);
  }

  async inTransitIds(movedBefore: Date, limit: number): Promise<string[]> {
    const rows = await this.query<{ id: string }>(`select id from payouts where status = 'in_transit' and updated_at < $1 order by updated_at limit $2`, [movedBefore, limit]);
    return rows.map((row) => row.id);
  }
}
