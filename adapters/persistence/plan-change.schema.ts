import { defineEntity, p, type EntityCtor } from '@mikro-orm/core';
import { PlanChange } from '../../domain/billing/plan-change.entity.ts';

export const PlanChangeSchema = defineEntity({
  class: PlanChange as unknown as EntityCtor<PlanChange>,
  tableName: 'plan_changes',
  properties: {
    id: p.string().primary(),
    userId: p.string().fieldName('user_id'),
    reason: p.string(),
    fromTier: p.string().fieldName('from_tier'),
    toTier: p.string().fieldName('to_tier'),
    fromInterval: p.string().nullable().fieldName('from_interval'),
    toInterval: p.string().nullable().fieldName('to_interval'),
    reference: p.string().nullable(),
    actorId: p.string().nullable().fieldName('actor_id'),
    note: p.string().nullable(),
    periodEnd: p.datetime().nullable().fieldName('period_end'),
    occurredAt: p.datetime().fieldName('occurred_at'),
  },
});
