import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Money } from '../../../domain/shared/money.value-object.ts';
import { splitMarketplaceFee } from '../../../domain/wallet/marketplace-fee.policy.ts';

describe('marketplace fee split', () => {
  it('takes whole cents rounded down and gives the creator the rest', () => {
    const split = splitMarketplaceFee(Money.of(999, 'USD'), 2_000);

    expect([split.fee.amountMinor, split.creatorShare.amountMinor]).toEqual([199, 800]);
  });

  it('never loses or makes a cent, for any price and fee', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 10_000 }), (cents, bps) => {
        const { fee, creatorShare } = splitMarketplaceFee(Money.of(cents, 'USD'), bps);
        expect(fee.amountMinor + creatorShare.amountMinor).toBe(cents);
        expect(fee.amountMinor).toBeGreaterThanOrEqual(0);
        expect(fee.amountMinor).toBeLessThanOrEqual((cents * bps) / 10_000);
      }),
    );
  });
});
