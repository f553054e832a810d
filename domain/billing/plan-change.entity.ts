import { invariant } from '../shared/errors.ts';
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
  /** The admin who made it (the `sub` of their token), for reason `admin`. */
  readonly actorId: string | null;
  /** The admin's own words on why, for reason `admin`. */
  readonly note: string | null;
  /** The end of the period the change set, where it set one by hand (an admin's `until`). */
  readonly periodEnd: Date | null;
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
    this.actorId = fields.actorId;
    this.note = fields.note;
    this.periodEnd = fields.periodEnd;
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
    /** Who and why, for a change an admin made: both or neither. */
    admin?: { actorId: string; note: string; periodEnd: Date };
  }): PlanChange {
    invariant((fields.reason === 'admin') === (fields.admin !== undefined), 'a plan change names its admin and their reason exactly when an admin made it');
    return new PlanChange({
      id: fields.id,
      userId: fields.userId,
      reason: fields.reason,
      fromTier: fields.from.tier,
      toTier: fields.to.tier,
      fromInterval: fields.from.billingInterval,
      toInterval: fields.to.billingInterval,
      reference: fields.reference,
      actorId: fields.admin?.actorId ?? null,
      note: fields.admin?.note ?? null,
      periodEnd: fields.admin?.periodEnd ?? null,
      occurredAt: fields.occurredAt,
    });
  }
}
