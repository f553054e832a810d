import { describe, expect, it } from 'vitest';
import { FixedClock } from '../../support/builders.ts';
import { aSandbox } from '../../support/sandbox.ts';

describe("the sandbox's billing periods", () => {
  it('keeps the billing day of the month as Stripe does: a plan started on the 31st renews on Feb 28, then Mar 31 and Apr 30', async () => {
    const { provider } = aSandbox({ clock: new FixedClock(new Date('2027-01-31T09:00:00Z')) });
    const { checkout } = await provider.createCheckout({
      region: 'stripe',
      sessionId: 'session-31st',
      userId: 'user-31st',
      purpose: 'plan',
      description: 'pro plan',
      amount: { amountMinor: 4_900, currency: 'USD' },
      successUrl: new URL('https://app.aerostack.dev/settings/billing'),
      cancelUrl: 'https://app.aerostack.dev/settings/billing',
      customerId: 'sbx_cus_user-31st',
      plan: { tier: 'pro', billingInterval: 'monthly' },
    });
    await provider.pay(checkout.id);
    const ends: string[] = [];
    for (let renewal = 0; renewal < 3; renewal++) {
      const subscription = (await provider.subscription(checkout.subscriptionId!))!;
      ends.push(subscription.currentPeriodEnd);
      await provider.runDue(new Date(subscription.currentPeriodEnd));
    }

    expect(ends).toEqual(['2027-02-28T09:00:00.000Z', '2027-03-31T09:00:00.000Z', '2027-04-30T09:00:00.000Z']);
  });
});
