import type { BillingInterval, PlanTier } from './plan.value-objects.ts';

export const PLAN_CHANGE_REASONS = [
  'checkout',
  'cancel_renewal',
  'interval_change',
  'provider_event',
  'grace_period_ended',
  'period_ended',
  'admin',
  'plan_change',
  'plan_change_scheduled',
  'renewal_payment',
  'duplicate_subscription',
] as const;
export type PlanChangeReason = (typeof PLAN_CHANGE_REASONS)[number];

/** An append-only record of one change to a user's plan: what it was, what it became, and why. */
export class PlanChange {
  readonly id: string;
  readonly userId: string;
  readonly reason: PlanChangeReason;
  readonly fromTier: PlanTier;
  readonly toTier: PlanTier;
  readonly fromInterval: BillingInterval | null;
  readonly toInterval: BillingInterval | null;
  /** The checkout session or provider event that caused it, if any. */
  readonly reference: string | null;
  readonly occurredAt: Date;

  private constructor(fields: Omit<PlanChange, never>) {
    this.id = fields.id;
    this.userId = fields.userId;
    this.reason = fields.reason;
    this.fromTier = fields.fromTier;
    this.toTier = fields.toTier;
    this.fromInterval = fields.fromInterval;
    this.toInterval = fields.toInterval;
    this.reference = fields.reference;
    this.occurredAt = fields.occurredAt;
  }

  static record(fields: {
    id: string;
    userId: string;
    reason: PlanChangeReason;
    from: { tier: PlanTier; billingInterval: BillingInterval | null };
    to: { tier: PlanTier; billingInterval: BillingInterval | null };
    reference: string | null;
    occurredAt: Date;
  }): PlanChange {
    return new PlanChange({
      id: fields.id,
      userId: fields.userId,
      reason: fields.reason,
      fromTier: fields.from.tier,
      toTier: fields.to.tier,
      fromInterval: fields.from.billingInterval,
      toInterval: fields.to.billingInterval,
      reference: fields.reference,
      occurredAt: fields.occurredAt,
    });
  }
}
