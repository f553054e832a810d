import { z } from 'zod';
import { epochSeconds, jsonObject, looseNotes, providerId, storableText } from '../shared/wire.ts';

/**
 * Stripe's wire formats, as far as this service reads them: event deliveries, and the API answers
 * the gateways read state from. Strict for every field used (its type, and its values where they
 * decide something); every other field is ignored. The SDK's own types describe the same objects,
 * but they are not checked at run time: these are.
 */

/** An id, or the object it names when expanded. */
const reference = z.union([providerId, z.object({ id: providerId })]).transform((value) => (typeof value === 'string' ? value : value.id));

/** A snapshot event (the only kind this service reads); `object` tells a thin event apart. */
export const stripeEventWire = z.object({
  id: providerId,
  object: z.string(),
  type: storableText,
  created: epochSeconds,
  data: z.object({ object: jsonObject }).optional(),
});

/** What a delivered object is read for: which object of ours it names. */
export const stripeObjectRefWire = z.object({
  id: providerId,
  metadata: looseNotes.optional(),
});

export const stripeInvoiceRefWire = z.object({
  subscription: reference.nullish(),
  parent: z.object({ subscription_details: z.object({ subscription: reference.nullish() }).nullish() }).nullish(),
});

export const stripeChargeRefWire = z.object({ payment_intent: reference.nullish() });

export const STRIPE_SUBSCRIPTION_STATUSES = ['incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused'] as const;

export const stripeSubscriptionWire = z.object({
  id: providerId,
  status: z.enum(STRIPE_SUBSCRIPTION_STATUSES),
  customer: reference.nullable(),
  cancel_at_period_end: z.boolean(),
  items: z.object({
    data: z
      .array(z.object({ price: z.object({ id: providerId }), current_period_end: epochSeconds.nullish() }))
      .min(1),
  }),
});
export type StripeSubscriptionWire = z.infer<typeof stripeSubscriptionWire>;

/** A subscription's invoice, expanded with its payments: the PaymentIntent that paid it is what a refund names. */
const stripeInvoiceWithPaymentsWire = z.object({
  id: providerId,
  payments: z
    .object({ data: z.array(z.object({ status: z.string(), payment: z.object({ type: z.string(), payment_intent: reference.nullish() }) })) })
    .nullish(),
});

export const stripeCheckoutSessionWire = z.object({
  id: providerId,
  status: z.enum(['open', 'complete', 'expired']).nullable(),
  payment_status: z.enum(['paid', 'unpaid', 'no_payment_required']),
  mode: z.enum(['payment', 'setup', 'subscription']).optional(),
  /** Before discounts and tax: the plan's price as we asked for it. */
  amount_subtotal: z.number().int().min(0).nullable().optional(),
  amount_total: z.number().int().min(0).nullable(),
  currency: z.string().nullable(),
  metadata: looseNotes.optional(),
  customer: reference.nullable(),
  subscription: z.union([providerId, stripeSubscriptionWire]).nullable(),
  payment_intent: reference.nullable(),
  /** A subscription-mode session's first invoice (its payment_intent is null: the invoice's payment took the money). */
  invoice: z.union([providerId, stripeInvoiceWithPaymentsWire]).nullish(),
});

const minorUnits = z.number().int().min(0);

export const stripeChargeWire = z.object({
  id: providerId,
  amount: minorUnits,
  amount_refunded: minorUnits,
  currency: z.string(),
});

export const stripePaymentIntentWire = z.object({
  id: providerId,
  amount: minorUnits,
  currency: z.string(),
  /** Expanded: the charge that took the money, whose refunds count. */
  latest_charge: z.union([providerId, stripeChargeWire]).nullable(),
});

/**
 * Dispute statuses that hold or took the money: a chargeback under way or lost. Inquiries
 * (`warning_*`) take nothing; `won` and `prevented` gave it back or never took it.
 */
export const STRIPE_DISPUTE_STATUSES_HOLDING_MONEY: ReadonlySet<string> = new Set(['needs_response', 'under_review', 'lost']);

export const stripeDisputeWire = z.object({
  id: providerId,
  amount: minorUnits,
  currency: z.string(),
  status: z.string(),
  payment_intent: reference.nullable(),
  charge: reference,
});

export const stripeRefundWire = z.object({
  id: providerId,
  amount: minorUnits,
  currency: z.string(),
  /** pending and requires_action still go through; failed and canceled gave nothing back. */
  status: z.string().nullable(),
});

export const stripeDisputeListWire = z.object({ data: z.array(stripeDisputeWire), has_more: z.boolean() });

export const stripeTransferWire = z.object({
  id: providerId,
  amount: minorUnits,
  amount_reversed: minorUnits,
  currency: z.string(),
  reversed: z.boolean(),
  destination: reference,
  metadata: looseNotes.optional(),
});

export const stripeAccountWire = z.object({
  id: providerId,
  details_submitted: z.boolean().nullish(),
  payouts_enabled: z.boolean().nullish(),
  capabilities: z.object({ transfers: z.string().nullish() }).nullish(),
  requirements: z
    .object({
      disabled_reason: z.string().nullish(),
      errors: z.array(z.object({ reason: z.string().nullish() })).nullish(),
      past_due: z.array(z.string()).nullish(),
    })
    .nullish(),
});
export type StripeAccountWire = z.infer<typeof stripeAccountWire>;
