import { AdjustPlan } from '../../application/admin/adjust-plan.use-case.ts';
import { LookUpAccount, RECENT_ITEMS, type AccountLookup, type PayoutAccountView } from '../../application/admin/look-up-account.use-case.ts';
import { PAID_TIERS } from '../../domain/billing/plan-catalogue.ts';
import { PLAN_CHANGE_REASONS, type PlanChange } from '../../domain/billing/plan-change.entity.ts';
import { BillingInterval, BillingStateRef, PaymentGateway, PlanTier } from './billing.schema.ts';
import { builder } from './builder.ts';
import { OnboardingStatus, PayoutFrequency, PayoutRef } from './payouts.schema.ts';
import { DeveloperBalanceRef, WalletRef } from './wallet.schema.ts';
import { WebhookEventRef } from './webhooks.schema.ts';

const PaidPlanTier = builder.enumType('PaidPlanTier', { values: PAID_TIERS });
const PlanChangeReason = builder.enumType('PlanChangeReason', { values: PLAN_CHANGE_REASONS });

const PlanChangeRef = builder.objectRef<PlanChange>('PlanChange').implement({
  description: "One change to a user's plan, as recorded when it happened.",
  fields: (t) => ({
    id: t.exposeString('id'),
    reason: t.field({ type: PlanChangeReason, description: 'What made it: `admin` for adjustPlan.', resolve: (change) => change.reason }),
    fromTier: t.field({ type: PlanTier, resolve: (change) => change.fromTier }),
    toTier: t.field({ type: PlanTier, resolve: (change) => change.toTier }),
    fromInterval: t.field({ type: BillingInterval, nullable: true, resolve: (change) => change.fromInterval }),
    toInterval: t.field({ type: BillingInterval, nullable: true, resolve: (change) => change.toInterval }),
    reference: t.exposeString('reference', { nullable: true, description: 'The checkout session or provider subscription behind it.' }),
    actorId: t.exposeString('actorId', { nullable: true, description: 'The admin who made it (their token `sub`), for reason `admin`.' }),
    note: t.exposeString('note', { nullable: true, description: "The admin's reason, for reason `admin`." }),
    periodEnd: t.field({ type: 'DateTime', nullable: true, description: 'The end the admin gave the plan, for reason `admin`.', resolve: (change) => change.periodEnd }),
    occurredAt: t.field({ type: 'DateTime', resolve: (change) => change.occurredAt }),
  }),
});

const PayoutAccountRef = builder.objectRef<PayoutAccountView>('PayoutAccount').implement({
  description: "A creator's payout account at their provider and the schedule they chose.",
  fields: (t) => ({
    gateway: t.field({ type: PaymentGateway, resolve: (account) => account.gateway }),
    providerAccountId: t.exposeString('providerAccountId', { nullable: true, description: 'The connected (Stripe) or linked (Razorpay) account; null before onboarding.' }),
    onboardingStatus: t.field({ type: OnboardingStatus, resolve: (account) => account.onboardingStatus }),
    restrictionReason: t.exposeString('restrictionReason', { nullable: true }),
    frequency: t.field({ type: PayoutFrequency, resolve: (account) => account.frequency }),
    currency: t.exposeString('currency', { description: 'The currency payouts reach the bank in.' }),
    updatedAt: t.field({ type: 'DateTime', resolve: (account) => account.updatedAt }),
  }),
});

const recent = `newest first, at most ${RECENT_ITEMS}`;

const AccountLookupRef = builder.objectRef<AccountLookup>('AccountLookup').implement({
  description: 'Everything billing knows of one user, for internal tools.',
  fields: (t) => ({
    userId: t.exposeString('userId'),
    plan: t.field({ type: BillingStateRef, nullable: true, description: 'Plan, status, period end and gateway; null when the user never opened a billing account.', resolve: (a) => a.plan }),
    providerCustomerId: t.exposeString('providerCustomerId', { nullable: true }),
    providerSubscriptionId: t.exposeString('providerSubscriptionId', { nullable: true, description: 'The subscription at the provider the plan is linked to, if any.' }),
    pastDueSince: t.field({ type: 'DateTime', nullable: true, description: 'Since when renewal has been failing.', resolve: (a) => a.pastDueSince }),
    wallet: t.field({ type: WalletRef, resolve: (a) => a.wallet }),
    developerBalance: t.field({ type: DeveloperBalanceRef, resolve: (a) => a.developerBalance }),
    payoutAccount: t.field({ type: PayoutAccountRef, nullable: true, resolve: (a) => a.payoutAccount }),
    planChanges: t.field({ type: [PlanChangeRef], description: `Changes to the plan, ${recent}.`, resolve: (a) => [...a.planChanges] }),
    webhookEvents: t.field({
      type: [WebhookEventRef],
      description: `Provider events about the user's subscription, recent checkouts, payout account and recent payouts, ${recent}.`,
      resolve: (a) => [...a.webhookEvents],
    }),
    payouts: t.field({ type: [PayoutRef], description: `Payouts, ${recent}.`, resolve: (a) => [...a.payouts] }),
  }),
});

builder.queryField('account', (t) =>
  t.field({
    type: AccountLookupRef,
    description: 'For the admin role: one user\'s plan, gateway, wallet, developer balance, payout account and recent history. NOT_FOUND when nothing is known of the id.',
    args: { userId: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => ctx.use(LookUpAccount).execute({ requester: await ctx.requester(), userId: args.userId }),
  }),
);

builder.mutationField('adjustPlan', (t) =>
  t.field({
    type: BillingStateRef,
    description:
      'For the admin role: puts the user on a paid plan until `until` (in the future, at most 5 years ahead) that no provider bills, ' +
      'recorded with your id and `reason`; it shows as `canceled` and falls back to free after `until` like any plan whose renewal stopped. ' +
      'CONFLICT while the user is linked to a provider subscription (end it there first). Repeating the same call records nothing new.',
    args: {
      userId: t.arg.string({ required: true }),
      tier: t.arg({ type: PaidPlanTier, required: true }),
      billingInterval: t.arg({ type: BillingInterval, required: true }),
      until: t.arg({ type: 'DateTime', required: true }),
      reason: t.arg.string({ required: true }),
    },
    resolve: async (_root, args, ctx) => ctx.use(AdjustPlan).execute({ requester: await ctx.requester(), ...args }),
  }),
);
