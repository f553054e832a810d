import type { BillingState } from '../../application/billing/billing-state.ts';
import { GetBillingState } from '../../application/billing/get-billing-state.use-case.ts';
import { RegisterAccount } from '../../application/billing/register-account.use-case.ts';
import {
  BILLING_INTERVALS,
  PAYMENT_GATEWAYS,
  PLAN_STATUSES,
  PLAN_TIERS,
} from '../../domain/billing/plan.value-objects.ts';
import { signupSignals } from '../http/request-auth.ts';
import { builder } from './builder.ts';

// Enum values are the same lower-case words the REST API answers with, so both agree verbatim.
const PlanTier = builder.enumType('PlanTier', { values: PLAN_TIERS });
const PaymentGateway = builder.enumType('PaymentGateway', { values: PAYMENT_GATEWAYS });
const PlanStatus = builder.enumType('PlanStatus', { values: PLAN_STATUSES });
const BillingInterval = builder.enumType('BillingInterval', { values: BILLING_INTERVALS });

const BillingStateRef = builder.objectRef<BillingState>('BillingState').implement({
  description: "The caller's plan and the payment gateway all their billing goes through.",
  fields: (t) => ({
    planTier: t.field({ type: PlanTier, resolve: (state) => state.planTier }),
    paymentGateway: t.field({ type: PaymentGateway, resolve: (state) => state.paymentGateway }),
    status: t.field({ type: PlanStatus, resolve: (state) => state.status }),
    billingInterval: t.field({ type: BillingInterval, nullable: true, resolve: (state) => state.billingInterval }),
    currentPeriodEnd: t.field({ type: 'DateTime', nullable: true, resolve: (state) => state.currentPeriodEnd }),
    country: t.exposeString('country', { description: 'ISO 3166-1 alpha-2 code the gateway was chosen from.' }),
  }),
});

builder.queryField('billing', (t) =>
  t.field({
    type: BillingStateRef,
    description: "The caller's billing state; the first call opens their account as signup would.",
    resolve: async (_root, _args, ctx) => {
      const requester = await ctx.requester();
      return ctx.use(GetBillingState).execute({ userId: requester.userId, signals: signupSignals(requester, ctx.request) });
    },
  }),
);

builder.mutationField('registerAccount', (t) =>
  t.field({
    type: BillingStateRef,
    description:
      'Opens the billing account at signup. The payment gateway is chosen from the country once ' +
      '(IN: razorpay, anything else: stripe); without a country it comes from the token or the request.',
    args: { country: t.arg.string({ required: false, description: 'ISO 3166-1 alpha-2 code, e.g. "IN".' }) },
    resolve: async (_root, args, ctx) => {
      const requester = await ctx.requester();
      return ctx.use(RegisterAccount).execute({
        userId: requester.userId,
        country: args.country ?? undefined,
        signals: signupSignals(requester, ctx.request),
      });
    },
  }),
);
