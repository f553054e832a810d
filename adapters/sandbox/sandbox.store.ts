import type { CheckoutPurpose } from '../../domain/billing/checkout-session.entity.ts';
import type { BillingInterval, PaidPlanTier, PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { InMemoryUnitOfWork } from '../in-memory/in-memory.unit-of-work.ts';

/**
 * The sandbox's own objects, as a provider keeps them: plain JSON with ISO times, one record per
 * object, whichever process made it. Every object names the region it stands in for, which decides
 * the shape of the events it sends (Stripe's or Razorpay's) and the route they go to.
 */

export interface SandboxAmount {
  readonly amountMinor: number;
  readonly currency: string;
}

export type SandboxCheckoutStatus = 'open' | 'paid' | 'canceled' | 'expired';

export interface SandboxCheckout {
  readonly id: string;
  readonly region: PaymentGatewayName;
  readonly sessionId: string;
  readonly userId: string;
  readonly purpose: CheckoutPurpose;
  readonly description: string;
  readonly amount: SandboxAmount;
  readonly successUrl: string;
  readonly cancelUrl: string;
  readonly customerId: string;
  /** The subscription paying a plan checkout starts; null for a deposit. */
  readonly subscriptionId: string | null;
  readonly plan: { readonly tier: PaidPlanTier; readonly billingInterval: BillingInterval } | null;
  readonly createdAt: string;
  status: SandboxCheckoutStatus;
  paymentId: string | null;
}

/**
 * `active` until a renewal fails (`past_due`: Stripe's status, Razorpay's `pending`), `canceled`
 * once it ended: at the end of a period whose renewal was stopped, at once, or when a past-due
 * subscription was not paid within the retry window.
 */
export type SandboxSubscriptionStatus = 'active' | 'past_due' | 'canceled';

export interface SandboxSubscription {
  readonly id: string;
  readonly region: PaymentGatewayName;
  readonly userId: string;
  readonly customerId: string;
  tier: PaidPlanTier;
  billingInterval: BillingInterval;
  /** What each renewal charges. */
  amount: SandboxAmount;
  status: SandboxSubscriptionStatus;
  cancelAtPeriodEnd: boolean;
  currentPeriodStart: string;
  currentPeriodEnd: string;
  /** The day of the month periods end on, as Stripe's billing cycle anchor (the 31st ends February on the 28th, March on the 31st). */
  anchorDay: number;
  /** Set by an action: the next renewal's charge is declined. */
  failNextRenewal: boolean;
  /** When the renewal that failed was due; null while paid up. */
  pastDueSince: string | null;
  endedAt: string | null;
  readonly createdAt: string;
  /** A change to another plan made at the next renewal (a downgrade at the period's end); absent on subscriptions stored before plan changes. */
  scheduledChange?: SandboxScheduledChange | null;
}

/** The plan a subscription moves to when its period ends, and what each renewal then charges. */
export interface SandboxScheduledChange {
  readonly tier: PaidPlanTier;
  readonly billingInterval: BillingInterval;
  readonly amount: SandboxAmount;
}

/**
 * A subscriber's change of plan waiting to be confirmed on the sandbox's page: `now` (an upgrade,
 * the prorated difference charged) or at the period's end (a downgrade).
 */
export interface SandboxPlanChange {
  readonly id: string;
  readonly region: PaymentGatewayName;
  /** Our checkout session id, which the success URL carries back. */
  readonly sessionId: string;
  readonly userId: string;
  readonly subscriptionId: string;
  readonly tier: PaidPlanTier;
  readonly billingInterval: BillingInterval;
  /** The new plan's price per period. */
  readonly amount: SandboxAmount;
  readonly timing: 'now' | 'period_end';
  readonly successUrl: string;
  readonly cancelUrl: string;
  readonly createdAt: string;
  status: 'open' | 'confirmed' | 'canceled';
  /** The prorated charge a confirmed upgrade took, if any. */
  paymentId: string | null;
}

export interface SandboxRefund {
  readonly id: string;
  readonly amountMinor: number;
  readonly createdAt: string;
  /** The key the refund was asked for with, if any: asked again with it, the sandbox makes no second refund. */
  readonly idempotencyKey?: string;
}

/** What paid a checkout or a renewal. */
export interface SandboxPayment {
  readonly id: string;
  readonly region: PaymentGatewayName;
  readonly userId: string;
  readonly purpose: CheckoutPurpose | 'renewal' | 'proration';
  readonly checkoutId: string | null;
  readonly subscriptionId: string | null;
  readonly amount: SandboxAmount;
  refunds: SandboxRefund[];
  readonly createdAt: string;
  /** The period a plan payment paid for (absent on payments taken before the sandbox kept it, and on deposits). */
  readonly periodStart?: string | null;
  readonly periodEnd?: string | null;
}

/** What the payment has given back so far, in its minor units. */
export function refundedMinor(payment: Pick<SandboxPayment, 'refunds'>): number {
  return payment.refunds.reduce((sum, refund) => sum + refund.amountMinor, 0);
}

export type SandboxDisputeStatus = 'open' | 'won' | 'lost';

/** What a dispute holds or took: all of it while open or once lost, nothing once won. */
export function heldMinor(disputes: readonly Pick<SandboxDispute, 'status' | 'amount'>[]): number {
  return disputes.filter((dispute) => dispute.status !== 'won').reduce((sum, dispute) => sum + dispute.amount.amountMinor, 0);
}

export interface SandboxDispute {
  readonly id: string;
  readonly region: PaymentGatewayName;
  readonly paymentId: string;
  readonly amount: SandboxAmount;
  status: SandboxDisputeStatus;
  readonly createdAt: string;
}

/** A creator's payout account: pending until its onboarding page is completed, then verified (or restricted by an action). */
export interface SandboxAccount {
  readonly id: string;
  readonly region: PaymentGatewayName;
  readonly creatorId: string;
  returnUrl: string;
  status: 'pending' | 'verified' | 'restricted';
  reason: string | null;
  readonly createdAt: string;
}

export interface SandboxTransfer {
  readonly id: string;
  readonly region: PaymentGatewayName;
  readonly payoutId: string;
  readonly accountId: string;
  readonly amount: SandboxAmount;
  /** `pending`: in transit (held by an action); `paid`; `failed`: failed in transit or reversed in whole. */
  status: 'pending' | 'paid' | 'failed';
  reversedMinor: number;
  reason: string | null;
  readonly createdAt: string;
}

export interface SandboxPortal {
  readonly id: string;
  readonly customerId: string;
  readonly returnUrl: string;
}

/** What the next transfer does, set by actions: refused with a reason, or held in transit. */
export interface SandboxTransferSettings {
  readonly id: 'transfers';
  refuseNextWith: string | null;
  holdNext: boolean;
}

export interface SandboxObjects {
  checkout: SandboxCheckout;
  subscription: SandboxSubscription;
  payment: SandboxPayment;
  dispute: SandboxDispute;
  account: SandboxAccount;
  transfer: SandboxTransfer;
  portal: SandboxPortal;
  setting: SandboxTransferSettings;
  plan_change: SandboxPlanChange;
}

export type SandboxKind = keyof SandboxObjects;

/** How an object is found besides its id: when its next change is due (subscriptions), and by whom (the user, the payout, the payment). */
export interface SandboxIndex {
  readonly dueAt?: Date | null;
  readonly lookup?: string | null;
}

/** An event the sandbox made, waiting to be delivered to this service's webhook route for its region. */
export interface SandboxEvent {
  readonly id: string;
  readonly region: PaymentGatewayName;
  readonly type: string;
  /** The event as the provider would send it, without its signature (that is made when it is sent). */
  readonly body: string;
}

/**
 * Where the sandbox keeps its objects, its clock and the events it has yet to deliver: tables of its
 * own in the service's database (so every process and restart agrees), or memory for tests.
 */
export interface SandboxStore {
  /** Runs work atomically; nested calls join. Objects read `forUpdate` inside stay locked until it ends. */
  transaction<T>(work: () => Promise<T>): Promise<T>;
  /** Whether the caller runs inside a transaction already (the service's own, around a provider call). */
  inTransaction(): boolean;
  get<K extends SandboxKind>(kind: K, id: string, options?: { readonly forUpdate?: boolean }): Promise<SandboxObjects[K] | null>;
  put<K extends SandboxKind>(kind: K, object: SandboxObjects[K], index?: SandboxIndex): Promise<void>;
  /** Objects of a kind with the given lookup, oldest first. */
  findBy<K extends SandboxKind>(kind: K, lookup: string): Promise<SandboxObjects[K][]>;
  /** The object of a kind whose change is due soonest, at or before `until`. */
  nextDue<K extends SandboxKind>(kind: K, until: Date): Promise<{ readonly object: SandboxObjects[K]; readonly dueAt: Date } | null>;
  /** The newest objects of a kind, newest first. */
  latest<K extends SandboxKind>(kind: K, limit: number): Promise<SandboxObjects[K][]>;
  /** How far the sandbox's clock is ahead of the system's. */
  clockOffsetMs(): Promise<number>;
  /** Moves the clock forward to `offsetMs` ahead of the system's (never back); answers the offset now. */
  advanceClockOffset(offsetMs: number): Promise<number>;
  appendEvent(event: SandboxEvent): Promise<void>;
  /** Up to `limit` undelivered events, oldest first, each leased for `leaseMs` so other processes leave them meanwhile. */
  takeUndelivered(limit: number, leaseMs: number): Promise<SandboxEvent[]>;
  markDelivered(ids: readonly string[]): Promise<void>;
  /** Lets go of events whose delivery failed, for the next run to send again. */
  release(ids: readonly string[]): Promise<void>;
  countUndelivered(): Promise<number>;
}

interface StoredObject {
  readonly json: string;
  readonly dueAt: number | null;
  readonly lookup: string | null;
  readonly order: number;
}

/** The sandbox's store in memory, for tests without a database: one process, serialised transactions. */
export class InMemorySandboxStore implements SandboxStore {
  private readonly objects = new Map<string, StoredObject>();
  private readonly events: { event: SandboxEvent; delivered: boolean; leasedUntil: number }[] = [];
  private offsetMs = 0;
  private order = 0;
  private readonly uow = new InMemoryUnitOfWork();

  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.uow.transactional(work);
  }

  inTransaction(): boolean {
    return this.uow.inTransaction();
  }

  async get<K extends SandboxKind>(kind: K, id: string): Promise<SandboxObjects[K] | null> {
    const stored = this.objects.get(`${kind}:${id}`);
    return stored ? (JSON.parse(stored.json) as SandboxObjects[K]) : null;
  }

  async put<K extends SandboxKind>(kind: K, object: SandboxObjects[K], index: SandboxIndex = {}): Promise<void> {
    const key = `${kind}:${object.id}`;
    const order = this.objects.get(key)?.order ?? this.order++;
    this.objects.set(key, { json: JSON.stringify(object), dueAt: index.dueAt?.getTime() ?? null, lookup: index.lookup ?? null, order });
  }

  async findBy<K extends SandboxKind>(kind: K, lookup: string): Promise<SandboxObjects[K][]> {
    return this.ofKind(kind)
      .filter(([, stored]) => stored.lookup === lookup)
      .map(([, stored]) => JSON.parse(stored.json) as SandboxObjects[K]);
  }

  async nextDue<K extends SandboxKind>(kind: K, until: Date): Promise<{ object: SandboxObjects[K]; dueAt: Date } | null> {
    const due = this.ofKind(kind)
      .filter(([, stored]) => stored.dueAt !== null && stored.dueAt <= until.getTime())
      .sort(([, a], [, b]) => a.dueAt! - b.dueAt! || a.order - b.order)[0];
    return due ? { object: JSON.parse(due[1].json) as SandboxObjects[K], dueAt: new Date(due[1].dueAt!) } : null;
  }

  async latest<K extends SandboxKind>(kind: K, limit: number): Promise<SandboxObjects[K][]> {
    return this.ofKind(kind)
      .sort(([, a], [, b]) => b.order - a.order)
      .slice(0, limit)
      .map(([, stored]) => JSON.parse(stored.json) as SandboxObjects[K]);
  }

  async clockOffsetMs(): Promise<number> {
    return this.offsetMs;
  }

  async advanceClockOffset(offsetMs: number): Promise<number> {
    this.offsetMs = Math.max(this.offsetMs, offsetMs);
    return this.offsetMs;
  }

  async appendEvent(event: SandboxEvent): Promise<void> {
    this.events.push({ event, delivered: false, leasedUntil: 0 });
  }

  async takeUndelivered(limit: number, leaseMs: number): Promise<SandboxEvent[]> {
    const now = performance.now();
    const taken = this.events.filter((entry) => !entry.delivered && entry.leasedUntil <= now).slice(0, limit);
    for (const entry of taken) entry.leasedUntil = now + leaseMs;
    return taken.map((entry) => entry.event);
  }

  async markDelivered(ids: readonly string[]): Promise<void> {
    for (const entry of this.events) if (ids.includes(entry.event.id)) entry.delivered = true;
  }

  async release(ids: readonly string[]): Promise<void> {
    for (const entry of this.events) if (ids.includes(entry.event.id)) entry.leasedUntil = 0;
  }

  async countUndelivered(): Promise<number> {
    return this.events.filter((entry) => !entry.delivered).length;
  }

  private ofKind(kind: SandboxKind): [string, StoredObject][] {
    return [...this.objects].filter(([key]) => key.startsWith(`${kind}:`));
  }
}
