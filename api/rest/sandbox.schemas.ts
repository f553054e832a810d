import { z } from 'zod';
import { CHECKOUT_PURPOSES } from '../../domain/billing/checkout-session.entity.ts';
import { PAID_TIERS } from '../../domain/billing/plan-catalogue.ts';
import { BILLING_INTERVALS, PAYMENT_GATEWAY_NAMES, type PaidPlanTier } from '../../domain/billing/plan.value-objects.ts';
import { NotFoundError } from '../../domain/shared/errors.ts';
import { isStorableText } from '../../domain/shared/text.ts';
import { refusedAs, saying } from './request-schema.ts';

/**
 * The shapes of the sandbox's routes. An action's options come as JSON or, from the sandbox page's
 * forms, as text fields: a number may be written in decimal digits, a flag as `true`, `false` or `on`.
 */

// From a form, a decimal number only ("0x10" is not sixteen seconds).
const DECIMAL = /^\s*-?\d+(\.\d+)?\s*$/;
const MAX_TEXT_LENGTH = 500;

const numberRefusal = saying((field) => `${field} must be a number`);
const textRefusal = saying((field) => `${field} must be a non-empty string of at most ${MAX_TEXT_LENGTH} characters, without control characters or unpaired surrogates`);

const decimalNumber = z.union([z.number(), z.string().regex(DECIMAL)]).transform(Number).pipe(z.number());
const cleanText = z
  .string()
  .max(MAX_TEXT_LENGTH)
  .regex(/^\P{Cc}*$/u)
  .refine((text) => isStorableText(text) && text.trim() !== '')
  .transform((text) => text.trim());

const Seconds = refusedAs(decimalNumber.meta({ description: 'How far to move the sandbox clock, in seconds.', example: 86_400 }), numberRefusal);
const Text = refusedAs(cleanText, textRefusal);
const OptionalText = refusedAs(
  z
    .union([z.literal(''), cleanText])
    .optional()
    .transform((text) => (text === undefined || text === '' ? null : text)),
  textRefusal,
);
const OptionalAmount = refusedAs(
  z
    .union([z.null(), z.literal(''), decimalNumber])
    .optional()
    .transform((amount) => (amount === null || amount === '' ? undefined : amount))
    .meta({ description: 'In minor units; all of it when absent.' }),
  numberRefusal,
);
const Flag = refusedAs(
  z
    .union([z.boolean(), z.enum(['true', 'false', 'on'])])
    .optional()
    .transform((flag) => flag === true || flag === 'true' || flag === 'on'),
  saying((field) => `${field} must be true or false`),
);

/** The sandbox's ids are short and plain: anything else (a NUL, a megabyte) is no object of its. */
export const SandboxIdParams = z.object({
  id: refusedAs(z.string().regex(/^[\w:.-]{1,200}$/), () => {
    throw new NotFoundError('no such sandbox object');
  }),
});

export const NoOptions = z.object({});
export const AdvanceOptions = z.object({ seconds: Seconds });
export const UserOptions = z.object({ user_id: Text });
export const CancelOptions = z.object({ at_period_end: Flag });
export const AmountOptions = z.object({ amount_minor: OptionalAmount });
export const ReasonOptions = z.object({ reason: OptionalText });
export const RequiredReasonOptions = z.object({ reason: Text });

const Time = z.iso.datetime();
const Amount = z.object({ amountMinor: z.number().int(), currency: z.string() }).meta({ id: 'SandboxAmount' });
const Region = z.enum(PAYMENT_GATEWAY_NAMES);
const Tier = z.enum(PAID_TIERS as readonly [PaidPlanTier, ...PaidPlanTier[]]);
const Interval = z.enum(BILLING_INTERVALS);

const Checkout = z
  .object({
    id: z.string(),
    region: Region,
    sessionId: z.string(),
    userId: z.string(),
    purpose: z.enum(CHECKOUT_PURPOSES),
    description: z.string(),
    amount: Amount,
    successUrl: z.string(),
    cancelUrl: z.string(),
    customerId: z.string(),
    subscriptionId: z.string().nullable(),
    plan: z.object({ tier: Tier, billingInterval: Interval }).nullable(),
    createdAt: Time,
    status: z.enum(['open', 'paid', 'canceled', 'expired']),
    paymentId: z.string().nullable(),
  })
  .meta({ id: 'SandboxCheckout' });

const Subscription = z
  .object({
    id: z.string(),
    region: Region,
    userId: z.string(),
    customerId: z.string(),
    tier: Tier,
    billingInterval: Interval,
    amount: Amount,
    status: z.enum(['active', 'past_due', 'canceled']),
    cancelAtPeriodEnd: z.boolean(),
    currentPeriodStart: Time,
    currentPeriodEnd: Time,
    anchorDay: z.number().int(),
    failNextRenewal: z.boolean(),
    pastDueSince: Time.nullable(),
    endedAt: Time.nullable(),
    createdAt: Time,
    scheduledChange: z.object({ tier: Tier, billingInterval: Interval, amount: Amount }).nullable().optional(),
  })
  .meta({ id: 'SandboxSubscription' });

const PlanChange = z
  .object({
    id: z.string(),
    region: Region,
    sessionId: z.string(),
    userId: z.string(),
    subscriptionId: z.string(),
    tier: Tier,
    billingInterval: Interval,
    amount: Amount,
    timing: z.enum(['now', 'period_end']),
    successUrl: z.string(),
    cancelUrl: z.string(),
    createdAt: Time,
    status: z.enum(['open', 'confirmed', 'canceled']),
    paymentId: z.string().nullable(),
  })
  .meta({ id: 'SandboxPlanChange' });

const Payment = z
  .object({
    id: z.string(),
    region: Region,
    userId: z.string(),
    purpose: z.enum([...CHECKOUT_PURPOSES, 'renewal', 'proration']),
    checkoutId: z.string().nullable(),
    subscriptionId: z.string().nullable(),
    amount: Amount,
    refunds: z.array(z.object({ id: z.string(), amountMinor: z.number().int(), createdAt: Time, idempotencyKey: z.string().optional() })),
    createdAt: Time,
    periodStart: Time.nullable().optional(),
    periodEnd: Time.nullable().optional(),
  })
  .meta({ id: 'SandboxPayment' });

const Dispute = z
  .object({ id: z.string(), region: Region, paymentId: z.string(), amount: Amount, status: z.enum(['open', 'won', 'lost']), createdAt: Time })
  .meta({ id: 'SandboxDispute' });

const Account = z
  .object({
    id: z.string(),
    region: Region,
    creatorId: z.string(),
    returnUrl: z.string(),
    status: z.enum(['pending', 'verified', 'restricted']),
    reason: z.string().nullable(),
    createdAt: Time,
  })
  .meta({ id: 'SandboxAccount' });

const Transfer = z
  .object({
    id: z.string(),
    region: Region,
    payoutId: z.string(),
    accountId: z.string(),
    amount: Amount,
    status: z.enum(['pending', 'paid', 'failed']),
    reversedMinor: z.number().int(),
    reason: z.string().nullable(),
    createdAt: Time,
  })
  .meta({ id: 'SandboxTransfer' });

const TransferSettings = z.object({ id: z.literal('transfers'), refuseNextWith: z.string().nullable(), holdNext: z.boolean() }).meta({ id: 'SandboxTransferSettings' });

export const SandboxStateResponse = z
  .object({
    now: Time,
    checkouts: z.array(Checkout),
    subscriptions: z.array(Subscription),
    payments: z.array(Payment),
    disputes: z.array(Dispute),
    accounts: z.array(Account),
    transfers: z.array(Transfer),
    planChanges: z.array(PlanChange),
  })
  .meta({ id: 'SandboxState' });

export const NowResponse = z.object({ now: Time });
export const SubscriptionResponse = z.object({ subscription: Subscription });
export const PaymentResponse = z.object({ payment: Payment });
export const DisputeResponse = z.object({ dispute: Dispute });
export const AccountResponse = z.object({ account: Account });
export const TransferResponse = z.object({ transfer: Transfer });
export const CheckoutObjectResponse = z.object({ checkout: Checkout });
export const NextTransferResponse = z.object({ next: TransferSettings });
