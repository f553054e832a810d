import { z } from 'zod';
import { MAX_SESSION_REFERENCE_LENGTH, parseSessionReference } from '../../application/billing/verify-checkout-session.use-case.ts';
import { PAID_TIERS, parsePaidTier } from '../../domain/billing/plan-catalogue.ts';
import { BILLING_INTERVALS, parseBillingInterval, PAYMENT_GATEWAY_NAMES, PLAN_STATUSES, PLAN_TIERS, type PaidPlanTier } from '../../domain/billing/plan.value-objects.ts';
import { MAX_REDIRECT_URL_LENGTH, parseRedirect } from '../../domain/billing/redirect-allow-list.policy.ts';
import { MAX_DEPOSIT_CENTS, MIN_DEPOSIT_CENTS, parseDepositAmount } from '../../domain/wallet/wallet-rules.ts';
import { refusedAs } from './request-schema.ts';

/**
 * The shapes of the documented `/api/billing` and `/api/balance` routes: the routes parse their
 * input with these, and the OpenAPI document is generated from them. Each field is refused in the
 * words of the domain rule behind it, which checks it again (and what only it can, such as the
 * redirect allow-list) for REST and GraphQL alike.
 */

const paidTiers = PAID_TIERS as readonly [PaidPlanTier, ...PaidPlanTier[]];

const PaidTier = refusedAs(z.enum(paidTiers), parsePaidTier);
const BillingInterval = refusedAs(z.enum(BILLING_INTERVALS), parseBillingInterval);

const RedirectUrl = refusedAs(
  z.string().min(1).max(MAX_REDIRECT_URL_LENGTH).meta({ format: 'uri', description: 'An absolute http(s) URL on an origin of REDIRECT_ALLOWED_ORIGINS.', example: 'https://app.aerostack.dev/settings/billing' }),
  parseRedirect,
);

const SessionId = refusedAs(
  z.string().min(1).max(MAX_SESSION_REFERENCE_LENGTH).meta({ description: 'The checkout session id the success URL came back with.' }),
  parseSessionReference,
);

/** A signed link this server handed out; checked by the page it opens (401 when forged or expired). */
const SignedLink = z.string().optional().meta({ description: 'The signed link this server handed out (401 when it is missing, forged or expired).' });

export const CheckoutRequest = z.object({
  tier: PaidTier,
  billing_interval: BillingInterval,
  success_url: RedirectUrl,
  cancel_url: RedirectUrl,
});

export const DepositRequest = z.object({
  amount_cents: refusedAs(
    z.number().int().min(MIN_DEPOSIT_CENTS).max(MAX_DEPOSIT_CENTS).meta({ description: 'What the wallet is credited, in US cents.', example: 2_500 }),
    (raw, field) => parseDepositAmount(raw, field),
  ),
  success_url: RedirectUrl,
  cancel_url: RedirectUrl,
});

export const SessionQuery = z.object({ session_id: SessionId });
export const ReturnUrlQuery = z.object({ return_url: RedirectUrl });
export const PortalLinkQuery = z.object({ link: SignedLink, return_url: RedirectUrl });
export const RenewalLinkQuery = z.object({ link: SignedLink });

/** Standard Checkout's result, posted by Razorpay's page to the callback (the payment's ids and signature, or an error). */
export const RazorpayCallbackForm = z
  .object({
    razorpay_payment_id: z.string().optional(),
    razorpay_subscription_id: z.string().optional(),
    razorpay_signature: z.string().optional(),
  })
  .catchall(z.string());

export const PlanSwitchForm = z.object({ tier: PaidTier, billing_interval: BillingInterval });

const ScheduledChange = z.object({
  tier: z.enum(paidTiers),
  billing_interval: z.enum(BILLING_INTERVALS),
  effective_at: z.iso.datetime(),
});

export const BillingStateResponse = z
  .object({
    plan_tier: z.enum(PLAN_TIERS),
    payment_gateway: z.enum(PAYMENT_GATEWAY_NAMES),
    status: z.enum(PLAN_STATUSES),
    scheduled_change: ScheduledChange.optional().meta({ description: 'Present only while a downgrade waits for the end of the period.' }),
  })
  .meta({ id: 'BillingState' });

export const CheckoutResponse = z.object({
  url: z.string().meta({ format: 'uri', description: 'The hosted page to send the browser to.' }),
  session_id: z.string().optional().meta({ description: "A subscriber's change of plan: the session verify-session takes once it is confirmed." }),
});

export const TierResponse = z.object({ tier: z.enum(PLAN_TIERS) });

export const UrlResponse = z.object({ url: z.string().meta({ format: 'uri' }) });

export const DepositVerificationResponse = z.object({
  deposited: z.boolean(),
  amount_cents: z.number().int().meta({ description: 'What the wallet was (or will be) credited, in US cents.' }),
  status: z.string().optional().meta({ description: "The checkout's status while it is not deposited (open, expired, canceled)." }),
});
