import type { InboxEvent } from '../../application/webhooks/provider-event-inbox.port.ts';
import { ListWebhookEvents } from '../../application/webhooks/list-webhook-events.use-case.ts';
import { ReplayWebhookEvent } from '../../application/webhooks/replay-webhook-event.use-case.ts';
import { builder } from './builder.ts';
import { connection, pageArgs } from './connection.ts';

export const WebhookEventRef = builder.objectRef<InboxEvent>('WebhookEvent').implement({
  description: 'A provider event as received, and what became of it.',
  fields: (t) => ({
    id: t.exposeString('id', { description: 'Our id for the event, in arrival order: what replayWebhookEvent takes.' }),
    provider: t.exposeString('provider'),
    eventId: t.exposeString('eventId', { description: "The provider's event id." }),
    type: t.exposeString('type'),
    subject: t.string({
      nullable: true,
      description: 'The provider object it is about (`subscription:sub_…`), whose state a worker reads; null for an event this service does not act on.',
      resolve: (event) => (event.subject ? `${event.subject.kind}:${event.subject.id}` : null),
    }),
    status: t.exposeString('status', {
      description: 'pending, applied, ignored (nothing of ours concerned), failed (refused as untrusted, nothing applied) or dead (gave up after the last attempt).',
    }),
    attempts: t.exposeInt('attempts'),
    lastError: t.exposeString('lastError', { nullable: true }),
    note: t.exposeString('note', { nullable: true, description: 'Why it was ignored or refused, or what to review about what it applied.' }),
    occurredAt: t.field({ type: 'DateTime', resolve: (event) => event.occurredAt }),
    receivedAt: t.field({ type: 'DateTime', resolve: (event) => event.receivedAt }),
    settledAt: t.field({ type: 'DateTime', nullable: true, resolve: (event) => event.settledAt }),
    payload: t.exposeString('payloadJson', { description: 'The event as delivered, as JSON.' }),
  }),
});

const WebhookEventConnectionRef = connection(WebhookEventRef);

builder.queryField('webhookEvents', (t) =>
  t.field({
    type: WebhookEventConnectionRef,
    description: 'For the admin role: received provider events, newest first; `status: "failed"` or `"dead"` lists what needs a person.',
    args: {
      provider: t.arg.string({ required: false }),
      status: t.arg.string({ required: false }),
      ...pageArgs,
    },
    resolve: async (_root, args, ctx) => ctx.use(ListWebhookEvents).execute({ requester: await ctx.requester(), ...args }),
  }),
);

builder.mutationField('replayWebhookEvent', (t) =>
  t.field({
    type: WebhookEventRef,
    description: "For the admin role: queues a recorded event again; a worker reads its subject's current state and applies that (safe to repeat).",
    args: { id: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => ctx.use(ReplayWebhookEvent).execute({ requester: await ctx.requester(), id: args.id }),
  }),
);
