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

    it('finds the account holding a provider subscription, at that gateway only', async () => {
      const repository = makeRepository();
      const plan = anAccountPlan().withSubscription().build();
      await repository.insertIfAbsent(plan);

      const otherGateway = plan.paymentGateway === 'stripe' ? 'razorpay' : 'stripe';

      expect((await repository.findBySubscriptionId(plan.paymentGateway, `sub_${plan.userId}`))?.userId).toBe(plan.userId);
      expect(await repository.findBySubscriptionId(plan.paymentGateway, 'sub_nobody_has')).toBeNull();
      expect(await repository.findBySubscriptionId(otherGateway, `sub_${plan.userId}`)).toBeNull();
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
