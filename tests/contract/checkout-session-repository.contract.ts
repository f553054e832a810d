import { describe, expect, it } from 'vitest';
import type { AccountPlanRepository } from '../../application/billing/account-plan.repository.ts';
import type { CheckoutSessionRepository } from '../../application/billing/checkout-session.repository.ts';
import type { DuplicateSubscriptionRepository } from '../../application/billing/duplicate-subscription.repository.ts';
import type { PlanChangeRepository } from '../../application/billing/plan-change.repository.ts';
import type { UnitOfWork } from '../../application/shared/unit-of-work.port.ts';
import type { CheckoutSession } from '../../domain/billing/checkout-session.entity.ts';
import { DuplicateSubscription } from '../../domain/billing/duplicate-subscription.entity.ts';
import { PlanChange } from '../../domain/billing/plan-change.entity.ts';
import { aPlanCheckout, anAccountPlan } from '../support/builders.ts';

export interface CheckoutRepositories {
  readonly accounts: AccountPlanRepository;
  readonly sessions: CheckoutSessionRepository;
  readonly planChanges: PlanChangeRepository;
  readonly duplicates: DuplicateSubscriptionRepository;
  readonly uow: UnitOfWork;
}

/** What every CheckoutSessionRepository, PlanChangeRepository and DuplicateSubscriptionRepository must do, in memory and in SQL. */
export function runCheckoutRepositoriesContract(name: string, make: () => CheckoutRepositories): void {
  async function withAccount(repositories: CheckoutRepositories, country = 'US') {
    return repositories.accounts.insertIfAbsent(anAccountPlan().inCountry(country).build());
  }

  /** Two completed plan checkouts of one new account, each with its subscription and payment, and the decision to cancel the first. */
  async function aDuplicate(repositories: CheckoutRepositories, now = new Date('2026-11-22T10:00:00Z')) {
    const account = await withAccount(repositories);
    const [earlier, later] = [aPlanCheckout().forUser(account.userId).build(), aPlanCheckout().forUser(account.userId).forPlan('business', 'yearly').build()];
    for (const session of [earlier, later]) {
      await repositories.sessions.insert(session);
      session.attachProviderSession(`cs_${session.id}`);
      session.complete(now, `pi_${session.id}`, `sub_${session.id}`);
      await repositories.sessions.save(session);
    }
    const record = DuplicateSubscription.record({
      id: `dup-${earlier.id}`,
      userId: account.userId,
      gateway: 'stripe',
      keptSessionId: later.id,
      canceledSessionId: earlier.id,
      subscriptionId: `sub_${earlier.id}`,
      paymentId: `pi_${earlier.id}`,
      amountMinor: earlier.amountMinor,
      currency: earlier.currency,
      now,
    });
    return { account, earlier, later, record };
  }

  describe(`checkout repositories contract: ${name}`, () => {
    it('finds a completed plan session by the subscription it started, and lists a user’s open plan sessions opened at the provider, oldest first', async () => {
      const repositories = make();
      const account = await withAccount(repositories);
      const plans: CheckoutSession[] = [];
      for (let i = 0; i < 3; i++) plans.push(aPlanCheckout().forUser(account.userId).build());
      const [subscribed, unopened, ...open] = [...plans, aPlanCheckout().forUser(account.userId).build()];
      for (const session of [subscribed!, unopened!, ...open]) await repositories.sessions.insert(session);
      for (const session of [subscribed!, ...open]) {
        session.attachProviderSession(`cs_${session.id}`);
        await repositories.sessions.save(session);
      }
      subscribed!.complete(new Date(), `pi_${subscribed!.id}`, `sub_${subscribed!.id}`);
      await repositories.sessions.save(subscribed!);

      const found = await repositories.sessions.findBySubscriptionId('stripe', `sub_${subscribed!.id}`);
      const listed = await repositories.sessions.listOpenPlanCheckouts(account.userId, 10);

      expect(found).toMatchObject({ id: subscribed!.id, providerSubscriptionId: `sub_${subscribed!.id}`, providerPaymentId: `pi_${subscribed!.id}` });
      expect(await repositories.sessions.findBySubscriptionId('razorpay', `sub_${subscribed!.id}`)).toBeNull();
      expect(listed.map((session) => session.id)).toEqual(open.map((session) => session.id).sort());
      expect(await repositories.sessions.listOpenPlanCheckouts(account.userId, 1)).toHaveLength(1);
      expect(await repositories.sessions.listOpenPlanCheckouts(`${account.userId}-nobody`, 10)).toEqual([]);
    });

    it('stores a second subscription’s settlement once per canceled checkout, and lists it to admins newest first, by status and page', async () => {
      const repositories = make();
      const { record } = await aDuplicate(repositories);
      const { record: newer } = await aDuplicate(repositories, new Date('2026-11-22T11:00:00Z'));
      await repositories.duplicates.insert(record);
      await repositories.duplicates.insert(newer);

      const second = await repositories.duplicates.insert(DuplicateSubscription.record({ ...record, id: `${record.id}-again`, now: record.createdAt })).catch((error: unknown) => error);
      const pending = await repositories.duplicates.list({ status: 'pending' }, { first: 100 });
      const ours = pending.items.map((item) => item.node.id).filter((id) => id === record.id || id === newer.id);
      const done = await repositories.duplicates.list({ status: 'done' }, { first: 100 });
      const firstPage = await repositories.duplicates.list({}, { first: 1 });
      const nextPage = await repositories.duplicates.list({}, { first: 1, after: firstPage.items[0]!.cursor });

      expect(second).toBeInstanceOf(Error);
      expect(ours).toEqual([newer.id, record.id]);
      expect(pending.items.find((item) => item.node.id === record.id)!.node).toMatchObject({
        keptSessionId: record.keptSessionId,
        canceledSessionId: record.canceledSessionId,
        subscriptionId: record.subscriptionId,
        paymentId: record.paymentId,
        amountMinor: record.amountMinor,
        currency: 'USD',
        status: 'pending',
        attempts: 0,
      });
      expect(done.items.map((item) => item.node.id)).not.toContain(record.id);
      expect(firstPage.hasNextPage).toBe(true);
      expect(nextPage.items[0]!.node.id).not.toBe(firstPage.items[0]!.node.id);
      await expect(repositories.duplicates.list({}, { first: 1, after: 'not-a-cursor' })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    });

    it('lists the settlements due, of one user when asked, and keeps each attempt’s outcome under its lock', async () => {
      const repositories = make();
      const { account, record } = await aDuplicate(repositories);
      await repositories.duplicates.insert(record);
      const now = new Date('2026-11-22T10:00:01Z');

      const due = await repositories.duplicates.listDue(now, 1000, account.userId);
      const claimed = await repositories.uow.transactional(async () => {
        const locked = await repositories.duplicates.findByIdForUpdate(record.id);
        const took = locked!.claim(now, new Date(now.getTime() + 60_000));
        await repositories.duplicates.save(locked!);
        return took;
      });
      await repositories.uow.transactional(async () => {
        const locked = await repositories.duplicates.findByIdForUpdate(record.id);
        locked!.subscriptionCanceled(now);
        locked!.finishAttempt(now, { error: 'stripe could not refund the payment: down', retryAt: new Date(now.getTime() + 60_000) });
        await repositories.duplicates.save(locked!);
      });
      const notYet = await repositories.duplicates.listDue(now, 1000, account.userId);
      const later = await repositories.duplicates.listDue(new Date(now.getTime() + 60_000), 1000, account.userId);
      const stored = (await repositories.duplicates.list({ status: 'pending' }, { first: 100 })).items.find((item) => item.node.id === record.id)!.node;

      expect(due).toEqual([record.id]);
      expect(claimed).toBe(true);
      expect(notYet).toEqual([]);
      expect(later).toEqual([record.id]);
      expect(await repositories.duplicates.listDue(now, 1000, `${account.userId}-nobody`)).toEqual([]);
      expect(stored).toMatchObject({ status: 'pending', attempts: 1, lastError: 'stripe could not refund the payment: down', subscriptionCanceledAt: now, refundId: null });
    });

    it('stores a session and finds it by our id and by the provider session id', async () => {
      const repositories = make();
      const account = await withAccount(repositories);
      const session = aPlanCheckout().forUser(account.userId).build();
      await repositories.sessions.insert(session);
      session.attachProviderSession(`cs_test_${session.id}`);
      await repositories.sessions.save(session);

      const byId = await repositories.sessions.findByReference(session.id);
      const byProvider = await repositories.sessions.findByReference(`cs_test_${session.id}`);

      expect(byId?.id).toBe(session.id);
      expect(byProvider?.id).toBe(session.id);
      expect(byProvider?.providerSessionId).toBe(`cs_test_${session.id}`);
      expect(byProvider?.amount.amountMinor).toBe(session.amountMinor);
    });

    it('keeps the FX snapshot of an INR session, to the millionth and the millisecond', async () => {
      const repositories = make();
      const account = await withAccount(repositories, 'IN');
      const session = aPlanCheckout().forUser(account.userId).inInr({ rateMicros: 83_250_123, quotedAt: new Date('2026-11-22T08:00:00.123Z') }).build();
      await repositories.sessions.insert(session);

      const found = await repositories.sessions.findByReference(session.id);

      expect(found?.currency).toBe('INR');
      expect(found?.fx).toEqual({
        rateMicros: 83_250_123,
        source: 'test',
        quotedAt: new Date('2026-11-22T08:00:00.123Z'),
        baseAmountMinor: 44_100,
      });
    });

    it('finds nothing for an unknown reference', async () => {
      expect(await make().sessions.findByReference('cs_test_unknown')).toBeNull();
    });

    it('saves completion and removes a deleted session', async () => {
      const repositories = make();
      const account = await withAccount(repositories);
      const completed = aPlanCheckout().forUser(account.userId).build();
      const deleted = aPlanCheckout().forUser(account.userId).build();
      await repositories.sessions.insert(completed);
      await repositories.sessions.insert(deleted);

      await repositories.uow.transactional(async () => {
        const locked = await repositories.sessions.findByIdForUpdate(completed.id);
        locked!.complete(new Date('2026-11-22T10:00:00Z'));
        await repositories.sessions.save(locked!);
      });
      await repositories.sessions.delete(deleted);

      const found = await repositories.sessions.findByReference(completed.id);
      expect(found?.status).toBe('completed');
      expect(found?.completedAt?.toISOString()).toBe('2026-11-22T10:00:00.000Z');
      expect(await repositories.sessions.findByReference(deleted.id)).toBeNull();
    });

    it('completes a session once when 20 units of work race to complete it', async () => {
      const repositories = make();
      const account = await withAccount(repositories);
      const session = aPlanCheckout().forUser(account.userId).build();
      await repositories.sessions.insert(session);

      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          repositories.uow.transactional(async () => {
            const locked = await repositories.sessions.findByIdForUpdate(session.id);
            const won = locked!.complete(new Date());
            await repositories.sessions.save(locked!);
            return won;
          }),
        ),
      );

      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('lists a user’s plan changes newest first, up to the limit', async () => {
      const repositories = make();
      const account = await withAccount(repositories);
      for (const [i, tier] of (['starter', 'pro', 'business'] as const).entries()) {
        await repositories.planChanges.append(
          PlanChange.record({
            id: `${account.userId}-change-${i}`,
            userId: account.userId,
            reason: 'checkout',
            from: { tier: 'free', billingInterval: null },
            to: { tier, billingInterval: 'monthly' },
            reference: null,
            occurredAt: new Date(Date.UTC(2026, 10, 1 + i)),
          }),
        );
      }

      const changes = await repositories.planChanges.listForUser(account.userId, 2);

      expect(changes.map((change) => change.toTier)).toEqual(['business', 'pro']);
    });

    it('keeps the admin, their reason and the end they gave on a plan change an admin made, and none on any other', async () => {
      const repositories = make();
      const account = await withAccount(repositories);
      const periodEnd = new Date('2027-01-31T12:00:00.123Z');
      const common = { userId: account.userId, from: { tier: 'free' as const, billingInterval: null }, to: { tier: 'pro' as const, billingInterval: 'yearly' as const }, reference: null };
      await repositories.planChanges.append(
        PlanChange.record({ ...common, id: `${account.userId}-admin`, reason: 'admin', occurredAt: new Date('2026-11-02T00:00:00Z'), admin: { actorId: 'ops-alice', note: 'partner trial', periodEnd } }),
      );
      await repositories.planChanges.append(PlanChange.record({ ...common, id: `${account.userId}-checkout`, reason: 'checkout', occurredAt: new Date('2026-11-01T00:00:00Z') }));

      const [admin, checkout] = await repositories.planChanges.listForUser(account.userId, 10);

      expect(admin).toMatchObject({ reason: 'admin', actorId: 'ops-alice', note: 'partner trial', periodEnd });
      expect(checkout).toMatchObject({ reason: 'checkout', actorId: null, note: null, periodEnd: null });
      expect(() => PlanChange.record({ ...common, id: 'x', reason: 'checkout', occurredAt: periodEnd, admin: { actorId: 'a', note: 'n', periodEnd } })).toThrow(/admin/);
    });

    it('lists a user’s sessions of every purpose and status newest first, up to the limit', async () => {
      const repositories = make();
      const account = await withAccount(repositories);
      const [completed, open, newest] = [aPlanCheckout().forUser(account.userId).build(), aPlanCheckout().forUser(account.userId).build(), aPlanCheckout().forUser(account.userId).build()];
      for (const session of [completed!, open!, newest!]) await repositories.sessions.insert(session);
      completed!.attachProviderSession(`cs_${completed!.id}`);
      completed!.complete(new Date('2026-11-22T09:30:00Z'), `pi_${completed!.id}`, null);
      await repositories.sessions.save(completed!);
      await repositories.sessions.insert(aPlanCheckout().forUser((await withAccount(repositories)).userId).build());

      const listed = await repositories.sessions.listForUser(account.userId, 10);

      // The builder opens every session at the same instant: ties go newest id first.
      expect(listed.map((session) => session.id)).toEqual([completed!.id, open!.id, newest!.id].sort().reverse());
      expect(listed.find((session) => session.id === completed!.id)).toMatchObject({ status: 'completed', providerPaymentId: `pi_${completed!.id}` });
      expect(await repositories.sessions.listForUser(account.userId, 2)).toHaveLength(2);
      expect(await repositories.sessions.listForUser(`${account.userId}-nobody`, 10)).toEqual([]);
    });
  });
}
