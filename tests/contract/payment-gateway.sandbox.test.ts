import { afterAll, describe, expect, it } from 'vitest';
import type { Database } from '../../adapters/persistence/database.ts';
import { SandboxPaymentGateway } from '../../adapters/sandbox/sandbox.payment-gateway.ts';
import { prorateMinor } from '../../adapters/sandbox/sandbox.provider.ts';
import { ProviderError } from '../../domain/shared/errors.ts';
import { Money } from '../../domain/shared/money.value-object.ts';
import { BACKENDS, openTestDatabase } from '../support/databases.ts';
import { aSandbox } from '../support/sandbox.ts';
import { aDepositCheckoutRequest, aPlanCheckoutRequest, runPaymentGatewayContract } from './payment-gateway.contract.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

const databases: Database[] = [];
afterAll(async () => {
  await Promise.all(databases.map((database) => database.close()));
});

for (const region of ['stripe', 'razorpay'] as const) {
  runPaymentGatewayContract(`sandbox standing in for ${region}, in memory`, async () => {
    const { provider } = aSandbox();
    return {
      gateway: new SandboxPaymentGateway(provider, { region }),
      pay: async (id) => void (await provider.pay(id)),
      expire: async (id) => void (await provider.expire(id)),
      currency: region === 'stripe' ? 'USD' : 'INR',
    };
  });
}

// The sandbox's own tables, as the service runs it: the embedded database is enough here.
let shared: Promise<Database> | undefined;
runPaymentGatewayContract('sandbox standing in for stripe, in its database tables', async () => {
  shared ??= openTestDatabase('pglite').then((database) => (databases.push(database), database));
  const { provider } = aSandbox({ database: await shared });
  return {
    gateway: new SandboxPaymentGateway(provider, { region: 'stripe' }),
    pay: async (id) => void (await provider.pay(id)),
    expire: async (id) => void (await provider.expire(id)),
    currency: 'USD',
  };
});

describe('Sandbox payment gateway', () => {
  it('hosts a customer portal in the Stripe region and not in the Razorpay one', () => {
    const { provider } = aSandbox();

    expect(new SandboxPaymentGateway(provider, { region: 'stripe' }).hostsCustomerPortal).toBe(true);
    expect(new SandboxPaymentGateway(provider, { region: 'razorpay' }).hostsCustomerPortal).toBe(false);
  });

  it('sends the user back to the success URL with our session id added (the one the checkout mutation answers) and the original query kept', async () => {
    const { provider } = aSandbox();
    const gateway = new SandboxPaymentGateway(provider, { region: 'stripe' });
    const request = aPlanCheckoutRequest('USD');

    const { providerSessionId } = await gateway.createPlanCheckout(request);
    const redirect = new URL(await provider.pay(providerSessionId));

    expect(redirect.origin + redirect.pathname).toBe('https://app.aerostack.dev/settings/billing');
    expect(redirect.searchParams.get('success')).toBe('true');
    expect(redirect.searchParams.get('session_id')).toBe(request.sessionId);
  });

  it('reports a checkout the user canceled as canceled, and refuses to cancel one already paid', async () => {
    const { provider } = aSandbox();
    const gateway = new SandboxPaymentGateway(provider, { region: 'razorpay' });
    const canceled = await gateway.createPlanCheckout(aPlanCheckoutRequest('INR'));
    const paid = await gateway.createPlanCheckout(aPlanCheckoutRequest('INR'));

    expect(await provider.cancel(canceled.providerSessionId)).toBe('https://app.aerostack.dev/settings/billing?canceled=true');
    await provider.pay(paid.providerSessionId);

    expect((await gateway.retrieveCheckout(canceled.providerSessionId)).status).toBe('canceled');
    await expect(provider.cancel(paid.providerSessionId)).rejects.toThrow(/is paid/);
    expect((await gateway.retrieveCheckout(paid.providerSessionId)).status).toBe('paid');
  });

  it('reuses the customer id it was given and names the subscription after our session', async () => {
    const gateway = new SandboxPaymentGateway(aSandbox().provider, { region: 'stripe' });
    const request = aPlanCheckoutRequest('USD', { customerId: 'sbx_cus_existing' });

    const { providerSessionId } = await gateway.createPlanCheckout(request);

    expect(await gateway.retrieveCheckout(providerSessionId)).toMatchObject({
      customerId: 'sbx_cus_existing',
      subscriptionId: `sbx_sub_${request.sessionId}`,
    });
  });

  it('answers a checkout it does not hold, or one of the other region, with a ProviderError', async () => {
    const { provider } = aSandbox();
    const { providerSessionId } = await new SandboxPaymentGateway(provider, { region: 'stripe' }).createPlanCheckout(aPlanCheckoutRequest('USD'));

    await expect(new SandboxPaymentGateway(aSandbox().provider, { region: 'stripe' }).retrieveCheckout(providerSessionId)).rejects.toBeInstanceOf(ProviderError);
    await expect(new SandboxPaymentGateway(provider, { region: 'razorpay' }).retrieveCheckout(providerSessionId)).rejects.toBeInstanceOf(ProviderError);
  });

  it.each(BACKENDS)('keeps what it holds in the database, so another process (%s) reads the same checkout, subscription and payment', async (backend) => {
    const database = await openTestDatabase(backend);
    databases.push(database);
    const first = aSandbox({ database }).provider;
    const second = new SandboxPaymentGateway(aSandbox({ database }).provider, { region: 'stripe' });
    const { providerSessionId } = await new SandboxPaymentGateway(first, { region: 'stripe' }).createPlanCheckout(aPlanCheckoutRequest('USD'));

    await first.pay(providerSessionId);
    const checkout = await second.retrieveCheckout(providerSessionId);

    expect(checkout).toMatchObject({ status: 'paid', subscription: { standing: 'paying', renews: true } });
    expect(await second.retrievePayment(checkout.paymentId!)).toMatchObject({ refunded: { amountMinor: 0 }, disputed: { amountMinor: 0 } });
  });

  it.each(BACKENDS)('changes a plan at the time another process (%s) moved the clock to, never moving the period back or charging twice', async (backend) => {
    const database = await openTestDatabase(backend);
    databases.push(database);
    const advancing = aSandbox({ database });
    const lagging = aSandbox({ database });
    const monthly = aPlanCheckoutRequest('USD', { billingInterval: 'monthly', price: Money.of(4_900, 'USD') });
    const { providerSessionId } = await new SandboxPaymentGateway(advancing.provider, { region: 'stripe' }).createPlanCheckout(monthly);
    await advancing.provider.pay(providerSessionId);
    const subscriptionId = (await advancing.provider.checkout(providerSessionId))!.subscriptionId!;
    const advancedTo = await advancing.clock.advanceTo(new Date(Date.now() + 40 * DAY_MS));
    await advancing.provider.runDue(advancedTo);
    const renewed = (await advancing.provider.subscription(subscriptionId))!;

    await lagging.provider.changePlan(subscriptionId, { tier: 'pro', billingInterval: 'yearly' });
    const changed = (await advancing.provider.subscription(subscriptionId))!;

    expect(Date.parse(changed.currentPeriodStart)).toBeGreaterThanOrEqual(advancedTo.getTime());
    expect(Date.parse(changed.currentPeriodStart)).toBeGreaterThan(Date.parse(renewed.currentPeriodStart));
    expect(await advancing.provider.runDue(await advancing.clock.refresh())).toBe(0);
    // The first payment, the renewal a month on, the change to yearly: its first year less the unused rest of the month.
    const changedAt = Date.parse(changed.currentPeriodStart);
    const unused = prorateMinor(4_900, Date.parse(renewed.currentPeriodEnd) - changedAt, Date.parse(renewed.currentPeriodEnd) - Date.parse(renewed.currentPeriodStart));
    expect(unused).toBeGreaterThan(0);
    expect((await advancing.store.findBy('payment', subscriptionId)).map((payment) => payment.amount.amountMinor)).toEqual([4_900, 4_900, 44_100 - unused]);
  });

  it('sends an event whose delivery failed again on the next run, not after a lease runs out', async () => {
    const { provider, events } = aSandbox();
    const answers = [503, 200];
    events.connect(async () => answers.shift() ?? 200);
    const { providerSessionId } = await new SandboxPaymentGateway(provider, { region: 'stripe' }).createDepositCheckout(aDepositCheckoutRequest('USD'));

    await provider.pay(providerSessionId);
    const left = await provider.undeliveredEvents();

    expect([left, await events.deliverPending(), await provider.undeliveredEvents()]).toEqual([1, 1, 0]);
  });
});
