import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Money } from '../../../domain/shared/money.value-object.ts';
import { splitMarketplaceFee } from '../../../domain/wallet/marketplace-fee.policy.ts';

describe('marketplace fee split', () => {
  it('takes whole cents rounded down and gives the creator the rest', () => {
    const split = splitMarketplaceFee(Money.of(999, 'USD'), 2_000);

    expect([split.fee.amountMinor, split.creatorShare.amountMinor]).toEqual([199, 800]);
  });

  // Worked by hand: price × bps / 10,000, the fraction of a cent dropped from the fee.
  it.each([
    { priceCents: 1, feeBps: 2_000, feeCents: 0, shareCents: 1 },
    { priceCents: 5, feeBps: 2_000, feeCents: 1, shareCents: 4 },
    { priceCents: 12_345, feeBps: 1_750, feeCents: 2_160, shareCents: 10_185 },
    { priceCents: 50_000, feeBps: 1, feeCents: 5, shareCents: 49_995 },
    { priceCents: 10_000, feeBps: 10_000, feeCents: 10_000, shareCents: 0 },
    { priceCents: 777, feeBps: 0, feeCents: 0, shareCents: 777 },
    // Far beyond 2^53 / 10,000 the product is not exact in floating point, which would make this fee a cent too high.
    { priceCents: Number.MAX_SAFE_INTEGER, feeBps: 232, feeCents: 208_967_022_709_990, shareCents: 8_798_232_232_031_001 },
  ])('splits $priceCents cents at $feeBps bps into a fee of $feeCents and a share of $shareCents', ({ priceCents, feeBps, feeCents, shareCents }) => {
    const { fee, creatorShare } = splitMarketplaceFee(Money.of(priceCents, 'USD'), feeBps);

    expect([fee.amountMinor, creatorShare.amountMinor]).toEqual([feeCents, shareCents]);
  });

  it('charges, for any price and fee, the largest whole-cent fee not above price × bps / 10,000, in the price currency', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 0, max: 10_000 }), fc.constantFrom('USD', 'INR'), (cents, bps, currency) => {
        const { fee, creatorShare } = splitMarketplaceFee(Money.of(cents, currency), bps);
        // The floor, stated without dividing: 10,000 × fee ≤ price × bps < 10,000 × (fee + 1), exact in BigInt.
        const owed = BigInt(cents) * BigInt(bps);
        const feeCents = BigInt(fee.amountMinor);
        expect(feeCents * 10_000n <= owed && owed < (feeCents + 1n) * 10_000n).toBe(true);
        expect([fee.currency, creatorShare.currency]).toEqual([currency, currency]);
      }),
    );
  });
});
