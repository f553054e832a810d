import { describe, expect, it } from 'vitest';
import { prorateMinor } from '../../../adapters/sandbox/sandbox.provider.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

describe("the sandbox's proration", () => {
  it('charges the remaining share of the period, rounded half away from zero to minor units', () => {
    expect(prorateMinor(15_000, 20 * DAY_MS, 30 * DAY_MS)).toBe(10_000);
    expect(prorateMinor(4_900, 10 * DAY_MS, 30 * DAY_MS)).toBe(1_633);
    expect(prorateMinor(3, 1, 2)).toBe(2);
    expect(prorateMinor(-3, 1, 2)).toBe(-2);
    expect(prorateMinor(15_000, 0, 30 * DAY_MS)).toBe(0);
  });

  it('stays exact where the product of amount and milliseconds passes 2^53', () => {
    // Business yearly in paise over a year of milliseconds: about 5 × 10^18.
    const yearMs = 365 * DAY_MS;
    expect(prorateMinor(15_223_500, yearMs - 1, yearMs)).toBe(15_223_500);
    expect(prorateMinor(15_223_500, yearMs / 2, yearMs)).toBe(7_611_750);
  });
});
