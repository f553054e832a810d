import { defineEntity, p, type EntityCtor } from '@mikro-orm/core';
import { CheckoutSession } from '../../domain/billing/checkout-session.entity.ts';
import { FxSnapshotType } from './fx-snapshot.type.ts';

export const CheckoutSessionSchema = defineEntity({
  class: CheckoutSession as unknown as EntityCtor<CheckoutSession>,
  tableName: 'checkout_sessions',
  properties: {
    id: p.string().primary(),
    userId: p.string().fieldName('user_id'),
    purpose: p.string(),
    gateway: p.string(),
    tier: p.string().nullable(),
    billingInterval: p.string().nullable().fieldName('billing_interval'),
    amountMinor: p.bigint('number').fieldName('amount_minor'),
    currency: p.string(),
    fx: p.type(FxSnapshotType).nullable(),
    successUrl: p.text().fieldName('success_url'),
    cancelUrl: p.text().fieldName('cancel_url'),
    createdAt: p.datetime().fieldName('created_at'),
    _providerSessionId: p.string().nullable().fieldName('provider_session_id'),
    _status: p.string().fieldName('status'),
    _completedAt: p.datetime().nullable().fieldName('completed_at'),
    _providerPaymentId: p.string().nullable().fieldName('provider_payment_id'),
    _providerSubscriptionId: p.string().nullable().fieldName('provider_subscription_id'),
    _refundedUsdCents: p.bigint('number').fieldName('refunded_usd_cents'),
    _disputedUsdCents: p.bigint('number').fieldName('disputed_usd_cents'),
    _disputeHolds: p.json<Record<string, number>>().fieldName('dispute_holds'),
    _reviewReason: p.text().nullable().fieldName('review_reason'),
  },
});
