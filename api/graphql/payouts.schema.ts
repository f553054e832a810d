import { GetPayout } from '../../application/payouts/get-payout.use-case.ts';
import { GetPayoutSettings } from '../../application/payouts/get-payout-settings.use-case.ts';
import { ListPayouts } from '../../application/payouts/list-payouts.use-case.ts';
import type { PayoutSettingsView } from '../../application/payouts/payout-settings.view.ts';
import { RequestPayout } from '../../application/payouts/request-payout.use-case.ts';
import { RetryPayout } from '../../application/payouts/retry-payout.use-case.ts';
import { StartPayoutOnboarding } from '../../application/payouts/start-payout-onboarding.use-case.ts';
import { UpdatePayoutSettings } from '../../application/payouts/update-payout-settings.use-case.ts';
import { ONBOARDING_STATUSES, PAYOUT_FREQUENCIES } from '../../domain/payouts/payout-account.entity.ts';
import { FxRate } from '../../domain/shared/fx-rate.value-object.ts';
import { PAYOUT_STATUSES, type Payout } from '../../domain/payouts/payout.entity.ts';
import { PaymentGateway } from './billing.schema.ts';
import { builder } from './builder.ts';
import { caller } from './caller.ts';
import { connection, pageArgs } from './connection.ts';

const PayoutStatus = builder.enumType('PayoutStatus', { values: PAYOUT_STATUSES });
export const PayoutFrequency = builder.enumType('PayoutFrequency', { values: PAYOUT_FREQUENCIES });
export const OnboardingStatus = builder.enumType('OnboardingStatus', { values: ONBOARDING_STATUSES });

export const PayoutRef = builder.objectRef<Payout>('Payout').implement({
  description: "Money on its way from the creator's developer balance to their bank.",
  fields: (t) => ({
    id: t.exposeString('id'),
    status: t.field({ type: PayoutStatus, resolve: (payout) => payout.status }),
    amountCents: t.field({ type: 'Cents', description: 'What left the developer balance, in US cents.', resolve: (payout) => payout.amount.amountMinor }),
    currency: t.string({
      description: "The currency of `amountCents`: USD, the developer balance's (the ledger's) for every payout.",
      resolve: (payout) => payout.amount.currency,
    }),
    payoutCurrency: t.string({ description: 'The currency it reaches the bank in: USD (Stripe) or INR (Razorpay).', resolve: (payout) => payout.payoutAmount.currency }),
    payoutAmountMinor: t.field({
      type: 'Cents',
      description: 'What reaches the bank, in minor units of `payoutCurrency` (cents, paise), converted from `amountCents` at `fxRate` for INR.',
      resolve: (payout) => payout.payoutAmount.amountMinor,
    }),
    fxRate: t.string({
      nullable: true,
      description: 'INR per USD the payout was converted at, as a decimal string; null for USD.',
      resolve: (payout) =>
        payout.fx ? FxRate.of({ ...payout.fx, from: 'USD', to: payout.payoutAmount.currency }).toDecimalString() : null,
    }),
    gateway: t.field({ type: PaymentGateway, resolve: (payout) => payout.gateway }),
    failureReason: t.string({ nullable: true, description: "The provider's reason, for a failed payout.", resolve: (payout) => payout.failureReason }),
    providerTransferId: t.string({ nullable: true, resolve: (payout) => payout.providerTransferId }),
    period: t.string({ nullable: true, description: 'The schedule period it pays (`weekly:2026-W48`); null when asked for by hand.', resolve: (payout) => payout.period }),
    retryOf: t.string({ nullable: true, description: 'The failed payout this one retried.', resolve: (payout) => payout.retryOf }),
    createdAt: t.field({ type: 'DateTime', resolve: (payout) => payout.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (payout) => payout.updatedAt }),
  }),
});

const PayoutConnectionRef = connection(PayoutRef);

const PayoutSettingsRef = builder.objectRef<PayoutSettingsView>('PayoutSettings').implement({
  fields: (t) => ({
    frequency: t.field({ type: PayoutFrequency, resolve: (settings) => settings.frequency }),
    onboardingStatus: t.field({ type: OnboardingStatus, resolve: (settings) => settings.onboardingStatus }),
    restrictionReason: t.string({ nullable: true, description: "The provider's reason, when it restricts the account.", resolve: (s) => s.restrictionReason }),
    gateway: t.field({ type: PaymentGateway, resolve: (settings) => settings.gateway }),
    currency: t.exposeString('currency', { description: 'USD through Stripe, INR through Razorpay.' }),
    minimumCents: t.field({ type: 'Cents', description: 'The smallest payout, in US cents.', resolve: (settings) => settings.minimumCents }),
  }),
});

const PayoutProfileInput = builder.inputType('PayoutProfileInput', {
  description: 'For Razorpay creators, whose linked account is opened through the API rather than a hosted page.',
  fields: (t) => ({
    email: t.string({ required: true }),
    phone: t.string({ required: true }),
    legalName: t.string({ required: true }),
    bankAccountNumber: t.string({ required: true }),
    ifsc: t.string({ required: true }),
    pan: t.string({ required: true }),
    street: t.string({ required: true }),
    city: t.string({ required: true }),
    state: t.string({ required: true }),
    postalCode: t.string({ required: true }),
  }),
});

builder.queryFields((t) => ({
  payoutSettings: t.field({
    type: PayoutSettingsRef,
    description: "The caller's payout schedule and onboarding; an account under review is checked with the provider first.",
    resolve: async (_root, _args, ctx) => ctx.use(GetPayoutSettings).execute(await caller(ctx)),
  }),
  payout: t.field({
    type: PayoutRef,
    args: { id: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => ctx.use(GetPayout).execute({ creatorId: (await ctx.requester()).userId, id: args.id }),
  }),
  payouts: t.field({
    type: PayoutConnectionRef,
    args: pageArgs,
    resolve: async (_root, args, ctx) => ctx.use(ListPayouts).execute({ creatorId: (await ctx.requester()).userId, first: args.first ?? undefined, after: args.after ?? undefined }),
  }),
}));

builder.mutationFields((t) => ({
  startPayoutOnboarding: t.field({
    type: builder.objectRef<{ url: string; status: string }>('PayoutOnboarding').implement({
      fields: (f) => ({ url: f.exposeString('url'), status: f.field({ type: OnboardingStatus, resolve: (o) => o.status as never }) }),
    }),
    description: "Opens the creator's payout account at their provider; send them to `url` (Stripe's hosted onboarding, the sandbox page, or straight back for Razorpay).",
    args: {
      returnUrl: t.arg.string({ required: true }),
      refreshUrl: t.arg.string({ required: true }),
      profile: t.arg({ type: PayoutProfileInput, required: false }),
    },
    resolve: async (_root, args, ctx) => ctx.use(StartPayoutOnboarding).execute({ ...(await caller(ctx)), ...args }),
  }),
  requestPayout: t.field({
    type: PayoutRef,
    description: 'Pays the amount (all that is available when none is given) to the bank; at least $10.00.',
    args: { amountCents: t.arg.int({ required: false }) },
    resolve: (_root, args, ctx) =>
      ctx.metrics.countPayout('manual', async () => ctx.use(RequestPayout).execute({ ...(await caller(ctx)), amountCents: args.amountCents })),
  }),
  updatePayoutSettings: t.field({
    type: PayoutSettingsRef,
    args: { frequency: t.arg({ type: PayoutFrequency, required: true }) },
    resolve: async (_root, args, ctx) => ctx.use(UpdatePayoutSettings).execute({ ...(await caller(ctx)), frequency: args.frequency }),
  }),
  retryPayout: t.field({
    type: PayoutRef,
    description: 'For the `admin` role: sends an unanswered payout again, or pays a failed one anew.',
    args: { id: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) =>
      ctx.metrics.countPayout('retry', async () => ctx.use(RetryPayout).execute({ requester: await ctx.requester(), id: args.id })),
  }),
}));
