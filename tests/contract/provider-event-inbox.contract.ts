import { describe, expect, it } from 'vitest';
import type { UnitOfWork } from '../../application/shared/unit-of-work.port.ts';
import { LeaseLostError, type ProviderEventInbox } from '../../application/webhooks/provider-event-inbox.port.ts';
import type { EventSubject, ReceivedEvent } from '../../application/webhooks/provider-event.ts';
import { aUserId } from '../support/builders.ts';

export interface InboxUnderTest {
  readonly inbox: ProviderEventInbox;
  readonly uow: UnitOfWork;
}

const RECEIVED_AT = new Date('2026-12-01T10:00:00.000Z');
const LEASE_MS = 15_000;
const MAX_ATTEMPTS = 5;
const later = (ms: number) => new Date(RECEIVED_AT.getTime() + ms);

function anEvent(overrides: Partial<ReceivedEvent> = {}): ReceivedEvent {
  const eventId = `evt_${aUserId()}`;
  return {
    provider: 'stripe',
    eventId,
    dedupKey: eventId,
    bodyDigest: 'a'.repeat(64),
    type: 'customer.subscription.updated',
    occurredAt: new Date('2026-12-01T09:59:58.000Z'),
    subject: { kind: 'subscription', id: `sub_${aUserId()}`, hint: null },
    ignoredReason: null,
    payloadJson: JSON.stringify({ id: eventId, note: "quotes ' and \" and \\ and ünïcödé" }),
    ...overrides,
  };
}

/** What every ProviderEventInbox must do, in memory and in SQL. */
export function runProviderEventInboxContract(name: string, make: () => InboxUnderTest, options: { concurrency: number; rollsBack: boolean }): void {
  describe(`provider event inbox contract: ${name}`, () => {
    /** Claims until the subject of `event` comes up (other tests' events may share the store). */
    async function claimSubject(inbox: ProviderEventInbox, subject: EventSubject, owner: string, now = RECEIVED_AT) {
      const claimed = await inbox.claim({ owner, now, leaseMs: LEASE_MS, maxAttempts: MAX_ATTEMPTS, limit: 1_000 });
      return claimed.find((group) => group.subject.id === subject.id) ?? null;
    }

    it('records a delivery once, keeping what was delivered, and a redelivery of the same event is a duplicate', async () => {
      const { inbox } = make();
      const event = anEvent();

      expect(await inbox.record(event, RECEIVED_AT)).toBe('recorded');
      expect(await inbox.record({ ...event, eventId: 'another id', payloadJson: '{}' }, RECEIVED_AT)).toBe('duplicate');
      const [group] = (await inbox.claim({ owner: 'w', now: RECEIVED_AT, leaseMs: LEASE_MS, maxAttempts: MAX_ATTEMPTS, limit: 1_000 })).filter((claimed) => claimed.subject.id === event.subject!.id);

      expect(group!.events).toEqual([
        {
          id: expect.stringMatching(/^\d+$/),
          provider: 'stripe',
          eventId: event.eventId,
          type: event.type,
          subject: event.subject,
          occurredAt: event.occurredAt,
          receivedAt: RECEIVED_AT,
          status: 'pending',
          attempts: 1,
          lastError: null,
          note: null,
          settledAt: null,
          payloadJson: event.payloadJson,
        },
      ]);
    });

    it(`records each of ${options.concurrency} concurrent deliveries once, however many times each arrives`, async () => {
      const { inbox } = make();
      const distinct = Array.from({ length: options.concurrency / 4 }, () => anEvent());
      const deliveries = distinct.flatMap((event) => [event, event, { ...event, eventId: 'redelivered' }, { ...event, provider: 'razorpay' as const }]);

      const answers = await Promise.all(deliveries.map((event) => inbox.record(event, RECEIVED_AT)));

      expect(answers.filter((answer) => answer === 'recorded')).toHaveLength(distinct.length * 2);
      expect(answers.filter((answer) => answer === 'duplicate')).toHaveLength(distinct.length * 2);
    });

    it('records an event about nothing it acts on as ignored, with the reason, and never hands it to a worker', async () => {
      const { inbox } = make();
      const event = anEvent({ type: 'plan.created', subject: null, ignoredReason: 'not acted on' });

      await inbox.record(event, RECEIVED_AT);
      const claimed = await inbox.claim({ owner: 'w', now: later(60_000), leaseMs: LEASE_MS, maxAttempts: MAX_ATTEMPTS, limit: 1_000 });
      const [listed] = (await inbox.list({ status: 'ignored' }, { first: 100 })).items.filter((item) => item.node.eventId === event.eventId);

      expect(claimed.flatMap((group) => group.events).map((held) => held.eventId)).not.toContain(event.eventId);
      expect(listed!.node).toMatchObject({ status: 'ignored', note: 'not acted on', subject: null, settledAt: RECEIVED_AT });
    });

    it('lists events newest first by id, in pages that neither repeat nor skip one, across ids of more digits', async () => {
      const { inbox } = make();
      const ours = Array.from({ length: 12 }, () => anEvent());
      for (const event of ours) await inbox.record(event, RECEIVED_AT);

      const listed: { id: string; eventId: string }[] = [];
      let after: string | undefined;
      for (let pages = 0; pages < 1_000; pages++) {
        const page = await inbox.list({}, { first: 7, after });
        listed.push(...page.items.map((item) => ({ id: item.node.id, eventId: item.node.eventId })));
        if (!page.hasNextPage) break;
        after = page.items.at(-1)!.cursor;
      }

      const ids = listed.map((event) => BigInt(event.id));
      expect(ids.filter((id, index) => index > 0 && id >= ids[index - 1]!)).toEqual([]);
      expect(listed.map((event) => event.eventId)).toEqual(expect.arrayContaining(ours.map((event) => event.eventId)));
    });

    it('lists the newest events about given provider objects, by subject or by hint, of that provider only, up to the limit', async () => {
      const { inbox } = make();
      const objectId = `cs_${aUserId()}`;
      const bySubject = anEvent({ subject: { kind: 'checkout', id: objectId, hint: null } });
      const byHint = anEvent({ subject: { kind: 'payment', id: `pi_${aUserId()}`, hint: objectId } });
      const otherProvider = anEvent({ provider: 'razorpay', subject: { kind: 'checkout', id: objectId, hint: null } });
      const unrelated = anEvent();
      const latest = anEvent({ subject: { kind: 'checkout', id: objectId, hint: null }, type: 'checkout.session.expired' });
      for (const event of [bySubject, byHint, otherProvider, unrelated, latest]) await inbox.record(event, RECEIVED_AT);

      const about = await inbox.listConcerning([{ provider: 'stripe', id: objectId }, { provider: 'stripe', id: 'nothing_of_this_id' }], 10);
      const newest = await inbox.listConcerning([{ provider: 'stripe', id: objectId }], 2);

      expect(about.map((event) => event.eventId)).toEqual([latest.eventId, byHint.eventId, bySubject.eventId]);
      expect(newest.map((event) => event.eventId)).toEqual([latest.eventId, byHint.eventId]);
      expect(await inbox.listConcerning([], 10)).toEqual([]);
    });

    it("claims a subject's pending events together, oldest first, and gives the subject to no other worker while the lease lasts", async () => {
      const { inbox } = make();
      const first = anEvent();
      const second = anEvent({ subject: first.subject, type: 'invoice.paid' });
      await inbox.record(first, RECEIVED_AT);
      await inbox.record(second, later(1));

      const taken = await claimSubject(inbox, first.subject!, 'one', later(2));
      const third = anEvent({ subject: first.subject });
      await inbox.record(third, later(3));
      const meanwhile = await claimSubject(inbox, first.subject!, 'two', later(LEASE_MS - 1));
      const afterLease = await claimSubject(inbox, first.subject!, 'two', later(LEASE_MS + 3));

      expect(taken!.events.map((event) => event.eventId)).toEqual([first.eventId, second.eventId]);
      expect(meanwhile).toBeNull();
      expect(afterLease!.events.map((event) => event.eventId)).toEqual([first.eventId, second.eventId, third.eventId]);
      expect(afterLease!.events.map((event) => event.attempts)).toEqual([2, 2, 1]);
    });

    it('keeps a renewed lease, and hands the subject on once the lease runs out', async () => {
      const { inbox } = make();
      const event = anEvent();
      await inbox.record(event, RECEIVED_AT);
      const taken = await claimSubject(inbox, event.subject!, 'one');

      await inbox.renew('one', taken!.events.map((held) => held.id), later(LEASE_MS * 2));

      expect(await claimSubject(inbox, event.subject!, 'two', later(LEASE_MS + 1))).toBeNull();
      expect(await claimSubject(inbox, event.subject!, 'two', later(LEASE_MS * 2 + 1))).not.toBeNull();
    });

    it('settles the events of the worker that holds them, and refuses a worker whose lease was taken over', async () => {
      const { inbox, uow } = make();
      const event = anEvent();
      await inbox.record(event, RECEIVED_AT);
      const slow = await claimSubject(inbox, event.subject!, 'slow');
      const ids = slow!.events.map((held) => held.id);
      await claimSubject(inbox, event.subject!, 'fast', later(LEASE_MS + 1));

      await expect(uow.transactional(() => inbox.settle('slow', ids, { status: 'applied', note: null }, later(LEASE_MS + 2)))).rejects.toBeInstanceOf(LeaseLostError);
      await uow.transactional(() => inbox.settle('fast', ids, { status: 'applied', note: 'flagged for review: test' }, later(LEASE_MS + 3)));

      expect(await inbox.find(ids[0]!)).toMatchObject({ status: 'applied', note: 'flagged for review: test', settledAt: later(LEASE_MS + 3) });
      expect(await claimSubject(inbox, event.subject!, 'late', later(LEASE_MS * 3))).toBeNull();
    });

    it('waits until the retry time after a failed attempt, and is dead after the last one', async () => {
      const { inbox } = make();
      const event = anEvent();
      await inbox.record(event, RECEIVED_AT);
      const first = await claimSubject(inbox, event.subject!, 'w');
      const ids = first!.events.map((held) => held.id);

      await inbox.release('w', ids, { error: 'ProviderError: HTTP 500', now: later(1), retryAt: later(10_000), maxAttempts: 2 });
      const tooSoon = await claimSubject(inbox, event.subject!, 'w', later(9_999));
      const second = await claimSubject(inbox, event.subject!, 'w', later(10_000));
      await inbox.release('w', ids, { error: 'ProviderError: HTTP 503', now: later(10_001), retryAt: later(30_000), maxAttempts: 2 });

      expect(tooSoon).toBeNull();
      expect(second!.events[0]).toMatchObject({ attempts: 2, lastError: 'ProviderError: HTTP 500' });
      expect(await inbox.find(ids[0]!)).toMatchObject({ status: 'dead', attempts: 2, lastError: 'ProviderError: HTTP 503', settledAt: later(10_001) });
      expect(await claimSubject(inbox, event.subject!, 'w', later(60_000))).toBeNull();
      expect((await inbox.list({ status: 'dead' }, { first: 100 })).items.map((item) => item.node.id)).toContain(ids[0]);
    });

    it('queues a dead or settled event again on replay, due now, with its attempts reset', async () => {
      const { inbox, uow } = make();
      const event = anEvent();
      await inbox.record(event, RECEIVED_AT);
      const taken = await claimSubject(inbox, event.subject!, 'w');
      const [id] = taken!.events.map((held) => held.id);
      await uow.transactional(() => inbox.settle('w', [id!], { status: 'failed', note: 'untrusted' }, later(1)));

      const replayed = await inbox.requeue(id!, later(2));
      const again = await claimSubject(inbox, event.subject!, 'w', later(2));

      expect(replayed).toMatchObject({ id, status: 'pending', attempts: 0, note: null, settledAt: null });
      expect(again!.events.map((held) => held.id)).toEqual([id]);
      expect(await inbox.requeue('987654321987', later(3))).toBeNull();
    });

    it('looks again at ignored events about an object, by their subject or the hint naming it, and at nothing else', async () => {
      const { inbox, uow } = make();
      const paymentId = `pi_${aUserId()}`;
      const refund = anEvent({ type: 'charge.refunded', subject: { kind: 'payment', id: paymentId, hint: null } });
      const dispute = anEvent({ provider: 'razorpay', type: 'payment.dispute.created', subject: { kind: 'dispute', id: `disp_${aUserId()}`, hint: paymentId } });
      const other = anEvent({ type: 'charge.refunded', subject: { kind: 'payment', id: `pi_${aUserId()}`, hint: null } });
      for (const event of [refund, dispute, other]) {
        await inbox.record(event, RECEIVED_AT);
        const group = await claimSubject(inbox, event.subject!, 'w');
        await uow.transactional(() => inbox.settle('w', group!.events.map((held) => held.id), { status: 'ignored', note: 'not ours yet' }, later(1)));
      }

      const requeued = await uow.transactional(async () => (await inbox.requeueIgnoredAbout('stripe', paymentId, later(2))) + (await inbox.requeueIgnoredAbout('razorpay', paymentId, later(2))));
      const claimed = (await inbox.claim({ owner: 'w', now: later(3), leaseMs: LEASE_MS, maxAttempts: MAX_ATTEMPTS, limit: 1_000 })).map((group) => group.subject.id);

      expect(requeued).toBe(2);
      expect(claimed).toEqual(expect.arrayContaining([paymentId, dispute.subject!.id]));
      expect(claimed).not.toContain(other.subject!.id);
    });

    it('leaves an event due again when something of ours came to hold its object while a worker was settling it as ignored', async () => {
      const { inbox, uow } = make();
      const paymentId = `pi_${aUserId()}`;
      const refund = anEvent({ type: 'charge.refunded', subject: { kind: 'payment', id: paymentId, hint: null } });
      await inbox.record(refund, RECEIVED_AT);
      // The worker looked (no deposit held the payment yet) and is about to settle it as ignored...
      const taken = await claimSubject(inbox, refund.subject!, 'w');
      // ...when the deposit completes and asks for events about its payment to be looked at again.
      const marked = await uow.transactional(() => inbox.requeueIgnoredAbout('stripe', paymentId, later(1)));
      await uow.transactional(() => inbox.settle('w', taken!.events.map((held) => held.id), { status: 'ignored', note: 'not ours yet' }, later(2)));
      const again = await claimSubject(inbox, refund.subject!, 'w', later(3));

      expect(marked).toBe(1);
      expect(again!.events.map((held) => held.eventId)).toEqual([refund.eventId]);
    });

    it('gives up on an event whose lease ran out after its last attempt (its worker died on it every time)', async () => {
      const { inbox } = make();
      const event = anEvent();
      await inbox.record(event, RECEIVED_AT);
      let claims = 0;
      for (let attempt = 0; attempt < MAX_ATTEMPTS + 2; attempt++) {
        if (await claimSubject(inbox, event.subject!, 'w', later(attempt * (LEASE_MS + 1)))) claims++;
      }
      const [listed] = (await inbox.list({ status: 'dead' }, { first: 100 })).items.filter((item) => item.node.eventId === event.eventId);

      expect(claims).toBe(MAX_ATTEMPTS);
      expect(listed!.node).toMatchObject({ status: 'dead', attempts: MAX_ATTEMPTS, lastError: expect.stringContaining('no worker finished') });
    });

    it(`never gives one subject to two of ${options.concurrency / 10} workers claiming at once`, async () => {
      const { inbox } = make();
      const subjects = Array.from({ length: 20 }, () => anEvent().subject!);
      for (const [index, subject] of subjects.entries()) {
        for (let n = 0; n < 3; n++) await inbox.record(anEvent({ subject }), later(index));
      }

      const claims = await Promise.all(
        Array.from({ length: options.concurrency / 10 }, (_, worker) => inbox.claim({ owner: `worker-${worker}`, now: later(100), leaseMs: LEASE_MS, maxAttempts: MAX_ATTEMPTS, limit: 3 })),
      );
      const ours = new Set(subjects.map((subject) => subject.id));
      const taken = claims.flat().filter((group) => ours.has(group.subject.id));

      expect(new Set(taken.map((group) => group.subject.id)).size).toBe(taken.length);
      expect(taken.every((group) => group.events.length === 3)).toBe(true);
    });

    it.runIf(options.rollsBack)('leaves the events pending when the unit of work that settles them fails, so another run applies them', async () => {
      const { inbox, uow } = make();
      const event = anEvent();
      await inbox.record(event, RECEIVED_AT);
      const taken = await claimSubject(inbox, event.subject!, 'w');
      const ids = taken!.events.map((held) => held.id);

      await expect(
        uow.transactional(async () => {
          await inbox.settle('w', ids, { status: 'applied', note: null }, later(1));
          throw new Error('the effect failed');
        }),
      ).rejects.toThrow('the effect failed');

      expect(await inbox.find(ids[0]!)).toMatchObject({ status: 'pending' });
      expect(await claimSubject(inbox, event.subject!, 'w2', later(LEASE_MS + 1))).not.toBeNull();
    });
  });
}
