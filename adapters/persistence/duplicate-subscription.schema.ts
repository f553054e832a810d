import { defineEntity, p, type EntityCtor } from '@mikro-orm/core';
import { DuplicateSubscription } from '../../domain/billing/duplicate-subscription.entity.ts';

export const DuplicateSubscriptionSchema = defineEntity({
  class: DuplicateSubscription as unknown as EntityCtor<DuplicateSubscription>,
  tableName: 'duplicate_subscriptions',
  properties: {
    id: p.string().primary(),
    userId: p.string().fieldName('user_id'),
    gateway: p.string(),
    keptSessionId: p.string().fieldName('kept_session_id'),
    canceledSessionId: p.string().fieldName('canceled_session_id'),
    subscriptionId: p.string().fieldName('subscription_id'),
    paymentId: p.string().nullable().fieldName('payment_id'),
    amountMinor: p.bigint('number').fieldName('amount_minor'),
    currency: p.string(),
    createdAt: p.datetime().fieldName('created_at'),
    _status: p.string().fieldName('status'),
    _attempts: p.integer().fieldName('attempts'),
    _lastError: p.text().nullable().fieldName('last_error'),
    _nextAttemptAt: p.datetime().nullable().fieldName('next_attempt_at'),
    _leasedUntil: p.datetime().nullable().fieldName('leased_until'),
    _subscriptionCanceledAt: p.datetime().nullable().fieldName('subscription_canceled_at'),
    _refundId: p.string().nullable().fieldName('refund_id'),
    _refundedMinor: p.bigint('number').nullable().fieldName('refunded_minor'),
    _refundedAt: p.datetime().nullable().fieldName('refunded_at'),
    _settledAt: p.datetime().nullable().fieldName('settled_at'),
    _updatedAt: p.datetime().fieldName('updated_at'),
  },
});
