import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../adapters/persistence/database.ts';
import { CHECKOUT_SESSION_REPOSITORY } from '../../application/billing/checkout-session.repository.ts';
import { EndGracePeriods } from '../../application/billing/end-grace-periods.use-case.ts';
import { PLAN_CHANGE_REPOSITORY } from '../../application/billing/plan-change.repository.ts';
import { REQUEST_SCOPE } from '../../application/shared/request-scope.port.ts';
import { resolve } from '../../api/container.ts';
import { periodEnd } from '../../domain/billing/plan-catalogue.ts';
import { aUserId, FixedClock } from '../support/builders.ts';
import { BACKENDS, openTestDatabase } from '../support/databases.ts';
import { RAZORPAY_WEBHOOK_SECRET, razorpaySignature } from '../support/provider-events.ts';
import { startProviderFakes, type ProviderFakes } from '../support/provider-fakes.ts';
import { makeTestApp, signToken } from '../support/test-app.ts';

const SUCCESS_URL = 'https://app.aerostack.dev/settings/billing?success=true';
const CANCEL_URL = 'https://app.aerostack.dev/settings/billing';
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Indian plans as Razorpay Subscriptions, through the official SDK against the Razorpay fake: the
 * checkout page of ours that opens Standard Checkout, its signed callback, verify-session, the
 * renewals Razorpay charges, cancelling at the end of the cycle, changing the interval, and a
 * renewal Razorpay cannot take ending the plan after the grace period.
 */
describe.each(BACKENDS)('Razorpay subscriptions, stored %s', (backend) => {
  let database: Database;
  let fakes: ProviderFakes;
  beforeAll(async () => {
    fakes = await startProviderFakes();
    database = await openTestDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
    await fakes?.stop();
  });

  /** An Indian user with a plan checkout opened (pro monthly unless told); the test pays it or not. */
  async function anIndianCheckout(options: { clock?: FixedClock; tier?: 'pro' | 'business'; billingInterval?: 'monthly' | 'yearly' } = {}) {
    const testApp = makeTestApp({ database, clock: options.clock, gateways: fakes.gateways, env: { RAZORPAY_WEBHOOK_SECRET, PAST_DUE_GRACE_DAYS: '7' } });
    const userId = aUserId();
    const token = await signToken({ sub: userId, country: 'IN', expiresIn: '30d' });
    const started = await testApp.request('/api/billing/checkout', {
      token,
      body: { tier: options.tier ?? 'pro', billing_interval: options.billingInterval ?? 'monthly', success_url: SUCCESS_URL, cancel_url: CANCEL_URL },
    });
    const pageUrl = new URL(started.json().url as string);
    const sessionId = pageUrl.searchParams.get('session_id')!;
    const session = await resolve(testApp.container, CHECKOUT_SESSION_REPOSITORY).findByReference(sessionId);
    const subscriptionId = session!.providerSessionId!;
    const callback = (fields: Record<string, string>, forSession = sessionId) =>
      testApp.app.request(`/api/billing/razorpay/callback?session_id=${encodeURIComponent(forSession)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      });
    const billing = async () =>
      (await testApp.graphql('{ billing { planTier status billingInterval currentPeriodEnd scheduledChange { tier billingInterval effectiveAt } } }', { token })).data.billing;
    const deliver = async (event: string) => {
      const body = fakes.razorpay.eventFor(event, { subscription: subscriptionId });
      const response = await testApp.app.request('/api/billing/webhook/razorpay', {
        method: 'POST',
        headers: { 'x-razorpay-signature': razorpaySignature(body), 'x-razorpay-event-id': `evt_${event}_${Math.random()}`, 'content-type': 'application/json' },
        body,
      });
      expect(response.status).toBe(200);
      await testApp.applyEvents();
    };
    const planChanges = () => resolve(testApp.container, REQUEST_SCOPE).run(() => resolve(testApp.container, PLAN_CHANGE_REPOSITORY).listForUser(userId, 10));
    /** Pays the checkout at Razorpay (by card unless told), posts the callback and verifies the session, as the browser would. */
    const subscribe = async (method: 'card' | 'upi' = 'card') => {
      const posted = fakes.razorpay.authorizeSubscription(subscriptionId, method);
      const returned = await callback({ ...posted });
      expect(returned.status).toBe(303);
      return testApp.request(`/api/billing/verify-session?session_id=${sessionId}`, { token });
    };
    /** A subscriber's plan checkout for `tier`: the url of this server's page confirming the change, and its session. */
    const changeTo = async (tier: string, billingInterval = 'monthly') => {
      const answer = await testApp.request('/api/billing/checkout', { token, body: { tier, billing_interval: billingInterval, success_url: SUCCESS_URL, cancel_url: CANCEL_URL } });
      expect(answer.status).toBe(200);
      const url = new URL(answer.json().url as string);
      const form = (action: 'confirm' | 'cancel') =>
        testApp.app.request(`/api/billing/plan-change/${action}${url.search}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
      return { url, changeSessionId: url.searchParams.get('session_id')!, page: () => testApp.request(`${url.pathname}${url.search}`), confirm: () => form('confirm'), keep: () => form('cancel') };
    };
    return { ...testApp, userId, token, pageUrl, sessionId, subscriptionId, callback, billing, deliver, planChanges, subscribe, changeTo };
  }

  it('sends the user to our page, which opens Standard Checkout for the subscription Razorpay holds', async () => {
    const checkout = await anIndianCheckout();

    const page = await checkout.request(`${checkout.pageUrl.pathname}${checkout.pageUrl.search}`);

    expect(checkout.pageUrl.pathname).toBe('/api/billing/razorpay/checkout');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.text).toContain(`"subscription_id":"${checkout.subscriptionId}"`);
    expect(page.text).toContain(`/api/billing/razorpay/callback?session_id=${checkout.sessionId}`);
    expect(fakes.razorpay.subscription(checkout.subscriptionId)).toMatchObject({ status: 'created', notes: { checkout_session_id: checkout.sessionId } });
  });

  it('answers the signed callback with 303 to the success URL and session_id, and verify-session with the plan', async () => {
    const checkout = await anIndianCheckout();
    const posted = fakes.razorpay.authorizeSubscription(checkout.subscriptionId);

    const returned = await checkout.callback({ ...posted });
    const location = new URL(returned.headers.get('location')!);
    const verified = await checkout.request(`/api/billing/verify-session?session_id=${checkout.sessionId}`, { token: checkout.token });

    expect(returned.status).toBe(303);
    expect(location.origin + location.pathname).toBe('https://app.aerostack.dev/settings/billing');
    expect(location.searchParams.get('success')).toBe('true');
    expect(location.searchParams.get('session_id')).toBe(checkout.sessionId);
    expect(verified.json()).toEqual({ tier: 'pro' });
    expect(await checkout.billing()).toMatchObject({
      planTier: 'pro',
      status: 'active',
      billingInterval: 'monthly',
      currentPeriodEnd: new Date(fakes.razorpay.subscription(checkout.subscriptionId)!.current_end! * 1000).toISOString(),
    });
    expect((await checkout.planChanges()).map((change) => change.reason)).toEqual(['checkout']);
  });

  it('refuses a forged, missing or foreign callback signature with 400 and writes nothing', async () => {
    const checkout = await anIndianCheckout();
    const other = await anIndianCheckout();
    const posted = fakes.razorpay.authorizeSubscription(checkout.subscriptionId);
    const foreign = fakes.razorpay.authorizeSubscription(other.subscriptionId);

    const answers = await Promise.all(
      [
        { ...posted, razorpay_signature: 'f'.repeat(64) },
        { razorpay_payment_id: posted.razorpay_payment_id, razorpay_subscription_id: checkout.subscriptionId },
        { ...foreign },
        { ...posted, razorpay_payment_id: foreign.razorpay_payment_id },
      ].map((fields) => checkout.callback(fields)),
    );

    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect(await answer.json()).toMatchObject({ code: 'BAD_USER_INPUT', error: expect.any(String) });
    }
    const session = await resolve(checkout.container, CHECKOUT_SESSION_REPOSITORY).findByReference(checkout.sessionId);
    expect(session!.status).toBe('open');
    expect(await checkout.billing()).toMatchObject({ planTier: 'free' });
    expect(await checkout.planChanges()).toEqual([]);
  });

  it('sends a callback reporting a failed or cancelled payment to the cancel URL, and one for no session of ours to 404', async () => {
    const checkout = await anIndianCheckout();

    const cancelled = await checkout.callback({ 'error[code]': 'BAD_REQUEST_ERROR', 'error[description]': 'Payment processing cancelled by user' });
    const unknown = await checkout.callback({ razorpay_payment_id: 'pay_x', razorpay_subscription_id: 'sub_x', razorpay_signature: 'x' }, 'no-such-session');
    const notAForm = await checkout.app.request(`/api/billing/razorpay/callback?session_id=${checkout.sessionId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });

    expect(cancelled.status).toBe(303);
    expect(cancelled.headers.get('location')).toBe(CANCEL_URL);
    expect(unknown.status).toBe(404);
    expect(notAForm.status).toBe(400);
    expect(await checkout.billing()).toMatchObject({ planTier: 'free' });
  });

  it('completes the checkout from subscription.activated alone, when the browser never comes back', async () => {
    const checkout = await anIndianCheckout();
    fakes.razorpay.authorizeSubscription(checkout.subscriptionId);

    await checkout.deliver('subscription.activated');

    expect(await checkout.billing()).toMatchObject({ planTier: 'pro', status: 'active' });
  });

  it('moves the period forward on each subscription.charged renewal and records its receipt, once however often it is told', async () => {
    const checkout = await anIndianCheckout();
    await checkout.subscribe();
    const firstEnd = (await checkout.billing()).currentPeriodEnd;

    fakes.razorpay.chargeSubscription(checkout.subscriptionId);
    await checkout.deliver('subscription.charged');
    await checkout.deliver('subscription.charged');

    const renewed = await checkout.billing();
    const receipts = await checkout.graphql('{ invoices(first: 10) { edges { node { kind amountMinor currency receiptUrl } } } }', { token: checkout.token });
    const [first, renewal] = fakes.razorpay.invoicesOf(checkout.subscriptionId);
    expect(Date.parse(renewed.currentPeriodEnd) - Date.parse(firstEnd)).toBe(30 * DAY_MS);
    expect(renewed).toMatchObject({ planTier: 'pro', status: 'active' });
    expect(receipts.data.invoices.edges.map((edge: { node: unknown }) => edge.node)).toEqual([
      { kind: 'renewal', amountMinor: 416_500, currency: 'INR', receiptUrl: renewal!.short_url },
      { kind: 'plan', amountMinor: 416_500, currency: 'INR', receiptUrl: first!.short_url },
    ]);
  });

  it('cancels at the end of the cycle at Razorpay: canceled until then, free once Razorpay cancels it', async () => {
    const checkout = await anIndianCheckout();
    await checkout.subscribe();

    const canceled = await checkout.graphql('mutation { cancelSubscription { status planTier } }', { token: checkout.token });
    await checkout.deliver('subscription.charged');
    const meanwhile = await checkout.billing();
    fakes.razorpay.chargeSubscription(checkout.subscriptionId);
    await checkout.deliver('subscription.cancelled');

    expect(canceled.data.cancelSubscription).toEqual({ status: 'canceled', planTier: 'pro' });
    expect(fakes.razorpay.requestsTo('POST', `/v1/subscriptions/${checkout.subscriptionId}/cancel`).at(-1)!.body).toEqual({ cancel_at_cycle_end: 1 });
    expect(meanwhile).toMatchObject({ planTier: 'pro', status: 'canceled' });
    expect(fakes.razorpay.subscription(checkout.subscriptionId)!.status).toBe('cancelled');
    expect(await checkout.billing()).toMatchObject({ planTier: 'free', status: 'active', currentPeriodEnd: null });
  });

  it('changes the interval at Razorpay: the subscription moves to the yearly plan and the account with it', async () => {
    const checkout = await anIndianCheckout();
    await checkout.subscribe();

    const changed = await checkout.graphql('mutation { changeBillingInterval(billingInterval: yearly) { billingInterval planTier } }', { token: checkout.token });
    await checkout.deliver('subscription.updated');

    const plan = fakes.razorpay.plan(fakes.razorpay.subscription(checkout.subscriptionId)!.plan_id)!;
    expect(changed.data.changeBillingInterval).toEqual({ billingInterval: 'yearly', planTier: 'pro' });
    expect(plan).toMatchObject({ period: 'yearly', item: { amount: 3_748_500, currency: 'INR' } }); // $441 at 85 INR/USD
    expect(await checkout.billing()).toMatchObject({ planTier: 'pro', billingInterval: 'yearly', status: 'active' });
    expect((await checkout.planChanges()).map((change) => change.reason)).toContain('interval_change');
  });

  it('takes the period end Razorpay holds after a yearly plan moves to monthly, so a failing monthly renewal is past due, not kept on the yearly end', async () => {
    const checkout = await anIndianCheckout({ billingInterval: 'yearly' });
    await checkout.subscribe();

    const changed = await checkout.graphql('mutation { changeBillingInterval(billingInterval: monthly) { billingInterval } }', { token: checkout.token });
    const monthlyEnd = new Date(fakes.razorpay.subscription(checkout.subscriptionId)!.current_end! * 1000).toISOString();
    const afterChange = await checkout.billing();
    fakes.razorpay.setSubscriptionStatus(checkout.subscriptionId, 'pending');
    await checkout.deliver('subscription.pending');

    expect(changed.data.changeBillingInterval).toEqual({ billingInterval: 'monthly' });
    expect(await checkout.billing()).toMatchObject({ planTier: 'pro', status: 'past_due', currentPeriodEnd: monthlyEnd });
    expect(afterChange).toMatchObject({ billingInterval: 'monthly', currentPeriodEnd: monthlyEnd });
  });

  it('upgrades pro to business through the checkout and this server\'s confirm page: business at once, the difference charged at Razorpay', async () => {
    const checkout = await anIndianCheckout();
    await checkout.subscribe();
    const invoicesBefore = fakes.razorpay.invoicesOf(checkout.subscriptionId).length;

    const change = await checkout.changeTo('business');
    const page = await change.page();
    const confirmed = await change.confirm();
    const verified = await checkout.request(`/api/billing/verify-session?session_id=${change.changeSessionId}`, { token: checkout.token });

    expect(change.url.pathname).toBe('/api/billing/plan-change');
    expect(page.status).toBe(200);
    expect(page.text).toContain('It takes effect now');
    expect(confirmed.status).toBe(303);
    expect(new URL(confirmed.headers.get('location')!).searchParams.get('session_id')).toBe(change.changeSessionId);
    expect(verified.json()).toEqual({ tier: 'business' });
    expect(fakes.razorpay.plan(fakes.razorpay.subscription(checkout.subscriptionId)!.plan_id)).toMatchObject({ period: 'monthly', item: { amount: 1_691_500 } });
    expect(fakes.razorpay.invoicesOf(checkout.subscriptionId).length).toBe(invoicesBefore + 1);
    expect(await checkout.billing()).toMatchObject({ planTier: 'business', billingInterval: 'monthly', status: 'active' });
    expect((await checkout.planChanges()).map((row) => row.reason)).toContain('plan_change');
  });

  it('charges the upgrade once when its confirm page is posted twice at the same moment', async () => {
    const checkout = await anIndianCheckout();
    await checkout.subscribe();
    const invoicesBefore = fakes.razorpay.invoicesOf(checkout.subscriptionId).length;
    const change = await checkout.changeTo('business');

    const answers = await Promise.all([change.confirm(), change.confirm()]);

    expect(answers.map((answer) => answer.status)).toContain(303);
    expect(fakes.razorpay.invoicesOf(checkout.subscriptionId).length).toBe(invoicesBefore + 1);
    expect(await checkout.billing()).toMatchObject({ planTier: 'business', status: 'active' });
  });

  it('downgrades business to pro at the end of the cycle: business until Razorpay charges the next cycle, pro from then', async () => {
    const checkout = await anIndianCheckout({ tier: 'business' });
    await checkout.subscribe();

    const change = await checkout.changeTo('pro');
    await change.confirm();
    const verified = await checkout.request(`/api/billing/verify-session?session_id=${change.changeSessionId}`, { token: checkout.token });
    const meanwhile = await checkout.billing();
    fakes.razorpay.chargeSubscription(checkout.subscriptionId);
    await checkout.deliver('subscription.charged');

    expect(fakes.razorpay.requestsTo('PATCH', `/v1/subscriptions/${checkout.subscriptionId}`).at(-1)!.body).toMatchObject({ schedule_change_at: 'cycle_end' });
    expect(verified.json()).toEqual({ tier: 'business' });
    expect(meanwhile).toMatchObject({ planTier: 'business', scheduledChange: { tier: 'pro', billingInterval: 'monthly' } });
    expect(await checkout.billing()).toMatchObject({ planTier: 'pro', billingInterval: 'monthly', status: 'active', scheduledChange: null });
  });

  it('sends a subscriber who keeps their plan back to the cancel URL, with nothing asked of Razorpay', async () => {
    const checkout = await anIndianCheckout();
    await checkout.subscribe();
    const patchesBefore = fakes.razorpay.requestsTo('PATCH', `/v1/subscriptions/${checkout.subscriptionId}`).length;

    const change = await checkout.changeTo('business');
    const kept = await change.keep();
    const confirmedLater = await change.confirm();

    expect(kept.status).toBe(303);
    expect(kept.headers.get('location')).toBe(CANCEL_URL);
    expect(confirmedLater.headers.get('location')).toBe(CANCEL_URL);
    expect(fakes.razorpay.requestsTo('PATCH', `/v1/subscriptions/${checkout.subscriptionId}`).length).toBe(patchesBefore);
    expect(await checkout.billing()).toMatchObject({ planTier: 'pro' });
  });

  it('changes the plan over GraphQL through the API, and passes on Razorpay refusing a UPI subscription with nothing changed', async () => {
    const byCard = await anIndianCheckout();
    await byCard.subscribe();
    const byUpi = await anIndianCheckout();
    await byUpi.subscribe('upi');
    const mutation = 'mutation { changePlan(tier: business, billingInterval: monthly) { planTier billingInterval } }';

    const changed = await byCard.graphql(mutation, { token: byCard.token });
    const refused = await byUpi.graphql(mutation, { token: byUpi.token });

    expect(changed.data.changePlan).toEqual({ planTier: 'business', billingInterval: 'monthly' });
    expect(refused.errors?.[0]).toMatchObject({ extensions: { code: 'PROVIDER_ERROR' }, message: expect.stringContaining('UPI') });
    expect(await byUpi.billing()).toMatchObject({ planTier: 'pro' });
  });

  it('says how each plan renews: business monthly (₹16,915) needs the customer to approve each debit, pro monthly (₹4,165) renews by itself', async () => {
    const business = await anIndianCheckout({ tier: 'business' });
    await business.subscribe();
    const pro = await anIndianCheckout();
    await pro.subscribe();
    const renewal = async (checkout: typeof pro) => (await checkout.graphql('{ billing { renewal renewalUrl } }', { token: checkout.token })).data.billing;

    expect(await renewal(business)).toEqual({ renewal: 'needs_approval', renewalUrl: null });
    expect(await renewal(pro)).toEqual({ renewal: 'automatic', renewalUrl: null });
  });

  it('offers a halted renewal above the mandate limit a renewal link, which pays the next period by a one-time payment, once', async () => {
    const checkout = await anIndianCheckout({ tier: 'business' });
    await checkout.subscribe();
    const paidUntil = new Date((await checkout.billing()).currentPeriodEnd);
    fakes.razorpay.setSubscriptionStatus(checkout.subscriptionId, 'halted');
    await checkout.deliver('subscription.halted');

    const halted = (await checkout.graphql('{ billing { status renewal renewalUrl } }', { token: checkout.token })).data.billing;
    const renewalUrl = new URL(halted.renewalUrl);
    const opened = await checkout.request(`${renewalUrl.pathname}${renewalUrl.search}`);
    const link = fakes.razorpay.requestsTo('POST', '/v1/payment_links').at(-1)!.body as { amount: number; notes: Record<string, string>; callback_url: string; reference_id: string };
    const linkId = (await resolve(checkout.container, CHECKOUT_SESSION_REPOSITORY).findByReference(link.reference_id))!.providerSessionId!;
    fakes.razorpay.payLink(linkId);
    const done = await checkout.request(`${new URL(link.callback_url).pathname}${new URL(link.callback_url).search}`);
    const renewed = await checkout.billing();
    await checkout.deliver('subscription.halted');

    expect(halted).toMatchObject({ status: 'past_due', renewal: 'needs_approval' });
    expect(renewalUrl.pathname).toBe('/api/billing/renewal');
    expect(opened.status).toBe(303);
    expect(opened.headers.get('location')).toMatch(/^https:\/\/rzp\.io\//);
    expect(link).toMatchObject({ amount: 1_691_500, notes: { purpose: 'renewal', tier: 'business', billing_interval: 'monthly' } });
    expect(done.status).toBe(200);
    expect(done.text).toContain('Paid: your business plan runs until');
    expect(renewed).toMatchObject({ planTier: 'business', status: 'active', currentPeriodEnd: periodEnd(paidUntil, 'monthly').toISOString() });
    expect(await checkout.billing()).toEqual(renewed);
    expect((await checkout.planChanges()).map((row) => row.reason)).toContain('renewal_payment');
    const again = await checkout.request(`${new URL(link.callback_url).pathname}${new URL(link.callback_url).search}`);
    expect(again.text).toContain('Paid');
    expect(await checkout.billing()).toEqual(renewed);
  });

  it('ends the halted subscription at Razorpay when the renewal link opens, so the period it paid is never charged twice', async () => {
    const checkout = await anIndianCheckout({ tier: 'business' });
    await checkout.subscribe();
    const paidUntil = new Date((await checkout.billing()).currentPeriodEnd);
    fakes.razorpay.setSubscriptionStatus(checkout.subscriptionId, 'halted');
    await checkout.deliver('subscription.halted');
    const renewalUrl = new URL((await checkout.graphql('{ billing { renewalUrl } }', { token: checkout.token })).data.billing.renewalUrl);
    await checkout.request(`${renewalUrl.pathname}${renewalUrl.search}`);
    const link = fakes.razorpay.requestsTo('POST', '/v1/payment_links').at(-1)!.body as { callback_url: string; reference_id: string };
    fakes.razorpay.payLink((await resolve(checkout.container, CHECKOUT_SESSION_REPOSITORY).findByReference(link.reference_id))!.providerSessionId!);
    await checkout.request(`${new URL(link.callback_url).pathname}${new URL(link.callback_url).search}`);
    await checkout.deliver('subscription.cancelled');

    expect(fakes.razorpay.subscription(checkout.subscriptionId)).toMatchObject({ status: 'cancelled' });
    expect(() => fakes.razorpay.chargeSubscription(checkout.subscriptionId)).toThrow(/cancelled/);
    expect(await checkout.billing()).toMatchObject({ planTier: 'business', status: 'active', currentPeriodEnd: periodEnd(paidUntil, 'monthly').toISOString() });
  });

  it('opens no renewal payment when Razorpay cannot end the halted subscription, leaving the plan as it was', async () => {
    const checkout = await anIndianCheckout({ tier: 'business' });
    await checkout.subscribe();
    fakes.razorpay.setSubscriptionStatus(checkout.subscriptionId, 'halted');
    await checkout.deliver('subscription.halted');
    const renewalUrl = new URL((await checkout.graphql('{ billing { renewalUrl } }', { token: checkout.token })).data.billing.renewalUrl);
    const linksBefore = fakes.razorpay.requestsTo('POST', '/v1/payment_links').length;
    fakes.razorpay.failNext({ status: 500 });

    const opened = await checkout.request(`${renewalUrl.pathname}${renewalUrl.search}`);

    expect(opened.status).toBe(502);
    expect(fakes.razorpay.requestsTo('POST', '/v1/payment_links').length).toBe(linksBefore);
    expect(fakes.razorpay.subscription(checkout.subscriptionId)).toMatchObject({ status: 'halted' });
    expect(await checkout.billing()).toMatchObject({ planTier: 'business', status: 'past_due' });
  });

  it('refuses a forged or foreign renewal link with 401, and one for a plan that is not past due with 409, writing nothing', async () => {
    const checkout = await anIndianCheckout({ tier: 'business' });
    await checkout.subscribe();
    fakes.razorpay.setSubscriptionStatus(checkout.subscriptionId, 'halted');
    await checkout.deliver('subscription.halted');
    const url = new URL((await checkout.graphql('{ billing { renewalUrl } }', { token: checkout.token })).data.billing.renewalUrl);
    const linksBefore = fakes.razorpay.requestsTo('POST', '/v1/payment_links').length;
    const link = url.searchParams.get('link')!;

    const forged = await checkout.request(`/api/billing/renewal?link=${encodeURIComponent(`${link.slice(0, -4)}AAAA`)}`);
    const missing = await checkout.request('/api/billing/renewal');
    const aToken = await checkout.request(`/api/billing/renewal?link=${encodeURIComponent(checkout.token)}`);
    fakes.razorpay.chargeSubscription(checkout.subscriptionId);
    await checkout.deliver('subscription.charged');
    const notPastDue = await checkout.request(`${url.pathname}${url.search}`);

    expect([forged.status, missing.status, aToken.status]).toEqual([401, 401, 401]);
    expect(forged.json()).toMatchObject({ code: 'UNAUTHENTICATED', error: expect.any(String) });
    expect(notPastDue.status).toBe(409);
    expect(fakes.razorpay.requestsTo('POST', '/v1/payment_links').length).toBe(linksBefore);
  });

  describe("this server's billing page for Razorpay subscribers", () => {
    async function aPortal(checkout: Awaited<ReturnType<typeof anIndianCheckout>>) {
      const answer = await checkout.request(`/api/billing/portal?return_url=${encodeURIComponent(CANCEL_URL)}`, { token: checkout.token });
      const url = new URL(answer.json().url as string);
      const post = (action: string, fields: Record<string, string> = {}) =>
        checkout.app.request(`/api/billing/portal/${action}${url.search}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(fields).toString(),
        });
      return { url, page: () => checkout.request(`${url.pathname}${url.search}`), post };
    }

    it('shows the plan, its next renewal and the payments with their receipts', async () => {
      const checkout = await anIndianCheckout();
      await checkout.subscribe();
      const portal = await aPortal(checkout);

      const page = await portal.page();

      const renews = (await checkout.billing()).currentPeriodEnd.slice(0, 10);
      expect(page.status).toBe(200);
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.text).toContain('<strong id="plan">pro (monthly)</strong>');
      expect(page.text).toContain(`<strong id="renews">${renews}</strong>`);
      expect(page.text).toContain(fakes.razorpay.invoicesOf(checkout.subscriptionId)[0]!.short_url);
      expect(page.text).toContain('data-plan="business-monthly"');
    });

    it('cancels at the end of the period at Razorpay, and switches plan through the change flow back to the app', async () => {
      const checkout = await anIndianCheckout();
      await checkout.subscribe();
      const portal = await aPortal(checkout);

      const switched = await portal.post('switch', { tier: 'business', billing_interval: 'monthly' });
      const change = new URL(switched.headers.get('location')!);
      const confirmed = await checkout.app.request(`/api/billing/plan-change/confirm${change.search}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
      const backInApp = new URL(confirmed.headers.get('location')!);
      const verified = await checkout.request(`/api/billing/verify-session?session_id=${backInApp.searchParams.get('session_id')}`, { token: checkout.token });
      const canceled = await portal.post('cancel');

      expect(switched.status).toBe(303);
      expect(change.pathname).toBe('/api/billing/plan-change');
      expect(backInApp.origin + backInApp.pathname).toBe(CANCEL_URL);
      expect(verified.json()).toEqual({ tier: 'business' });
      expect(canceled.status).toBe(303);
      expect(canceled.headers.get('location')).toBe(`/api/billing/portal/page${portal.url.search}`);
      expect(fakes.razorpay.requestsTo('POST', `/v1/subscriptions/${checkout.subscriptionId}/cancel`).at(-1)!.body).toEqual({ cancel_at_cycle_end: 1 });
      expect(await checkout.billing()).toMatchObject({ planTier: 'business', status: 'canceled' });
    });

    it('refuses a forged link with 401 and a return URL off the allow-list with 400, changing nothing', async () => {
      const checkout = await anIndianCheckout();
      await checkout.subscribe();
      const portal = await aPortal(checkout);
      const link = portal.url.searchParams.get('link')!;
      const forged = `?link=${encodeURIComponent(`${link.slice(0, -4)}AAAA`)}&return_url=${encodeURIComponent(CANCEL_URL)}`;
      const offList = `?link=${encodeURIComponent(link)}&return_url=${encodeURIComponent('https://evil.example/')}`;

      const answers = [
        await checkout.request(`/api/billing/portal/page${forged}`),
        await checkout.app.request(`/api/billing/portal/cancel${forged}`, { method: 'POST' }),
        await checkout.request(`/api/billing/portal/page${offList}`),
        await checkout.app.request(`/api/billing/portal/cancel${offList}`, { method: 'POST' }),
      ];

      expect(answers.map((answer) => answer.status)).toEqual([401, 401, 400, 400]);
      expect(fakes.razorpay.requestsTo('POST', `/v1/subscriptions/${checkout.subscriptionId}/cancel`)).toEqual([]);
      expect(await checkout.billing()).toMatchObject({ planTier: 'pro', status: 'active' });
    });
  });

  it('keeps a halted renewal past due through the grace period, then ends the plan', async () => {
    const clock = new FixedClock(new Date());
    const checkout = await anIndianCheckout({ clock });
    await checkout.subscribe();

    fakes.razorpay.setSubscriptionStatus(checkout.subscriptionId, 'halted');
    await checkout.deliver('subscription.halted');
    const halted = await checkout.billing();
    clock.advance(8 * DAY_MS);
    await resolve(checkout.container, REQUEST_SCOPE).run(() => resolve(checkout.container, EndGracePeriods).execute());

    expect(halted).toMatchObject({ planTier: 'pro', status: 'past_due' });
    expect(await checkout.billing()).toMatchObject({ planTier: 'free', status: 'active' });
  });
});
