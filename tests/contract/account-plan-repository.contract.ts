import { describe, expect, it } from 'vitest';
import type { AccountPlanRepository } from '../../application/billing/account-plan.repository.ts';
import { aUserId, anAccountPlan } from '../support/builders.ts';

/**
 * What every AccountPlanRepository must do. Run against the in-memory fake and against MikroORM
 * on PostgreSQL and PGlite, so a unit test that uses the fake can trust it.
 */
export function runAccountPlanRepositoryContract(name: string, makeRepository: () => AccountPlanRepository): void {
  describe(`AccountPlanRepository contract: ${name}`, () => {
    it('finds no account for a user that never registered', async () => {
      expect(await makeRepository().findByUserId(aUserId())).toBeNull();
    });

    it('stores a new account and reads back every field as it was', async () => {
      const repository = makeRepository();
      const plan = anAccountPlan().inCountry('IN').at(new Date('2026-10-05T12:34:56.789Z')).build();

      await repository.insertIfAbsent(plan);
      const found = await repository.findByUserId(plan.userId);

      expect(found).not.toBeNull();
      expect({
        userId: found!.userId,
        country: found!.country.code,
        paymentGateway: found!.paymentGateway,
        tier: found!.tier,
        billingInterval: found!.billingInterval,
        status: found!.status,
        currentPeriodEnd: found!.currentPeriodEnd,
        providerCustomerId: found!.providerCustomerId,
        providerSubscriptionId: found!.providerSubscriptionId,
        createdAt: found!.createdAt.toISOString(),
        updatedAt: found!.updatedAt.toISOString(),
      }).toEqual({
        userId: plan.userId,
        country: 'IN',
        paymentGateway: 'razorpay',
        tier: 'free',
        billingInterval: null,
        status: 'active',
        currentPeriodEnd: null,
        providerCustomerId: null,
        providerSubscriptionId: null,
        createdAt: '2026-10-05T12:34:56.789Z',
        updatedAt: '2026-10-05T12:34:56.789Z',
      });
    });

    it('keeps the first registration when the same user registers again from another country', async () => {
      const repository = makeRepository();
      const userId = aUserId();

      const first = await repository.insertIfAbsent(anAccountPlan().forUser(userId).inCountry('IN').build());
      const second = await repository.insertIfAbsent(anAccountPlan().forUser(userId).inCountry('US').build());

      expect(first.paymentGateway).toBe('razorpay');
      expect(second.paymentGateway).toBe('razorpay');
      expect(second.country.code).toBe('IN');
      expect((await repository.findByUserId(userId))?.paymentGateway).toBe('razorpay');
    });

    it('lets exactly one of 20 concurrent first registrations win, and all of them see the winner', async () => {
      const repository = makeRepository();
      const userId = aUserId();
      const countries = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 'IN' : 'DE'));

      const results = await Promise.all(
        countries.map((country) => repository.insertIfAbsent(anAccountPlan().forUser(userId).inCountry(country).build())),
      );

      const gateways = new Set(results.map((plan) => plan.paymentGateway));
      expect(gateways.size).toBe(1);
      expect((await repository.findByUserId(userId))?.paymentGateway).toBe([...gateways][0]);
    });

    it('tells whether an account has a provider subscription, or is the given user\'s', async () => {
      const repository = makeRepository();
      const plan = anAccountPlan().withSubscription().build();
      await repository.insertIfAbsent(plan);

      expect(await repository.existsForSubscription({ gateway: plan.paymentGateway, subscriptionId: `sub_${plan.userId}`, userId: null })).toBe(true);
      expect(await repository.existsForSubscription({ gateway: plan.paymentGateway, subscriptionId: 'sub_nobody_has', userId: plan.userId })).toBe(true);
      expect(await repository.existsForSubscription({ gateway: plan.paymentGateway, subscriptionId: 'sub_nobody_has', userId: null })).toBe(false);
      expect(await repository.existsForSubscription({ gateway: plan.paymentGateway, subscriptionId: 'sub_nobody_has', userId: aUserId() })).toBe(false);
      const otherGateway = plan.paymentGateway === 'stripe' ? 'razorpay' : 'stripe';
      expect(await repository.existsForSubscription({ gateway: otherGateway, subscriptionId: `sub_${plan.userId}`, userId: null })).toBe(false);

      // Asked all at once (as concurrent webhook deliveries ask), each answer is its own question's.
      const questions = Array.from({ length: 40 }, (_, n) =>
        n % 3 === 0 ? { subscriptionId: `sub_${plan.userId}`, userId: null, known: true }
        : n % 3 === 1 ? { subscriptionId: `sub_unknown_${n}`, userId: plan.userId, known: true }
        : { subscriptionId: `sub_unknown_${n}`, userId: null, known: false },
      );
      const answers = await Promise.all(questions.map((q) => repository.existsForSubscription({ gateway: plan.paymentGateway, subscriptionId: q.subscriptionId, userId: q.userId })));
      expect(answers).toEqual(questions.map((q) => q.known));
    });

    it('keeps accounts of different users apart', async () => {
      const repository = makeRepository();
      const indian = await repository.insertIfAbsent(anAccountPlan().inCountry('IN').build());
      const american = await repository.insertIfAbsent(anAccountPlan().inCountry('US').build());

      expect((await repository.findByUserId(indian.userId))?.paymentGateway).toBe('razorpay');
      expect((await repository.findByUserId(american.userId))?.paymentGateway).toBe('stripe');
    });
  });
}
