import { invariant } from '../shared/errors.ts';
import { BILLING_INTERVALS, isOneOf, PLAN_TIERS, type BillingInterval, type PlanTier } from './plan.value-objects.ts';

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

  private constructor(fields: Omit<PlanChange, 'assertInvariants'>) {
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
    const change = new PlanChange({
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
    change.assertInvariants();
    return change;
  }

  /**
   * Checked when a change is recorded and after every load: the ORM hydrates without running the
   * constructor, so a row that breaks a rule must be caught here rather than shown.
   */
  assertInvariants(): void {
    invariant(this.id.length > 0 && this.userId.length > 0, 'a plan change names its id and user');
    invariant(isOneOf(PLAN_CHANGE_REASONS, this.reason), `unknown plan change reason ${this.reason}`);
    for (const [tier, interval] of [
      [this.fromTier, this.fromInterval],
      [this.toTier, this.toInterval],
    ] as const) {
      invariant(isOneOf(PLAN_TIERS, tier), `unknown tier ${tier}`);
      invariant(interval === null || isOneOf(BILLING_INTERVALS, interval), `unknown billing interval ${interval}`);
      invariant((tier === 'free') === (interval === null), `tier ${tier} with billing interval ${interval}: only the free plan has none`);
    }
    const admin = [this.actorId, this.note, this.periodEnd].filter((field) => field !== null).length;
    invariant(admin === (this.reason === 'admin' ? 3 : 0), 'a plan change names its admin, their reason and the end they gave exactly when an admin made it');
  }
}
