import { LedgerAccount } from '../ledger/ledger-account.ts';
import { LedgerTransfer } from '../ledger/ledger-transfer.entity.ts';
import { InvalidInputError, invariant } from '../shared/errors.ts';
import { Money } from '../shared/money.value-object.ts';
import { WALLET_CURRENCY } from '../wallet/wallet-rules.ts';
import type { PayoutFrequency } from './payout-account.entity.ts';
import type { Payout } from './payout.entity.ts';

/** The smallest payout, in US cents ($10.00), as the product pages say. */
export const MIN_PAYOUT_CENTS = 1_000;

/**
 * The amount a creator asks to be paid, parsed once where the request comes in: a positive whole
 * number of US cents, or null (nothing given) for everything available.
 */
export function parsePayoutAmount(raw: unknown): Money | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw <= 0) {
    throw new InvalidInputError('amountCents', 'amountCents must be a positive whole number of cents');
  }
  return Money.of(raw, WALLET_CURRENCY);
}

/**
 * What a payout takes from the balance: the amount asked for, or everything available when none
 * is given. Refused (nothing written) below the minimum, above the balance, or when a refund or
 * dispute left the balance below zero: such a debt is netted against later earnings, never paid.
 */
export function payoutAmount(requested: Money | null, available: Money): Money {
  const amount = requested ?? available;
  invariant(amount.currency === WALLET_CURRENCY, `a payout is taken in ${WALLET_CURRENCY}, not ${amount.currency}`);
  if (amount.amountMinor < MIN_PAYOUT_CENTS) {
    throw new InvalidInputError(
      'amountCents',
      `the minimum payout is $${(MIN_PAYOUT_CENTS / 100).toFixed(2)} (${MIN_PAYOUT_CENTS} cents); ${requested === null ? `the available balance is ${available.amountMinor} cents` : `asked for ${amount.amountMinor} cents`}`,
    );
  }
  if (amount.compare(available) > 0) {
    throw new InvalidInputError('amountCents', `asked for ${amount.amountMinor} cents but only ${Math.max(available.amountMinor, 0)} cents are available`);
  }
  return amount;
}

/** The period a scheduled payout pays, so a creator is paid at most once in it: ISO week or calendar month, in UTC. */
export function payoutPeriod(frequency: Exclude<PayoutFrequency, 'manual'>, at: Date): string {
  if (frequency === 'monthly') return `monthly:${at.toISOString().slice(0, 7)}`;
  // ISO 8601 week: the week with the year's first Thursday is week 1.
  const day = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `weekly:${day.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

function payoutTransfer(payout: Payout, transferId: string, kind: 'payout' | 'payout_return', from: LedgerAccount, to: LedgerAccount, now: Date, reason: string | null = null): LedgerTransfer {
  const cents = payout.amount.amountMinor;
  return LedgerTransfer.create({
    id: transferId,
    kind,
    currency: WALLET_CURRENCY,
    entries: [
      { account: from, amountMinor: -cents },
      { account: to, amountMinor: cents },
    ],
    reference: payout.id,
    reason,
    fx: payout.fx,
    createdAt: now,
  });
}

/** The payout leaves the developer balance and is in flight. */
export function payoutStartedTransfer(payout: Payout, transferId: string, now: Date): LedgerTransfer {
  return payoutTransfer(payout, transferId, 'payout', LedgerAccount.creatorBalance(payout.creatorId), LedgerAccount.payoutsInFlight(payout.creatorId), now);
}

/** The provider paid it: out of flight, to the provider. */
export function payoutPaidTransfer(payout: Payout, transferId: string, now: Date): LedgerTransfer {
  return payoutTransfer(payout, transferId, 'payout', LedgerAccount.payoutsInFlight(payout.creatorId), LedgerAccount.providerClearing(payout.gateway), now);
}

/** A failed payout's money back on the balance: from flight, or from the provider when a paid transfer was reversed. */
export function payoutReturnedTransfer(payout: Payout, failedFrom: 'pending' | 'in_transit' | 'paid', transferId: string, now: Date): LedgerTransfer {
  const from = failedFrom === 'paid' ? LedgerAccount.providerClearing(payout.gateway) : LedgerAccount.payoutsInFlight(payout.creatorId);
  return payoutTransfer(payout, transferId, 'payout_return', from, LedgerAccount.creatorBalance(payout.creatorId), now, payout.failureReason);
}
