import { ListDuplicateSubscriptions } from '../../application/billing/list-duplicate-subscriptions.use-case.ts';
import type { DuplicateSubscription } from '../../domain/billing/duplicate-subscription.entity.ts';
import { builder } from './builder.ts';
import { connection, pageArgs } from './connection.ts';

const DuplicateSubscriptionRef = builder.objectRef<DuplicateSubscription>('DuplicateSubscription').implement({
  description:
    'A second subscription an account paid for (two plan checkouts both paid): the later-opened checkout stands, and the ' +
    "earlier one's subscription is canceled at once and its payment refunded in full through the provider.",
  fields: (t) => ({
    id: t.exposeString('id'),
    userId: t.exposeString('userId'),
    gateway: t.exposeString('gateway'),
    keptSessionId: t.exposeString('keptSessionId', { description: 'The later-opened checkout, whose subscription the account keeps.' }),
    canceledSessionId: t.exposeString('canceledSessionId', { description: 'The earlier-opened checkout, whose subscription is canceled and payment refunded.' }),
    subscriptionId: t.exposeString('subscriptionId', { description: "The provider's subscription canceled." }),
    paymentId: t.exposeString('paymentId', { nullable: true, description: "The provider's payment refunded." }),
    amountMinor: t.field({ type: 'Cents', description: 'What the earlier checkout charged, in minor units of `currency`.', resolve: (record) => record.amountMinor }),
    currency: t.exposeString('currency'),
    status: t.exposeString('status', { description: 'pending (to do, or to try again), done, or failed (left to a person; see lastError).' }),
    attempts: t.exposeInt('attempts'),
    lastError: t.exposeString('lastError', { nullable: true, description: "The provider's error from the last attempt that failed." }),
    nextAttemptAt: t.field({ type: 'DateTime', nullable: true, resolve: (record) => record.nextAttemptAt }),
    subscriptionCanceledAt: t.field({ type: 'DateTime', nullable: true, resolve: (record) => record.subscriptionCanceledAt }),
    refundId: t.exposeString('refundId', { nullable: true, description: "The provider's refund; null once done when nothing was left to refund." }),
    refundedMinor: t.field({ type: 'Cents', nullable: true, description: 'What the provider refunded, in minor units of `currency`.', resolve: (record) => record.refundedMinor }),
    refundedAt: t.field({ type: 'DateTime', nullable: true, resolve: (record) => record.refundedAt }),
    createdAt: t.field({ type: 'DateTime', resolve: (record) => record.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (record) => record.updatedAt }),
    settledAt: t.field({ type: 'DateTime', nullable: true, resolve: (record) => record.settledAt }),
  }),
});

const DuplicateSubscriptionConnectionRef = connection(DuplicateSubscriptionRef);

builder.queryField('duplicateSubscriptions', (t) =>
  t.field({
    type: DuplicateSubscriptionConnectionRef,
    description: 'For the admin role: second subscriptions settled by canceling and refunding the earlier one, newest first; `status: "failed"` lists what needs a person.',
    args: {
      status: t.arg.string({ required: false }),
      ...pageArgs,
    },
    resolve: async (_root, args, ctx) => ctx.use(ListDuplicateSubscriptions).execute({ requester: await ctx.requester(), ...args }),
  }),
);
