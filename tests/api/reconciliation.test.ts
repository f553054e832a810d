import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../adapters/persistence/database.ts';
import { EndGracePeriods } from '../../application/billing/end-grace-periods.use-case.ts';
import { EndUnrenewedPeriods } from '../../application/billing/end-unrenewed-periods.use-case.ts';
import { ACCOUNT_PLAN_REPOSITORY } from '../../application/billing/account-plan.repository.ts';
import { CHECKOUT_SESSION_REPOSITORY } from '../../application/billing/checkout-session.repository.ts';
import { PLAN_CHANGE_REPOSITORY } from '../../application/billing/plan-change.repository.ts';
import { ReconcileCheckouts } from '../../application/billing/reconcile-checkouts.use-case.ts';
import { REQUEST_SCOPE } from '../../application/shared/request-scope.port.ts';
import { MAX_NETWORK_RETRIES } from '../../adapters/stripe/stripe.payment-gateway.ts';
import { resolve } from '../../api/container.ts';
import { anAccountPlan, aUserId, FixedClock } from '../support/builders.ts';
import { BACKENDS, openTestDatabase } from '../support/databases.ts';
import { STRIPE_WEBHOOK_SECRET, stripeSignature } from '../support/provider-events.ts';
import { startProviderFakes } from '../support/provider-fakes.ts';
import { makeTestApp, signToken } from '../support/test-app.ts';

const URLS = { success_url: 'https://app.aerostack.dev/settings/billing?success=true', cancel_url: 'https://app.aerostack.dev/settings/billing' };

describe.each(['memory', ...BACKENDS] as const)('reconciliation of checkouts left open, stored %s', (backend) => {
  let database: Database | undefined;
  beforeAll(async () => {
    if (backend !== 'memory') database = await openTestDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  it('completes a paid checkout nobody verified and no webhook reported, once, after 15 minutes', async () => {
    const clock = new FixedClock(new Date());
    const { request, app, container, graphql } = makeTestApp({ database, clock });
    const token = await signToken({ sub: aUserId(), country: 'US' });
    const plan = (await request('/api/billing/checkout', { token, body: { tier: 'pro', billing_interval: 'monthly', ...URLS } })).json().url as string;
    const deposit = (await request('/api/balance/deposit', { token, body: { amount_cents: 1_500, ...URLS } })).json().url as string;
    const abandoned = (await request('/api/balance/deposit', { token, body: { amount_cents: 900, ...URLS } })).json().url as string;
    for (const url of [plan, deposit]) await app.request(`${new URL(url).pathname}/pay`, { method: 'POST' });
    await app.request(`${new URL(abandoned).pathname}/cancel`, { method: 'POST' });
    const reconcile = () => resolve(container, REQUEST_SCOPE).run(() => resolve(container, ReconcileCheckouts).execute());

    const tooSoon = await reconcile();
    clock.advance(16 * 60 * 1000);
    const report = await reconcile();
    const again = await reconcile();
    const { data } = await graphql('{ billing { planTier } wallet { balanceCents } }', { token });

    expect(tooSoon.checked).toBe(0);
    expect(report).toMatchObject({ completed: 2, closed: 1, failed: 0 });
    expect(again.checked).toBe(0);
    expect(data).toEqual({ billing: { planTier: 'pro' }, wallet: { balanceCents: 1_500 } });
  });

  it('keeps a past-due plan through the grace period, then falls back to free and records it', async () => {
    const clock = new FixedClock(new Date());
    const fakes = await startProviderFakes();
    try {
      const { graphql, request, app, container, applyEvents } = makeTestApp({ database, clock, gateways: fakes.gateways, env: { STRIPE_WEBHOOK_SECRET, PAST_DUE_GRACE_DAYS: '7' } });
      const userId = aUserId();
      const token = await signToken({ sub: userId, country: 'US', expiresIn: '30d' });
      const { data } = await graphql('mutation ($input: StartPlanCheckoutInput!) { startPlanCheckout(input: $input) { sessionId } }', {
        token,
        variables: { input: { tier: 'pro', billingInterval: 'monthly', successUrl: URLS.success_url, cancelUrl: URLS.cancel_url } },
      });
      const sessionId = data.startPlanCheckout.sessionId as string;
      const session = await resolve(container, CHECKOUT_SESSION_REPOSITORY).findByReference(sessionId);
      const { subscriptionId } = fakes.stripe.completeCheckout(session!.providerSessionId!);
      await request(`/api/billing/verify-session?session_id=${sessionId}`, { token });
      fakes.stripe.setSubscriptionStatus(subscriptionId, 'past_due');
      const failed = fakes.stripe.eventFor('invoice.payment_failed', subscriptionId);
      await app.request('/api/billing/webhook', { method: 'POST', headers: { 'stripe-signature': stripeSignature(failed, { timestamp: Math.floor(clock.now().getTime() / 1000) }) }, body: failed });
      await applyEvents();
      const endGrace = () => resolve(container, REQUEST_SCOPE).run(() => resolve(container, EndGracePeriods).execute());
      const tier = async () => (await graphql('{ billing { planTier status } }', { token })).data.billing;

      clock.advance(6 * 24 * 60 * 60 * 1000);
      await endGrace();
      const withinGrace = await tier();
      clock.advance(2 * 24 * 60 * 60 * 1000);
      await endGrace();

      expect(withinGrace).toEqual({ planTier: 'pro', status: 'past_due' });
      expect(await tier()).toEqual({ planTier: 'free', status: 'active' });
      expect((await resolve(container, PLAN_CHANGE_REPOSITORY).listForUser(userId, 1))[0]).toMatchObject({ reason: 'grace_period_ended', fromTier: 'pro', toTier: 'free' });
    } finally {
      await fakes.stop();
    }
  });

  describe('every paid period ends', () => {
    const DAY_MS = 24 * 60 * 60 * 1000;

    /** A pro monthly plan bought through the provider fakes with a controlled clock, and the service's two period checks. */
    async function aPaidPlan(country: 'US' | 'IN') {
      const clock = new FixedClock(new Date());
      const fakes = await startProviderFakes();
      const testApp = makeTestApp({ database, clock, gateways: fakes.gateways, env: { STRIPE_WEBHOOK_SECRET, PAST_DUE_GRACE_DAYS: '7' } });
      const userId = aUserId();
      const token = await signToken({ sub: userId, country });
      const { data } = await testApp.graphql('mutation ($input: StartPlanCheckoutInput!) { startPlanCheckout(input: $input) { sessionId } }', {
        token,
        variables: { input: { tier: 'pro', billingInterval: 'monthly', successUrl: URLS.success_url, cancelUrl: URLS.cancel_url } },
      });
      const sessionId = data.startPlanCheckout.sessionId as string;
      const session = await resolve(testApp.container, CHECKOUT_SESSION_REPOSITORY).findByReference(sessionId);
      const subscriptionId =
        country === 'US' ? fakes.stripe.completeCheckout(session!.providerSessionId!).subscriptionId : fakes.razorpay.authorizeSubscription(session!.providerSessionId!).razorpay_subscription_id;
      await testApp.request(`/api/billing/verify-session?session_id=${sessionId}`, { token });
      const scope = resolve(testApp.container, REQUEST_SCOPE);
      // Signed in again at each look: the clock moves by weeks, a token lives at most 30 days.
      const billing = async () => (await testApp.graphql('{ billing { planTier status currentPeriodEnd } }', { token: await signToken({ sub: userId, country }) })).data.billing;
      const periodEnd = Date.parse((await billing()).currentPeriodEnd);
      return {
        ...testApp,
        fakes,
        userId,
        token,
        subscriptionId,
        billing,
        periodEnd,
        /** Moves the clock to `days` after the period's end and runs both checks, as the scheduled upkeep does. */
        async upkeepAt(days: number) {
          clock.advance(periodEnd + days * DAY_MS - clock.now().getTime());
          return scope.run(async () => ({ periods: await resolve(testApp.container, EndUnrenewedPeriods).execute(), grace: await resolve(testApp.container, EndGracePeriods).execute() }));
        },
      };
    }

    it.each(['US', 'IN'] as const)('moves a %s plan whose period ended with no renewal to past due a day later, counted from the end, and to free after the grace period', async (country) => {
      const plan = await aPaidPlan(country);
      try {
        const sameDay = await plan.upkeepAt(0.5);
        const stillPro = await plan.billing();
        const dayAfter = await plan.upkeepAt(1.5);
        const pastDue = await plan.billing();
        await plan.upkeepAt(6.9);
        const inGrace = await plan.billing();
        await plan.upkeepAt(7.1);

        expect(sameDay.periods.lapsed).toBe(0);
        expect(stillPro).toMatchObject({ planTier: 'pro', status: 'active' });
        expect(dayAfter.periods.lapsed).toBeGreaterThanOrEqual(1);
        expect(pastDue).toMatchObject({ planTier: 'pro', status: 'past_due' });
        expect(inGrace).toMatchObject({ planTier: 'pro', status: 'past_due' });
        expect(await plan.billing()).toMatchObject({ planTier: 'free', status: 'active' });
        expect((await resolve(plan.container, PLAN_CHANGE_REPOSITORY).listForUser(plan.userId, 3)).map((change) => change.reason)).toEqual(['grace_period_ended', 'period_ended', 'checkout']);
      } finally {
        await plan.fakes.stop();
      }
    });

    it('ends a plan bought through a Razorpay Payment Link before subscriptions at its period end, and lets it be bought again meanwhile', async () => {
      const clock = new FixedClock(new Date());
      const fakes = await startProviderFakes();
      const testApp = makeTestApp({ database, clock, gateways: fakes.gateways, env: { PAST_DUE_GRACE_DAYS: '7' } });
      try {
        const legacy = anAccountPlan().inCountry('IN').at(clock.now()).paidThroughPaymentLink().build();
        await resolve(testApp.container, REQUEST_SCOPE).run(() => resolve(testApp.container, ACCOUNT_PLAN_REPOSITORY).insertIfAbsent(legacy));
        // Signed in again at each look: the clock moves by weeks, a token lives at most 30 days.
        const signIn = () => signToken({ sub: legacy.userId, country: 'IN' });
        const billing = async () => (await testApp.graphql('{ billing { planTier status } }', { token: await signIn() })).data.billing;
        const upkeepAt = (days: number) => {
          clock.advance(legacy.currentPeriodEnd!.getTime() + days * DAY_MS - clock.now().getTime());
          return resolve(testApp.container, REQUEST_SCOPE).run(async () => {
            await resolve(testApp.container, EndUnrenewedPeriods).execute();
            await resolve(testApp.container, EndGracePeriods).execute();
          });
        };

        await upkeepAt(1.5);
        const pastDue = await billing();
        const again = await testApp.graphql('mutation ($input: StartPlanCheckoutInput!) { startPlanCheckout(input: $input) { sessionId } }', {
          token: await signIn(),
          variables: { input: { tier: 'pro', billingInterval: 'monthly', successUrl: URLS.success_url, cancelUrl: URLS.cancel_url } },
        });
        await upkeepAt(7.1);

        expect(pastDue).toMatchObject({ planTier: 'pro', status: 'past_due' });
        expect(again.errors).toBeUndefined();
        expect(again.data.startPlanCheckout.sessionId).toEqual(expect.any(String));
        expect(await billing()).toMatchObject({ planTier: 'free', status: 'active' });
      } finally {
        await fakes.stop();
      }
    });

    it('applies a renewal whose event never came, found by asking the provider when the period has ended', async () => {
      const plan = await aPaidPlan('US');
      try {
        const { currentPeriodEnd } = plan.fakes.stripe.renewSubscription(plan.subscriptionId!);
        const report = await plan.upkeepAt(2);

        expect(report.periods.applied).toBeGreaterThanOrEqual(1);
        expect(await plan.billing()).toEqual({ planTier: 'pro', status: 'active', currentPeriodEnd: new Date(currentPeriodEnd * 1000).toISOString() });
      } finally {
        await plan.fakes.stop();
      }
    });

    it('ends a plan whose renewal was stopped once its period is over, though the end event never came', async () => {
      const plan = await aPaidPlan('US');
      try {
        await plan.graphql('mutation { cancelSubscription { status } }', { token: plan.token });
        plan.fakes.stripe.setSubscriptionStatus(plan.subscriptionId!, 'active');
        await plan.upkeepAt(2);

        expect(await plan.billing()).toEqual({ planTier: 'free', status: 'active', currentPeriodEnd: null });
      } finally {
        await plan.fakes.stop();
      }
    });

    it('puts a plan past due though its provider does not answer, and restores it when the provider, asked again, says it renewed late', async () => {
      const plan = await aPaidPlan('US');
      try {
        plan.fakes.stripe.failNext({ status: 500, type: 'api_error', message: 'down' }, 1 + MAX_NETWORK_RETRIES);
        const unanswered = await plan.upkeepAt(2);
        const pastDue = await plan.billing();
        const { currentPeriodEnd } = plan.fakes.stripe.renewSubscription(plan.subscriptionId!);
        await plan.upkeepAt(3);

        expect(unanswered.periods.unanswered).toBeGreaterThanOrEqual(1);
        expect(pastDue).toMatchObject({ planTier: 'pro', status: 'past_due' });
        expect(await plan.billing()).toEqual({ planTier: 'pro', status: 'active', currentPeriodEnd: new Date(currentPeriodEnd * 1000).toISOString() });
      } finally {
        await plan.fakes.stop();
      }
    });
  });
});
