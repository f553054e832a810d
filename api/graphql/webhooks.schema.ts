import type { Page } from '../../application/wallet/wallet-ledger.port.ts';
import { webhookEventId, WebhookAdmin } from '../../application/webhooks/webhook-admin.use-cases.ts';
import type { StoredWebhookEvent } from '../../application/webhooks/webhook-event.repository.ts';
import { builder } from './builder.ts';

const WebhookEventRef = builder.objectRef<StoredWebhookEvent>('WebhookEvent').implement({
  description: 'A provider event as received, and what it did.',
  fields: (t) => ({
    id: t.string({ description: '`<provider>:<event id>`, for replayWebhookEvent.', resolve: (event) => webhookEventId(event) }),
    provider: t.exposeString('provider'),
    type: t.exposeString('type'),
    outcome: t.exposeString('outcome', { description: 'applied, ignored (nothing to do) or stale (older than state already applied).' }),
    occurredAt: t.field({ type: 'DateTime', resolve: (event) => event.occurredAt }),
    receivedAt: t.field({ type: 'DateTime', resolve: (event) => event.receivedAt }),
    payload: t.string({ description: 'The event as delivered, as JSON.', resolve: (event) => JSON.stringify(event.payload) }),
  }),
});

const WebhookEventConnectionRef = builder.objectRef<Page<StoredWebhookEvent>>('WebhookEventConnection').implement({
  fields: (t) => ({
    edges: t.field({
      type: [
        builder.objectRef<Page<StoredWebhookEvent>['items'][number]>('WebhookEventEdge').implement({
          fields: (e) => ({ cursor: e.exposeString('cursor'), node: e.field({ type: WebhookEventRef, resolve: (edge) => edge.node }) }),
        }),
      ],
      resolve: (page) => [...page.items],
    }),
    hasNextPage: t.exposeBoolean('hasNextPage'),
    endCursor: t.string({ nullable: true, resolve: (page) => page.items.at(-1)?.cursor ?? null }),
  }),
});

builder.queryField('webhookEvents', (t) =>
  t.field({
    type: WebhookEventConnectionRef,
    description: 'For the admin role: received provider events, newest first.',
    args: {
      provider: t.arg.string({ required: false }),
      outcome: t.arg.string({ required: false }),
      first: t.arg.int({ required: false }),
      after: t.arg.string({ required: false }),
    },
    resolve: async (_root, args, ctx) => ctx.use(WebhookAdmin).list({ requester: await ctx.requester(), ...args }),
  }),
);

builder.mutationField('replayWebhookEvent', (t) =>
  t.field({
    type: WebhookEventRef,
    description: 'For the admin role: applies a recorded event again (safe to repeat).',
    args: { id: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => ctx.use(WebhookAdmin).replay({ requester: await ctx.requester(), id: args.id }),
  }),
);
