import { randomUUID } from 'node:crypto';
import { AccountPlan } from '../../domain/billing/account-plan.entity.ts';
import { CheckoutSession } from '../../domain/billing/checkout-session.entity.ts';
import { Country } from '../../domain/billing/country.value-object.ts';
import { planPriceUsd } from '../../domain/billing/plan-catalogue.ts';
import type { BillingInterval, PaidPlanTier } from '../../domain/billing/plan.value-objects.ts';
import { LedgerAccount } from '../../domain/ledger/ledger-account.ts';
import { LedgerTransfer } from '../../domain/ledger/ledger-transfer.entity.ts';
import { FxRate } from '../../domain/shared/fx-rate.value-object.ts';

export function aUserId(): string {
  return `user-${randomUUID()}`;
}

/** Earnings on a creator's balance without going through tool calls: a balanced correction. */
export function earningsOf(creatorId: string, cents: number): LedgerTransfer {
  return LedgerTransfer.create({
    id: randomUUID(),
    kind: 'adjustment',
    currency: 'USD',
    entries: [
      { account: LedgerAccount.creatorBalance(creatorId), amountMinor: cents },
      { account: LedgerAccount.corrections, amountMinor: -cents },
    ],
    reference: 'test earnings',
    createdAt: new Date(),
  });
}

class AccountPlanBuilder {
  private userId = aUserId();
  private country = Country.parse('US');
  private now = new Date('2026-11-01T00:00:00Z');
  private subscriptionId: string | null = null;
  private paidThroughLink = false;

  forUser(userId: string): this {
    this.userId = userId;
    return this;
  }

  inCountry(code: string): this {
    this.country = Country.parse(code);
    return this;
  }

  at(now: Date): this {
    this.now = now;
    return this;
  }

  /** On pro monthly through the provider subscription `subscriptionId` (default `sub_<user id>`). */
  withSubscription(subscriptionId = `sub_${this.userId}`): this {
    this.subscriptionId = subscriptionId;
    return this;
  }

  /** On pro monthly bought through a Razorpay Payment Link, as plans were before subscriptions: linked to no subscription. */
  paidThroughPaymentLink(): this {
    this.paidThroughLink = true;
    return this;
  }

  build(): AccountPlan {
    const plan = AccountPlan.register({ userId: this.userId, country: this.country, now: this.now });
    if (this.subscriptionId || this.paidThroughLink) {
      plan.activatePaidPlan({
        tier: 'pro',
        billingInterval: 'monthly',
        currentPeriodEnd: new Date(this.now.getTime() + 30 * 86_400_000),
        providerCustomerId: this.subscriptionId ? `cus_${this.userId}` : null,
        providerSubscriptionId: this.subscriptionId,
        now: this.now,
      });
    }
    return plan;
  }
}

export function anAccountPlan(): AccountPlanBuilder {
  return new AccountPlanBuilder();
}

/** A clock the test sets and moves. */
export class FixedClock {
  private current: Date;

  constructor(start = new Date('2026-11-01T00:00:00Z')) {
    this.current = start;
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

class PlanCheckoutBuilder {
  private userId = aUserId();
  private tier: PaidPlanTier = 'pro';
  private interval: BillingInterval = 'yearly';
  private fx: FxRate | null = null;

  forUser(userId: string): this {
    this.userId = userId;
    return this;
  }

  forPlan(tier: PaidPlanTier, interval: BillingInterval): this {
    this.tier = tier;
    this.interval = interval;
    return this;
  }

  inInr(rate: { rateMicros: number; quotedAt: Date }): this {
    this.fx = FxRate.of({ from: 'USD', to: 'INR', rateMicros: rate.rateMicros, source: 'test', quotedAt: rate.quotedAt });
    return this;
  }

  build(): CheckoutSession {
    const listPrice = planPriceUsd(this.tier, this.interval);
    return CheckoutSession.forPlan({
      id: randomUUID(),
      userId: this.userId,
      gateway: this.fx ? 'razorpay' : 'stripe',
      tier: this.tier,
      billingInterval: this.interval,
      amount: this.fx ? this.fx.convert(listPrice) : listPrice,
      fx: this.fx,
      baseAmount: listPrice,
      successUrl: 'https://app.aerostack.dev/settings/billing?success=true',
      cancelUrl: 'https://app.aerostack.dev/settings/billing',
      now: new Date('2026-11-22T09:00:00Z'),
    });
  }
}

export function aPlanCheckout(): PlanCheckoutBuilder {
  return new PlanCheckoutBuilder();
}
