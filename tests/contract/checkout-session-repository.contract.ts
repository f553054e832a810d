import { describe, expect, it } from 'vitest';
import type { AccountPlanRepository } from '../../application/billing/account-plan.repository.ts';
import type { CheckoutSessionRepository } from '../../application/billing/checkout-session.repository.ts';
import type { PlanChangeRepository } from '../../application/billing/plan-change.repository.ts';
import type { UnitOfWork } from '../../application/shared/unit-of-work.port.ts';
import { PlanChange } from '../../domain/billing/plan-change.entity.ts';
import { aPlanCheckout, anAccountPlan } from '../support/builders.ts';

export interface CheckoutRepositories {
  readonly accounts: AccountPlanRepository;
  readonly sessions: CheckoutSessionRepository;
  readonly planChanges: PlanChangeRepository;
  readonly uow: UnitOfWork;
}

/** What every CheckoutSessionRepository and PlanChangeRepository must do, in memory and in SQL. */
export function runCheckoutRepositoriesContract(name: string, make: () => CheckoutRepositories): void {
  async function withAccount(repositories: CheckoutRepositories, country = 'US') {
    return repositories.accounts.insertIfAbsent(anAccountPlan().inCountry(country).build());
  }

  describe(`checkout repositories contract: ${name}`, () => {
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
  });
}
