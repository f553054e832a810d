import type { BillingInterval, PaidPlan, PaidPlanTier } from '../../domain/billing/plan.value-objects.ts';
import { BILLING_INTERVALS, isOneOf, PLAN_TIERS } from '../../domain/billing/plan.value-objects.ts';
import type { Money } from '../../domain/shared/money.value-object.ts';
import type { RazorpayClient } from './razorpay.client.ts';
import type { RazorpayPlan } from './razorpay.wire.ts';

/** Marks the plans this service made, among whatever else the Razorpay account holds. */
const PLAN_NOTE = 'billing-service-plan';
const PAGE = 100;
/** Plans listed at most when looking for ours: beyond that, new ones are made rather than searched for. */
const MAX_LISTED = 2_000;

/** A Razorpay plan of ours: which of our plans it bills, and what it charges each cycle. */
export interface RazorpayPlanOfOurs extends PaidPlan {
  readonly planId: string;
  readonly amountMinor: number;
  readonly currency: string;
}

/**
 * The Razorpay Plans our subscriptions bill: one per tier, interval and INR amount, made through
 * the API the first time a checkout needs it and reused after. Chosen over configured plan ids
 * (`RAZORPAY_PLAN_<TIER>_<INTERVAL>`) because the INR price follows the configured rate: a plan
 * configured by hand would charge a stale amount the day the rate changes, and our checkout would
 * refuse it. Razorpay plans cannot be changed or deleted, so what a plan says is read once and kept.
 *
 * Ours are found by their notes (`billing-service-plan`, tier, interval), which only this service
 * writes with this account's key: a plan read from Razorpay's API is its state, not a claim. Two
 * processes that both miss may each make one; both are valid, and either is recognised later.
 */
export class RazorpayPlans {
  private readonly client: RazorpayClient;
  private readonly byId = new Map<string, Promise<RazorpayPlanOfOurs | null>>();
  private readonly byPrice = new Map<string, Promise<string>>();
  private listed: Promise<ReadonlyMap<string, string>> | null = null;

  constructor(client: RazorpayClient) {
    this.client = client;
  }

  /** The id of the plan billing `tier` every `interval` at `price`, made if there is none yet. */
  planFor(tier: PaidPlanTier, interval: BillingInterval, price: Money): Promise<string> {
    const key = priceKey(tier, interval, price.amountMinor, price.currency);
    let found = this.byPrice.get(key);
    if (!found) {
      found = this.findOrCreate(key, tier, interval, price);
      // A failure is not remembered: the next checkout asks again.
      found.catch(() => this.byPrice.delete(key));
      this.byPrice.set(key, found);
    }
    return found;
  }

  /** Which of our plans a Razorpay plan bills, or null for a plan this service did not make. */
  planOf(planId: string): Promise<RazorpayPlanOfOurs | null> {
    let found = this.byId.get(planId);
    if (!found) {
      found = this.client.fetchPlan(planId).then(ours);
      found.catch(() => this.byId.delete(planId));
      this.byId.set(planId, found);
    }
    return found;
  }

  private async findOrCreate(key: string, tier: PaidPlanTier, interval: BillingInterval, price: Money): Promise<string> {
    const existing = (await this.listOurs()).get(key);
    if (existing) return existing;
    const plan = await this.client.createPlan({
      period: interval,
      interval: 1,
      item: { name: `${capitalise(tier)} plan (${interval})`, amount: price.amountMinor, currency: price.currency },
      notes: { [PLAN_NOTE]: 'true', tier, billing_interval: interval },
    });
    this.byId.set(plan.id, Promise.resolve(ours(plan)));
    return plan.id;
  }

  /** Our plans already at Razorpay, by price key: listed once per process. */
  private listOurs(): Promise<ReadonlyMap<string, string>> {
    if (!this.listed) {
      this.listed = (async () => {
        const found = new Map<string, string>();
        for (let skip = 0; skip < MAX_LISTED; skip += PAGE) {
          const page = await this.client.listPlans(skip, PAGE);
          for (const plan of page.items) {
            const mine = ours(plan);
            if (!mine) continue;
            this.byId.set(plan.id, Promise.resolve(mine));
            // Newest first: the first of several equal plans is kept.
            const key = priceKey(mine.tier, mine.billingInterval, mine.amountMinor, mine.currency);
            if (!found.has(key)) found.set(key, plan.id);
          }
          if (page.items.length < PAGE) break;
        }
        return found;
      })();
      this.listed.catch(() => (this.listed = null));
    }
    return this.listed;
  }
}

function ours(plan: RazorpayPlan): RazorpayPlanOfOurs | null {
  const notes = plan.notes ?? {};
  const tier = notes['tier'];
  const interval = notes['billing_interval'];
  if (notes[PLAN_NOTE] !== 'true' || !isOneOf(PLAN_TIERS, tier) || tier === 'free' || !isOneOf(BILLING_INTERVALS, interval)) return null;
  if (plan.period !== interval || plan.interval !== 1) return null;
  return { planId: plan.id, tier, billingInterval: interval, amountMinor: plan.item.amount, currency: plan.item.currency.toUpperCase() };
}

function priceKey(tier: string, interval: string, amountMinor: number, currency: string): string {
  return `${tier}:${interval}:${amountMinor}:${currency.toUpperCase()}`;
}

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
