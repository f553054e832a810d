import { LedgerAccount } from '../ledger/ledger-account.ts';
import { LedgerTransfer } from '../ledger/ledger-transfer.entity.ts';
import { InvalidInputError } from '../shared/errors.ts';
import type { FxSnapshot } from '../shared/fx-rate.value-object.ts';
import { Money } from '../shared/money.value-object.ts';
import type { FeeSplit } from './marketplace-fee.policy.ts';

/** Wallets hold US cents whatever the gateway: deposits in INR are converted on the way in. */
export const WALLET_CURRENCY = 'USD';
export const MIN_DEPOSIT_CENTS = 500;
export const MAX_DEPOSIT_CENTS = 50_000;
/** The most one tool call may cost ($10,000): far above any real price, low enough to catch a unit mistake. */
export const MAX_TOOL_PRICE_CENTS = 1_000_000;
/** The largest single admin correction ($100,000). */
export const MAX_ADJUSTMENT_CENTS = 10_000_000;

export function parseDepositAmount(raw: unknown, field = 'amount_cents'): Money {
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < MIN_DEPOSIT_CENTS || raw > MAX_DEPOSIT_CENTS) {
    throw new InvalidInputError(
      field,
      `${field} must be a whole number of cents from ${MIN_DEPOSIT_CENTS} ($5.00) to ${MAX_DEPOSIT_CENTS} ($500.00)`,
    );
  }
  return Money.of(raw, WALLET_CURRENCY);
}

export function parsePositiveCents(raw: unknown, field: string, max: number): Money {
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw <= 0 || raw > max) {
    throw new InvalidInputError(field, `${field} must be a whole number of cents from 1 to ${max}`);
  }
  return Money.of(raw, WALLET_CURRENCY);
}

/** What a consumer pays for one call of a creator's paid tool. */
export interface ToolCharge {
  readonly id: string;
  readonly idempotencyKey: string;
  readonly consumerId: string;
  readonly creatorId: string;
  readonly toolId: string;
  readonly price: Money;
  readonly split: FeeSplit;
  readonly createdAt: Date;
}

/** Consumer's wallet → creator's balance + the platform's fee. */
export function toolChargeTransfer(charge: ToolCharge, transferId: string): LedgerTransfer {
  return LedgerTransfer.create({
    id: transferId,
    kind: 'tool_charge',
    currency: WALLET_CURRENCY,
    entries: [
      { account: LedgerAccount.wallet(charge.consumerId), amountMinor: -charge.price.amountMinor },
      { account: LedgerAccount.creatorBalance(charge.creatorId), amountMinor: charge.split.creatorShare.amountMinor },
      { account: LedgerAccount.platformFees, amountMinor: charge.split.fee.amountMinor },
    ],
    reference: charge.id,
    createdAt: charge.createdAt,
  });
}

/** Provider clearing → the user's wallet, in US cents, keeping the FX snapshot of a converted charge. */
export function depositTransfer(input: {
  transferId: string;
  userId: string;
  provider: string;
  credit: Money;
  checkoutSessionId: string;
  fx: FxSnapshot | null;
  now: Date;
}): LedgerTransfer {
  return LedgerTransfer.create({
    id: input.transferId,
    kind: 'deposit',
    currency: WALLET_CURRENCY,
    entries: [
      { account: LedgerAccount.providerClearing(input.provider), amountMinor: -input.credit.amountMinor },
      { account: LedgerAccount.wallet(input.userId), amountMinor: input.credit.amountMinor },
    ],
    reference: input.checkoutSessionId,
    fx: input.fx,
    createdAt: input.now,
  });
}

/** An admin's correction: the platform's corrections account ↔ the user's wallet, with who and why. */
export function adjustmentTransfer(input: {
  transferId: string;
  userId: string;
  amount: Money;
  actorId: string;
  reason: string;
  now: Date;
}): LedgerTransfer {
  return LedgerTransfer.create({
    id: input.transferId,
    kind: 'adjustment',
    currency: WALLET_CURRENCY,
    entries: [
      { account: LedgerAccount.wallet(input.userId), amountMinor: input.amount.amountMinor },
      { account: LedgerAccount.corrections, amountMinor: -input.amount.amountMinor },
    ],
    reference: `adjustment:${input.transferId}`,
    actorId: input.actorId,
    reason: input.reason,
    createdAt: input.now,
  });
}

/**
 * A refund or dispute takes a deposit back from the wallet (positive `takenBackCents`), or a won
 * dispute returns it (negative): wallet ↔ provider clearing. This is the only transfer allowed to
 * take a wallet below zero; such a wallet is flagged.
 */
export function depositReversalTransfer(input: {
  transferId: string;
  userId: string;
  provider: string;
  takenBackCents: number;
  checkoutSessionId: string;
  reason: string;
  now: Date;
}): LedgerTransfer {
  return LedgerTransfer.create({
    id: input.transferId,
    kind: 'deposit_reversal',
    currency: WALLET_CURRENCY,
    entries: [
      { account: LedgerAccount.wallet(input.userId), amountMinor: -input.takenBackCents },
      { account: LedgerAccount.providerClearing(input.provider), amountMinor: input.takenBackCents },
    ],
    reference: input.checkoutSessionId,
    reason: input.reason,
    createdAt: input.now,
  });
}
