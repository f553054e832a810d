import { describe, expect, it } from 'vitest';
import type { AccountPlanRepository } from '../../application/billing/account-plan.repository.ts';
import type { UnitOfWork } from '../../application/shared/unit-of-work.port.ts';
import type { ProviderEvent } from '../../application/webhooks/provider-event.ts';
import type { WebhookEventRepository } from '../../application/webhooks/webhook-event.repository.ts';
import { aUserId, anAccountPlan } from '../support/builders.ts';

export interface WebhookEventStore {
  readonly events: WebhookEventRepository;
  readonly uow: UnitOfWork;
  /** The accounts `unlessHeld` is answered from. */
  readonly accounts: AccountPlanRepository;
}

const RECEIVED_AT = new Date('2026-12-01T10:00:00.000Z');

function anEvent(overrides: Partial<ProviderEvent> = {}): ProviderEvent {
  const eventId = `evt_${aUserId()}`;
  return {
    provider: 'stripe',
    eventId,
    type: 'payment_intent.created',
    occurredAt: new Date('2026-12-01T09:59:58.000Z'),
    effect: { kind: 'none', reason: 'not acted on' },
    payload: { id: eventId, object: 'event', data: { object: { note: "quotes ' and \" and \\ and ünïcödé" } } },
    ...overrides,
  };
}

/** What every WebhookEventRepository must do, in memory and in SQL. */
export function runWebhookEventRepositoryContract(name: string, make: () => WebhookEventStore, options: { concurrency: number; rollsBack: boolean }): void {
  describe(`webhook event repository contract: ${name}`, () => {
    it('records an event alone once, keeping what was delivered, and a second record of it is refused', async () => {
      const { events } = make();
      const event = anEvent();

      expect(await events.recordAlone(event, 'ignored', RECEIVED_AT)).toBe('recorded');
      expect(await events.recordAlone(event, 'ignored', RECEIVED_AT)).toBe('duplicate');
      expect(await events.recordOnce({ ...event, type: 'other' }, 'applied', RECEIVED_AT)).toBe(false);

      expect(await events.find('stripe', event.eventId)).toEqual({
        provider: 'stripe',
        eventId: event.eventId,
        type: 'payment_intent.created',
        outcome: 'ignored',
        occurredAt: event.occurredAt,
        receivedAt: RECEIVED_AT,
        payload: event.payload,
      });
    });

    it(`records each of ${options.concurrency} concurrent deliveries alone once, however many times each arrives`, async () => {
      const { events } = make();
      const distinct = Array.from({ length: options.concurrency / 4 }, () => anEvent());
      const deliveries = distinct.flatMap((event) => [event, event, { ...event }, { ...event, provider: 'razorpay' as const }]);

      const answers = await Promise.all(deliveries.map((event) => events.recordAlone(event, 'ignored', RECEIVED_AT)));

      for (const event of distinct) {
        const firsts = deliveries.flatMap((delivery, index) => (delivery.eventId === event.eventId && delivery.provider === 'stripe' && answers[index] === 'recorded' ? [index] : []));
        expect(firsts).toHaveLength(1);
        expect((await events.find('razorpay', event.eventId))?.outcome).toBe('ignored');
      }
      expect(answers.filter((answer) => answer === 'recorded')).toHaveLength(distinct.length * 2);
      expect(answers.filter((answer) => answer === 'duplicate')).toHaveLength(distinct.length * 2);
    });

    it('records a subscription event alone unless an account holds the subscription once its key is taken, and then records nothing', async () => {
      const { events, accounts } = make();
      const plan = anAccountPlan().withSubscription().build();
      await accounts.insertIfAbsent(plan);
      const gateway = plan.paymentGateway;
      const heldBySubscription = anEvent({ type: 'invoice.paid' });
      const heldByUser = anEvent({ type: 'customer.subscription.updated' });
      const unheld = anEvent({ type: 'invoice.paid' });

      const answers = await Promise.all([
        events.recordAlone(heldBySubscription, 'ignored', RECEIVED_AT, { gateway, subscriptionId: `sub_${plan.userId}`, userId: null }),
        events.recordAlone(heldByUser, 'ignored', RECEIVED_AT, { gateway, subscriptionId: 'sub_not_linked_yet', userId: plan.userId }),
        events.recordAlone(unheld, 'ignored', RECEIVED_AT, { gateway, subscriptionId: 'sub_nobody_has', userId: aUserId() }),
      ]);

      expect(answers).toEqual(['held', 'held', 'recorded']);
      expect(await events.find('stripe', heldBySubscription.eventId)).toBeNull();
      expect(await events.find('stripe', heldByUser.eventId)).toBeNull();
      expect((await events.find('stripe', unheld.eventId))?.outcome).toBe('ignored');
      // Held and so not recorded: the event is free to be recorded with its effect.
      expect(await events.recordOnce(heldBySubscription, 'applied', RECEIVED_AT)).toBe(true);
    });

    it('refuses to record alone an event already recorded with its effect in a unit of work, and the reverse', async () => {
      const { events, uow } = make();
      const applied = anEvent({ type: 'checkout.session.completed' });
      const ignored = anEvent();

      expect(await uow.transactional(() => events.recordOnce(applied, 'applied', RECEIVED_AT))).toBe(true);
      expect(await events.recordAlone(applied, 'ignored', RECEIVED_AT)).toBe('duplicate');
      expect(await events.recordAlone(ignored, 'ignored', RECEIVED_AT)).toBe('recorded');
      expect(await uow.transactional(() => events.recordOnce(ignored, 'applied', RECEIVED_AT))).toBe(false);

      expect((await events.find('stripe', applied.eventId))?.outcome).toBe('applied');
      expect((await events.find('stripe', ignored.eventId))?.outcome).toBe('ignored');
    });

    it.runIf(options.rollsBack)('keeps nothing of an event recorded in a unit of work that failed, so its redelivery applies it', async () => {
      const { events, uow } = make();
      const event = anEvent({ type: 'invoice.paid' });

      await expect(
        uow.transactional(async () => {
          await events.recordOnce(event, 'applied', RECEIVED_AT);
          throw new Error('the effect failed');
        }),
      ).rejects.toThrow('the effect failed');

      expect(await events.find('stripe', event.eventId)).toBeNull();
      expect(await uow.transactional(() => events.recordOnce(event, 'applied', RECEIVED_AT))).toBe(true);
    });
  });
}
