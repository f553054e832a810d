import { InvalidInputError, invariant } from '../shared/errors.ts';
import { Money } from '../shared/money.value-object.ts';

export const MAX_FEE_BPS = 10_000;
export const BPS_PER_WHOLE = 10_000;

export interface FeeSplit {
  readonly fee: Money;
  readonly creatorShare: Money;
}

/**
 * The one rounding rule for the marketplace fee: fee = floor(price × feeBps / 10,000), whole
 * cents, rounded down; the creator gets everything else. So fee + creator share = price exactly,
 * and any fraction of a cent goes to the creator.
 */
export function splitMarketplaceFee(price: Money, feeBps: number): FeeSplit {
  invariant(Number.isInteger(feeBps) && feeBps >= 0 && feeBps <= MAX_FEE_BPS, `fee must be 0..${MAX_FEE_BPS} bps, got ${feeBps}`);
  invariant(price.amountMinor >= 0, 'a price is never negative');
  const feeMinor = Number((BigInt(price.amountMinor) * BigInt(feeBps)) / BigInt(BPS_PER_WHOLE));
  const fee = Money.of(feeMinor, price.currency);
  return { fee, creatorShare: price.subtract(fee) };
}

export function parseFeeBps(raw: string, field: string): number {
  const bps = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || bps > MAX_FEE_BPS) {
    throw new InvalidInputError(field, `${field} must be a whole number of basis points from 0 to ${MAX_FEE_BPS}`);
  }
  return bps;
}
