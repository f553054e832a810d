import { z } from 'zod';
import { epochSeconds, jsonObject, looseNotes, providerId, storableText } from '../shared/wire.ts';

/**
 * Razorpay's wire formats, as far as this service reads them: webhook bodies, and the API answers
 * the gateways read state from. Strict for every field used; every other field is ignored.
 * Razorpay writes an empty `notes` as `[]` and leaves out fields it has no value for.
 */

const minorUnits = z.number().int().min(0);

/** A webhook body: `payload` holds the entities the event is about, each under its name. */
export const razorpayEventWire = z.object({
  event: storableText,
  created_at: epochSeconds,
  account_id: z.string().optional(),
  /** The entities, each `{ entity, data? }` under its name: read (and checked) one at a time. */
  payload: jsonObject,
});

/** What a delivered entity is read for: its id and the ids of ours it names. */
export const razorpayEntityRefWire = z.object({
  id: providerId,
  notes: looseNotes.optional(),
  reference_id: z.string().nullish(),
  payment_id: providerId.nullish(),
  merchant_id: providerId.nullish(),
});

export const razorpayPaymentLinkWire = z.object({
  id: providerId,
  short_url: z.string().nullish(),
  status: z.enum(['created', 'partially_paid', 'paid', 'cancelled', 'expired']),
  amount: minorUnits,
  amount_paid: minorUnits,
  currency: z.string(),
  reference_id: z.string().nullish(),
  notes: looseNotes.optional(),
  customer: z.object({ id: z.string().nullish() }).nullish(),
  payments: z.array(z.object({ payment_id: providerId, status: z.string().nullish() })).nullish(),
});
export type RazorpayPaymentLink = z.infer<typeof razorpayPaymentLinkWire>;

export const razorpayPaymentWire = z.object({
  id: providerId,
  amount: minorUnits,
  currency: z.string(),
  status: z.enum(['created', 'authorized', 'captured', 'refunded', 'failed']),
  amount_refunded: minorUnits.nullish(),
  notes: looseNotes.optional(),
});

export const RAZORPAY_SUBSCRIPTION_STATUSES = ['created', 'authenticated', 'active', 'pending', 'halted', 'cancelled', 'completed', 'expired', 'paused'] as const;

export const razorpaySubscriptionWire = z.object({
  id: providerId,
  plan_id: providerId,
  status: z.enum(RAZORPAY_SUBSCRIPTION_STATUSES),
  customer_id: z.string().nullish(),
  current_end: epochSeconds.nullish(),
  /** When the subscription ended (cancelled, completed, expired); null while it may still bill. */
  ended_at: epochSeconds.nullish(),
  /** Billing cycles charged so far: the first is the checkout's payment. */
  paid_count: z.number().int().min(0),
  /** Billing cycles still to charge: none left means it will not renew. */
  remaining_count: z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]).nullish(),
  /** Whether an update waits for the end of the cycle (read with retrieve_scheduled_changes), and when. */
  has_scheduled_changes: z.boolean().nullish(),
  change_scheduled_at: epochSeconds.nullish(),
  /** Until when the customer may authorise it; a `created` one past this is never paid. */
  expire_by: epochSeconds.nullish(),
  notes: looseNotes.optional(),
});
export type RazorpaySubscription = z.infer<typeof razorpaySubscriptionWire>;

export const razorpayPlanWire = z.object({
  id: providerId,
  period: z.enum(['daily', 'weekly', 'monthly', 'quarterly', 'yearly']),
  interval: z.number().int().positive(),
  item: z.object({ amount: minorUnits, currency: z.string() }),
  notes: looseNotes.optional(),
});
export type RazorpayPlan = z.infer<typeof razorpayPlanWire>;

export const razorpayPlanListWire = z.object({ count: z.number().int().min(0), items: z.array(razorpayPlanWire) });

/** A subscription's invoice: one per billing cycle, with the payment that paid it. */
export const razorpayInvoiceWire = z.object({
  id: providerId,
  status: z.string(),
  payment_id: providerId.nullish(),
  amount: minorUnits.nullish(),
  short_url: z.string().nullish(),
  billing_start: epochSeconds.nullish(),
  billing_end: epochSeconds.nullish(),
});
export const razorpayInvoiceListWire = z.object({ count: z.number().int().min(0), items: z.array(razorpayInvoiceWire) });

export const razorpayRefundWire = z.object({
  id: providerId,
  payment_id: providerId,
  amount: minorUnits,
  currency: z.string(),
  /** pending, then processed; failed gave nothing back. */
  status: z.string(),
});
export type RazorpayRefund = z.infer<typeof razorpayRefundWire>;

/** Dispute statuses that hold or took the money; `won` and `closed` (in the merchant's favour) do not. */
export const RAZORPAY_DISPUTE_STATUSES_HOLDING_MONEY: ReadonlySet<string> = new Set(['open', 'under_review', 'lost']);

export const razorpayDisputeWire = z.object({
  id: providerId,
  payment_id: providerId,
  amount: minorUnits,
  currency: z.string(),
  status: z.string(),
});

export const razorpayLinkedAccountWire = z.object({
  id: providerId,
  type: z.string().nullish(),
  status: z.string().nullish(),
});

export const razorpayStakeholderWire = z.object({ id: providerId });

export const razorpayRequirementWire = z.object({
  field_reference: z.string().nullish(),
  reason_code: z.string().nullish(),
  description: z.string().nullish(),
  status: z.string().nullish(),
  resolution_url: z.string().nullish(),
});
export type RazorpayRequirement = z.infer<typeof razorpayRequirementWire>;

/** A product configuration of a linked account (the `route` product here). */
export const razorpayProductWire = z.object({
  id: providerId,
  activation_status: z.string(),
  requirements: z.array(razorpayRequirementWire).nullish(),
});

export const razorpayTransferWire = z.object({
  id: providerId,
  status: z.string(),
  recipient: providerId.nullish(),
  amount: minorUnits,
  currency: z.string(),
  amount_reversed: minorUnits.nullish(),
  notes: looseNotes.optional(),
  error: z.object({ code: z.string().nullish(), description: z.string().nullish(), reason: z.string().nullish() }).nullish(),
});
export type RazorpayTransfer = z.infer<typeof razorpayTransferWire>;
