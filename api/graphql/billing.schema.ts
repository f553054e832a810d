import type { BillingState } from '../../application/billing/billing-state.view.ts';
import { ChangePlan } from '../../application/billing/change-plan.use-case.ts';
import { GetBillingState } from '../../application/billing/get-billing-state.use-case.ts';
import { ListPlans } from '../../application/billing/list-plans.use-case.ts';
import { CancelSubscription } from '../../application/billing/cancel-subscription.use-case.ts';
import { ChangeBillingInterval } from '../../application/billing/change-billing-interval.use-case.ts';
import { CreatePortalSession } from '../../application/billing/create-portal-session.use-case.ts';
import type { PlanQuote } from '../../application/billing/plan-pricing.service.ts';
import { RegisterAccount } from '../../application/billing/register-account.use-case.ts';
import { StartPlanCheckout } from '../../application/billing/start-plan-checkout.use-case.ts';
import { VerifyCheckoutSession } from '../../application/billing/verify-checkout-session.use-case.ts';
import {
  BILLING_INTERVALS,
  PAYMENT_GATEWAY_NAMES,
  PLAN_STATUSES,
  PLAN_TIERS,
} from '../../domain/billing/plan.value-objects.ts';
import { RENEWAL_MODES } from '../../domain/billing/renewal.policy.ts';
import { RenewalTerms } from '../../application/billing/renewal-terms.service.ts';
import { builder } from './builder.ts';
import { caller } from './caller.ts';

// Enum values are the same lower-case words the REST API answers with, so both agree verbatim.
/** Shared with the invoices schema, like the interval. */
export const PlanTier = builder.enumType('PlanTier', { values: PLAN_TIERS });
/** Shared with the payout schema. */
export const PaymentGateway = builder.enumType('PaymentGateway', { values: PAYMENT_GATEWAY_NAMES });
const PlanStatus = builder.enumType('PlanStatus', { values: PLAN_STATUSES });
export const BillingInterval = builder.enumType('BillingInterval', { values: BILLING_INTERVALS });

const ScheduledPlanChangeRef = builder.objectRef<NonNullable<BillingState['scheduledChange']>>('ScheduledPlanChange').implement({
  description: 'A change to another plan the provider will make at the end of the paid period (a downgrade).',
  fields: (t) => ({
    tier: t.field({ type: PlanTier, resolve: (change) => change.tier }),
    billingInterval: t.field({ type: BillingInterval, resolve: (change) => change.billingInterval }),
    effectiveAt: t.field({ type: 'DateTime', resolve: (change) => change.effectiveAt }),
  }),
});

const RenewalMode = builder.enumType('RenewalMode', { values: RENEWAL_MODES });

export const BillingStateRef = builder.objectRef<BillingState>('BillingState').implement({
  description: "The caller's plan and the payment gateway all their billing goes through.",
  fields: (t) => ({
    planTier: t.field({ type: PlanTier, resolve: (state) => state.planTier }),
    paymentGateway: t.field({ type: PaymentGateway, resolve: (state) => state.paymentGateway }),
    status: t.field({ type: PlanStatus, resolve: (state) => state.status }),
    billingInterval: t.field({ type: BillingInterval, nullable: true, resolve: (state) => state.billingInterval }),
    currentPeriodEnd: t.field({ type: 'DateTime', nullable: true, resolve: (state) => state.currentPeriodEnd }),
    country: t.exposeString('country', { description: 'ISO 3166-1 alpha-2 code the gateway was chosen from.' }),
    scheduledChange: t.field({
      type: ScheduledPlanChangeRef,
      nullable: true,
      description: 'The plan the subscription moves to when the period ends, when a downgrade is scheduled.',
      resolve: (state) => state.scheduledChange,
    }),
    renewal: t.field({
      type: RenewalMode,
      nullable: true,
      description:
        'How the plan renews: `automatic`, or `needs_approval` where each debit needs the customer to approve it (India, above ₹15,000); null on the free plan.',
      resolve: async (state, _args, ctx) => (await ctx.use(RenewalTerms).termsOf(state)).renewal,
    }),
    renewalUrl: t.string({
      nullable: true,
      description: 'For a past-due Razorpay plan: a short-lived link that pays the next period by a one-time payment.',
      resolve: async (state, _args, ctx) => (await ctx.use(RenewalTerms).termsOf(state)).renewalUrl,
    }),
  }),
});

const PlanPriceRef = builder.objectRef<PlanQuote>('PlanPrice').implement({
  description: "A paid plan's price in the currency of the caller's gateway.",
  fields: (t) => ({
    tier: t.field({ type: PlanTier, resolve: (quote) => quote.tier }),
    billingInterval: t.field({ type: BillingInterval, resolve: (quote) => quote.billingInterval }),
    amountMinor: t.field({ type: 'Cents', description: 'Cents or paise.', resolve: (quote) => quote.price.amountMinor }),
    currency: t.string({ resolve: (quote) => quote.price.currency }),
    listPriceUsdCents: t.field({ type: 'Cents', resolve: (quote) => quote.listPrice.amountMinor }),
    fxRate: t.string({
      nullable: true,
      description: 'Units of the currency per USD used for the conversion, when one was made.',
      resolve: (quote) => quote.fx?.toDecimalString() ?? null,
    }),
  }),
});

const CheckoutRef = builder
  .objectRef<{ url: string; sessionId: string }>('Checkout')
  .implement({ fields: (t) => ({ url: t.exposeString('url'), sessionId: t.exposeString('sessionId') }) });

const RedirectRef = builder.objectRef<{ url: string }>('Redirect').implement({ fields: (t) => ({ url: t.exposeString('url') }) });

const StartPlanCheckoutInput = builder.inputType('StartPlanCheckoutInput', {
  fields: (t) => ({
    tier: t.field({ type: PlanTier, required: true }),
    billingInterval: t.field({ type: BillingInterval, required: true }),
    successUrl: t.string({ required: true }),
    cancelUrl: t.string({ required: true }),
  }),
});

builder.queryFields((t) => ({
  billing: t.field({
    type: BillingStateRef,
    description: "The caller's billing state; the first call opens their account as signup would.",
    resolve: async (_root, _args, ctx) => ctx.use(GetBillingState).execute(await caller(ctx)),
  }),
  plans: t.field({
    type: [PlanPriceRef],
    description: "Every paid plan, priced in the caller's currency (INR at the configured rate for Razorpay accounts).",
    resolve: async (_root, _args, ctx) => ctx.use(ListPlans).execute(await caller(ctx)),
  }),
}));

builder.mutationFields((t) => ({
  registerAccount: t.field({
    type: BillingStateRef,
    description:
      'Opens the billing account at signup. The payment gateway is chosen from the country once ' +
      '(IN: razorpay, anything else: stripe); without a country it comes from the token or the request.',
    args: { country: t.arg.string({ required: false, description: 'ISO 3166-1 alpha-2 code, e.g. "IN".' }) },
    resolve: async (_root, args, ctx) =>
      ctx.use(RegisterAccount).execute({ ...(await caller(ctx)), country: args.country ?? undefined }),
  }),
  startPlanCheckout: t.field({
    type: CheckoutRef,
    description:
      "Starts a hosted checkout for a paid plan at the caller's gateway; send the user to `url`. For a subscriber, " +
      "`url` is the provider's page confirming the change to this plan (an upgrade now, prorated; a downgrade at the period's end); " +
      'verifyCheckoutSession then applies it.',
    args: { input: t.arg({ type: StartPlanCheckoutInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ctx.use(StartPlanCheckout).execute({ ...(await caller(ctx)), ...input }),
  }),
  verifyCheckoutSession: t.field({
    type: BillingStateRef,
    description: 'After the redirect back: applies a paid checkout at once. Idempotent.',
    args: { sessionId: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) =>
      ctx.use(VerifyCheckoutSession).execute({ userId: (await caller(ctx)).userId, sessionId: args.sessionId }),
  }),
  createPortalSession: t.field({
    type: RedirectRef,
    description: "The caller's billing portal: Stripe's Customer Portal for Stripe accounts, this server's own billing page (by a short-lived signed link) for Razorpay accounts, which Razorpay hosts none for.",
    args: { returnUrl: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => ctx.use(CreatePortalSession).execute({ ...(await caller(ctx)), returnUrl: args.returnUrl }),
  }),
  cancelSubscription: t.field({
    type: BillingStateRef,
    description: 'Stops renewal; the plan stays until the end of the paid period.',
    resolve: async (_root, _args, ctx) => ctx.use(CancelSubscription).execute({ userId: (await caller(ctx)).userId }),
  }),
  changePlan: t.field({
    type: BillingStateRef,
    description:
      "Moves the caller's running subscription to another tier or interval through the provider's API, with no page to confirm on: " +
      'an upgrade (higher tier, or monthly to yearly) now with the prorated difference charged; a downgrade at the end of the paid period, ' +
      'shown as scheduledChange until then.',
    args: {
      tier: t.arg({ type: PlanTier, required: true }),
      billingInterval: t.arg({ type: BillingInterval, required: true }),
    },
    resolve: async (_root, args, ctx) =>
      ctx.use(ChangePlan).execute({ userId: (await caller(ctx)).userId, tier: args.tier, billingInterval: args.billingInterval }),
  }),
  changeBillingInterval: t.field({
    type: BillingStateRef,
    description: 'Switches the running subscription between monthly and yearly billing.',
    args: { billingInterval: t.arg({ type: BillingInterval, required: true }) },
    resolve: async (_root, args, ctx) =>
      ctx.use(ChangeBillingInterval).execute({ userId: (await caller(ctx)).userId, billingInterval: args.billingInterval }),
  }),
}));
