import { InvalidInputError } from '../shared/errors.ts';
import { Money } from '../shared/money.value-object.ts';
import { parseOneOf, type BillingInterval, type PaidPlanTier } from './plan.value-objects.ts';

/** List prices in US cents per month. */
export const MONTHLY_PRICE_USD_CENTS: Readonly<Record<PaidPlanTier, number>> = {
  starter: 1_900,
  pro: 4_900,
  business: 19_900,
};

/**
 * Yearly is 25% cheaper than twelve months: 12 × monthly × 0.75 = 9 × monthly, a whole number
 * of cents for every monthly price, so no rounding is needed.
 */
const YEARLY_MONTHS_CHARGED = 9;

export const PAID_TIERS: readonly PaidPlanTier[] = ['starter', 'pro', 'business'];

export function planPriceUsd(tier: PaidPlanTier, interval: BillingInterval): Money {
  const monthly = MONTHLY_PRICE_USD_CENTS[tier];
  return Money.of(interval === 'monthly' ? monthly : monthly * YEARLY_MONTHS_CHARGED, 'USD');
}

/**
 * A tier a checkout can be started for: every tier but free, which needs none. The refusal lists
 * only these, so it never offers free, which it then refuses.
 */
export function parsePaidTier(raw: unknown, field = 'tier'): PaidPlanTier {
  if (raw === 'free') throw new InvalidInputError(field, `the free tier needs no checkout; choose ${PAID_TIERS.join(', ')}`);
  return parseOneOf(PAID_TIERS, raw, field);
}

/**
 * When a period that starts at `start` ends: one calendar month or year later in UTC, on the
 * same day of the month or the month's last day when it has no such day (Jan 31 → Feb 28).
 */
export function periodEnd(start: Date, interval: BillingInterval): Date {
  const months = interval === 'monthly' ? 1 : 12;
  const year = start.getUTCFullYear();
  const month = start.getUTCMonth() + months;
  const lastDayOfMonth = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const end = new Date(start);
  end.setUTCFullYear(year, month, Math.min(start.getUTCDate(), lastDayOfMonth));
  return end;
}
