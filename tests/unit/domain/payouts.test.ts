import { describe, expect, it } from 'vitest';
import { PayoutAccount } from '../../../domain/payouts/payout-account.entity.ts';
import {
  parsePayoutAmount,
  payoutAmount,
  payoutPaidTransfer,
  payoutPeriod,
  payoutReturnedTransfer,
  payoutStartedTransfer,
} from '../../../domain/payouts/payout-rules.ts';
import { Payout } from '../../../domain/payouts/payout.entity.ts';
import { LedgerAccount } from '../../../domain/ledger/ledger-account.ts';
import { CorruptRecordError, InvalidInputError, InvariantViolation } from '../../../domain/shared/errors.ts';
import { Money } from '../../../domain/shared/money.value-object.ts';

const NOW = new Date('2026-11-24T10:00:00Z');

const PAYOUT_FIELDS = {
  id: 'po_1',
  creatorId: 'creator-1',
  gateway: 'stripe',
  providerAccountId: 'acct_1',
  amount: Money.of(2_500, 'USD'),
  payoutAmount: Money.of(2_500, 'USD'),
  fx: null,
  period: null,
  retryOf: null,
  createdAt: NOW,
} as const;

function aPayout(cents = 2_500): Payout {
  return Payout.request({ ...PAYOUT_FIELDS, amount: Money.of(cents, 'USD'), payoutAmount: Money.of(cents, 'USD') });
}

/** The amount a request would take: the request's amount parsed, then checked against the balance. */
function payoutAmountCents(requested: unknown, availableCents: number): number {
  return payoutAmount(parsePayoutAmount(requested), Money.of(availableCents, 'USD')).amountMinor;
}

describe('payout amount rules', () => {
  it('pays what was asked, or everything available when nothing was', () => {
    expect(payoutAmountCents(1_500, 4_000)).toBe(1_500);
    expect(payoutAmountCents(undefined, 4_000)).toBe(4_000);
    expect(payoutAmountCents(1_000, 1_000)).toBe(1_000);
  });

  it.each([
    [999, 4_000, /minimum payout is \$10\.00/],
    [4_001, 4_000, /only 4000 cents are available/],
    [undefined, 999, /minimum payout/],
    [undefined, -300, /minimum payout/],
    [0, 4_000, /positive whole number/],
    [12.5, 4_000, /positive whole number/],
    ['1000', 4_000, /positive whole number/],
  ])('refuses %s cents from a balance of %s', (requested, available, message) => {
    expect(() => payoutAmountCents(requested, available)).toThrow(InvalidInputError);
    expect(() => payoutAmountCents(requested, available)).toThrow(message);
  });
});

describe('payout periods', () => {
  it.each([
    ['2026-11-23T00:00:00Z', 'weekly:2026-W48'],
    ['2026-11-29T23:59:59Z', 'weekly:2026-W48'],
    ['2026-11-30T00:00:00Z', 'weekly:2026-W49'],
    ['2027-01-01T12:00:00Z', 'weekly:2026-W53'],
    ['2025-12-29T00:00:00Z', 'weekly:2026-W01'],
  ])('puts %s in ISO week %s', (at, period) => {
    expect(payoutPeriod('weekly', new Date(at))).toBe(period);
  });

  it('names the calendar month in UTC', () => {
    expect(payoutPeriod('monthly', new Date('2026-11-30T23:59:59Z'))).toBe('monthly:2026-11');
    expect(payoutPeriod('monthly', new Date('2026-12-01T00:00:00Z'))).toBe('monthly:2026-12');
  });
});

describe('payout state', () => {
  it('goes pending → in transit → paid, once', () => {
    const payout = aPayout();
    expect(payout.recordTransfer('tr_1', false, NOW)).toBe(true);
    expect(payout.status).toBe('in_transit');
    expect(payout.recordTransfer('tr_1', false, NOW)).toBe(false);
    expect(payout.recordTransfer('tr_1', true, NOW)).toBe(true);
    expect(payout.recordTransfer('tr_1', true, NOW)).toBe(false);
    expect(payout.status).toBe('paid');
  });

  it('fails once, saying where its money was, and never settles afterwards', () => {
    const payout = aPayout();
    payout.recordTransfer('tr_1', true, NOW);
    expect(payout.fail('reversed', NOW)).toBe('paid');
    expect(payout.fail('reversed again', NOW)).toBeNull();
    expect(payout.recordTransfer('tr_1', true, NOW)).toBe(false);
    expect(payout).toMatchObject({ status: 'failed', failureReason: 'reversed' });
  });

  it('moves money balance → in flight → provider, or back to the balance from where it was, in balanced transfers', () => {
    const payout = aPayout(2_500);
    const balance = LedgerAccount.creatorBalance('creator-1');
    const inFlight = LedgerAccount.payoutsInFlight('creator-1');
    const clearing = LedgerAccount.providerClearing('stripe');

    const started = payoutStartedTransfer(payout, 't1', NOW);
    const paid = payoutPaidTransfer(payout, 't2', NOW);
    payout.fail('reversed', NOW);
    const returnedAfterPaid = payoutReturnedTransfer(payout, 'paid', 't3', NOW);
    const returnedFromFlight = payoutReturnedTransfer(payout, 'in_transit', 't4', NOW);

    expect([started.entryFor(balance), started.entryFor(inFlight)]).toEqual([-2_500, 2_500]);
    expect([paid.entryFor(inFlight), paid.entryFor(clearing)]).toEqual([-2_500, 2_500]);
    expect([returnedAfterPaid.entryFor(clearing), returnedAfterPaid.entryFor(balance)]).toEqual([-2_500, 2_500]);
    expect([returnedFromFlight.entryFor(inFlight), returnedFromFlight.entryFor(balance)]).toEqual([-2_500, 2_500]);
    expect(returnedAfterPaid).toMatchObject({ kind: 'payout_return', reference: 'po_1', reason: 'reversed' });
  });
});

describe('payout account', () => {
  it('can be paid only once verified, and says why not before', () => {
    const account = PayoutAccount.open('creator-1', 'razorpay', NOW);
    expect(account.payoutBlocker).toMatch(/not complete/);
    account.linkProviderAccount('acc_1', 'pending', NOW);
    expect(account.payoutBlocker).toMatch(/still checking/);
    account.applyProviderState({ status: 'restricted', reason: 'bank account name mismatch' }, NOW);
    expect(account.payoutBlocker).toMatch(/restricted by razorpay: bank account name mismatch/);
    expect(account.applyProviderState({ status: 'verified', reason: 'ignored' }, NOW)).toBe(true);
    expect(account).toMatchObject({ payoutBlocker: null, restrictionReason: null });
    expect(account.applyProviderState({ status: 'verified', reason: null }, NOW)).toBe(false);
  });

  it('refuses to switch to a second provider account', () => {
    const account = PayoutAccount.open('creator-1', 'stripe', NOW);
    account.linkProviderAccount('acct_1', 'pending', NOW);
    expect(() => account.linkProviderAccount('acct_2', 'pending', NOW)).toThrow(/already has a payout account/);
  });
});

describe('payouts and payout accounts read back from storage', () => {
  const paid = { status: 'paid', providerTransferId: 'tr_1', failureReason: null, updatedAt: NOW } as const;

  it('restores a payout in a state its own changes could reach', () => {
    expect(Payout.restore(PAYOUT_FIELDS, paid)).toMatchObject({ id: 'po_1', status: 'paid', providerTransferId: 'tr_1' });
    expect(Payout.restore(PAYOUT_FIELDS, { ...paid, status: 'failed', failureReason: 'reversed' })).toMatchObject({ status: 'failed' });
  });

  it('refuses a payout no change of its own could reach, naming it, rather than returning it half valid', () => {
    const refusals: [Parameters<typeof Payout.restore>[1], RegExp][] = [
      [{ ...paid, providerTransferId: null }, /a payout paid names its provider transfer/],
      [{ ...paid, status: 'pending' }, /a pending payout has no transfer yet/],
      [{ ...paid, status: 'failed' }, /a failed payout says why/],
      [{ ...paid, failureReason: 'refused' }, /a payout paid has no failure reason/],
      [{ ...paid, status: 'lost' as never }, /unknown payout status lost/],
    ];
    for (const [state, reason] of refusals) {
      expect(() => Payout.restore(PAYOUT_FIELDS, state)).toThrow(CorruptRecordError);
      expect(() => Payout.restore(PAYOUT_FIELDS, state)).toThrow(new RegExp(`^stored Payout po_1 is refused: ${reason.source}`));
    }
    expect(() => Payout.restore({ ...PAYOUT_FIELDS, payoutAmount: Money.of(2_400, 'USD') }, paid)).toThrow(/without an FX snapshot pays what it takes/);
    expect(() => Payout.restore({ ...PAYOUT_FIELDS, amount: Money.of(2_500, 'INR') }, paid)).toThrow(/taken in USD, not INR/);
  });

  it('refuses to request a payout of nothing', () => {
    expect(() => aPayout(0)).toThrow(InvariantViolation);
  });

  it('refuses a payout account with a restriction reason while not restricted, or past not_started at no provider account', () => {
    const verified = {
      creatorId: 'creator-1',
      gateway: 'stripe',
      frequency: 'weekly',
      onboardingStatus: 'verified',
      providerAccountId: 'acct_1',
      restrictionReason: null,
      createdAt: NOW,
      updatedAt: NOW,
    } as const;
    expect(PayoutAccount.restore(verified).payoutBlocker).toBeNull();
    expect(() => PayoutAccount.restore({ ...verified, restrictionReason: 'closed' })).toThrow(
      'stored PayoutAccount creator-1 is refused: only a restricted account keeps a restriction reason',
    );
    expect(() => PayoutAccount.restore({ ...verified, providerAccountId: null })).toThrow(/^stored PayoutAccount creator-1 is refused: an account verified/);
    expect(() => PayoutAccount.restore({ ...verified, frequency: 'daily' as never })).toThrow(/unknown payout frequency daily/);
  });
});
