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

/** A page Stripe hosts for the customer (an invoice, a receipt): kept only when it is a web address. */
const hostedPage = z
  .string()
  .nullish()
  .transform((url) => (url && url.length <= 2_048 && URL.canParse(url) && ['https:', 'http:'].includes(new URL(url).protocol) ? url : null));

/** An invoice, as far as a receipt reads it: what it took, its hosted page, and the period its subscription line pays for. */
export const stripeInvoiceWire = z.object({
  id: providerId,
  status: z.enum(['draft', 'open', 'paid', 'uncollectible', 'void']).nullable(),
  amount_paid: z.number().int().min(0),
  currency: z.string(),
  hosted_invoice_url: hostedPage,
  lines: z
    .object({ data: z.array(z.object({ period: z.object({ start: epochSeconds, end: epochSeconds }).nullish() })) })
    .nullish(),
  /** Expanded where a checkout is read: the payments that paid it; a PaymentIntent is what a refund names. */
  payments: z
    .object({ data: z.array(z.object({ status: z.string(), payment: z.object({ type: z.string(), payment_intent: reference.nullish() }) })) })
    .nullish(),
});
export type StripeInvoiceWire = z.infer<typeof stripeInvoiceWire>;
/** A subscription schedule names the subscription it manages (or, released, managed). */
export const stripeScheduleRefWire = z.object({ subscription: reference.nullish(), released_subscription: reference.nullish() });

export const STRIPE_SUBSCRIPTION_STATUSES = ['incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused'] as const;

export const STRIPE_SCHEDULE_STATUSES = ['not_started', 'active', 'completed', 'released', 'canceled'] as const;

/** A subscription schedule: the phases a subscription goes through (a downgrade at period end is its next phase). */
export const stripeSubscriptionScheduleWire = z.object({
  id: providerId,
  status: z.enum(STRIPE_SCHEDULE_STATUSES),
  current_phase: z.object({ start_date: epochSeconds, end_date: epochSeconds }).nullish(),
  phases: z.array(
    z.object({
      start_date: epochSeconds,
      end_date: epochSeconds.nullish(),
      items: z.array(z.object({ price: reference, quantity: z.number().int().nullish() })).min(1),
    }),
  ),
});
export type StripeSubscriptionScheduleWire = z.infer<typeof stripeSubscriptionScheduleWire>;

export const stripeSubscriptionWire = z.object({
  id: providerId,
  status: z.enum(STRIPE_SUBSCRIPTION_STATUSES),
  customer: reference.nullable(),
  cancel_at_period_end: z.boolean(),
  items: z.object({
    data: z
      .array(z.object({ id: providerId.optional(), price: z.object({ id: providerId }), current_period_start: epochSeconds.nullish(), current_period_end: epochSeconds.nullish() }))
      .min(1),
  }),
  /** Expanded where a receipt is read: the invoice that last billed it. */
  latest_invoice: z.union([providerId, stripeInvoiceWire]).nullish(),
  /** The schedule managing it: its id, or the schedule when expanded. */
  schedule: z.union([providerId, stripeSubscriptionScheduleWire]).nullish(),
});
export type StripeSubscriptionWire = z.infer<typeof stripeSubscriptionWire>;

export const stripePriceWire = z.object({ id: providerId, product: reference });

export const stripePortalConfigurationListWire = z.object({
  data: z.array(z.object({ id: providerId, active: z.boolean(), metadata: looseNotes.optional() })),
});

export const stripePortalSessionWire = z.object({ id: providerId, url: z.string().url() });

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
  /** Expanded with its latest charge, whose receipt a paid deposit shows. */
  payment_intent: z.union([providerId, z.lazy(() => stripePaymentIntentWire)]).nullable(),
  /** Expanded: the first invoice of a subscription-mode session. */
  invoice: z.union([providerId, stripeInvoiceWire]).nullish(),
});

const minorUnits = z.number().int().min(0);

export const stripeChargeWire = z.object({
  id: providerId,
  amount: minorUnits,
  amount_refunded: minorUnits,
  currency: z.string(),
  receipt_url: hostedPage,
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
