import { describe, expect, it } from 'vitest';
import { InMemoryDuplicateSubscriptionRepository } from '../../../adapters/in-memory/in-memory.duplicate-subscription.repository.ts';
import { InMemoryUnitOfWork } from '../../../adapters/in-memory/in-memory.unit-of-work.ts';
import { SandboxPaymentGateway } from '../../../adapters/sandbox/sandbox.payment-gateway.ts';
import { MAX_SETTLEMENT_ATTEMPTS, SettleDuplicateSubscriptions, settlementRetryDelayMs } from '../../../application/billing/settle-duplicate-subscriptions.use-case.ts';
import { DuplicateSubscription } from '../../../domain/billing/duplicate-subscription.entity.ts';
import { Money } from '../../../domain/shared/money.value-object.ts';
import { FixedClock } from '../../support/builders.ts';
import { aSandbox } from '../../support/sandbox.ts';

/** A paid pro-monthly plan checkout at the sandbox: its subscription and its payment. */
async function aPaidPlan(sandbox: ReturnType<typeof aSandbox>['provider'], sessionId: string) {
  const { checkout } = await sandbox.createCheckout({
    region: 'stripe',
    sessionId,
    userId: 'user-1',
    purpose: 'plan',
    description: 'pro plan, billed monthly',
    amount: Money.of(4_900, 'USD'),
    successUrl: new URL('https://app.aerostack.dev/settings/billing'),
    cancelUrl: 'https://app.aerostack.dev/settings/billing',
    customerId: 'sbx_cus_user-1',
    plan: { tier: 'pro', billingInterval: 'monthly' },
  });
  await sandbox.pay(checkout.id);
  const paid = (await sandbox.checkout(checkout.id))!;
  return { subscriptionId: paid.subscriptionId!, paymentId: paid.paymentId! };
}

function world() {
  const clock = new FixedClock(new Date());
  const { provider } = aSandbox({ clock });
  const gateway = new SandboxPaymentGateway(provider, { region: 'stripe' });
  const duplicates = new InMemoryDuplicateSubscriptionRepository();
  const settle = new SettleDuplicateSubscriptions({ duplicates, gateways: { for: () => gateway }, uow: new InMemoryUnitOfWork(), clock });
  const recorded = async (fields: { subscriptionId: string; paymentId: string | null }) => {
    const record = DuplicateSubscription.record({
      id: `dup-${fields.subscriptionId}`,
      userId: 'user-1',
      gateway: 'stripe',
      keptSessionId: 'cs-later',
      canceledSessionId: `cs-${fields.subscriptionId}`,
      amountMinor: 4_900,
      currency: 'USD',
      now: clock.now(),
      ...fields,
    });
    await duplicates.insert(record);
    return record.id;
  };
  const stored = async (id: string) => (await duplicates.list({}, { first: 100 })).items.find((item) => item.node.id === id)!.node;
  return { clock, provider, gateway, duplicates, settle, recorded, stored };
}

describe('settling a second subscription', () => {
  it('cancels it at once and refunds what its payment holds; a second run does nothing more', async () => {
    const { provider, settle, recorded, stored } = world();
    const paid = await aPaidPlan(provider, 'cs-earlier');
    const id = await recorded(paid);

    const first = await settle.execute();
    const again = await settle.execute();

    expect(first).toEqual({ checked: 1, done: 1, pending: 0, failed: 0 });
    expect(again.checked).toBe(0);
    expect((await provider.subscription(paid.subscriptionId))!.status).toBe('canceled');
    expect((await provider.payment(paid.paymentId))!.refunds.map((refund) => [refund.amountMinor, refund.idempotencyKey])).toEqual([[4_900, `refund:cs-${paid.subscriptionId}`]]);
    expect(await stored(id)).toMatchObject({ status: 'done', refundedMinor: 4_900, attempts: 1 });
  });

  it('counts a payment refunded in full already (an answer lost, or a refund by hand) as done, refunding nothing more', async () => {
    const { provider, settle, recorded, stored } = world();
    const paid = await aPaidPlan(provider, 'cs-refunded-by-hand');
    await provider.refund(paid.paymentId, 4_900);
    const id = await recorded(paid);

    await settle.execute();

    expect((await provider.payment(paid.paymentId))!.refunds).toHaveLength(1);
    expect(await stored(id)).toMatchObject({ status: 'done', refundId: null, refundedMinor: 4_900 });
  });

  it('fails at once, subscription canceled, when no payment is known to refund: a person refunds it', async () => {
    const { provider, settle, recorded, stored } = world();
    const paid = await aPaidPlan(provider, 'cs-no-payment');
    const id = await recorded({ subscriptionId: paid.subscriptionId, paymentId: null });

    const report = await settle.execute();

    expect(report).toMatchObject({ checked: 1, failed: 1 });
    expect((await provider.subscription(paid.subscriptionId))!.status).toBe('canceled');
    expect(await stored(id)).toMatchObject({ status: 'failed', lastError: expect.stringContaining('refund it by hand'), refundedAt: null });
    expect((await stored(id)).subscriptionCanceledAt).not.toBeNull();
  });

  it(`tries a provider that keeps failing again with backoff, and gives up after ${MAX_SETTLEMENT_ATTEMPTS} attempts`, async () => {
    const { clock, settle, recorded, stored } = world();
    // A subscription the provider does not know: every attempt fails.
    const id = await recorded({ subscriptionId: 'sbx_sub_unknown', paymentId: 'sbx_pay_unknown' });

    const statuses = [];
    for (let attempt = 1; attempt <= MAX_SETTLEMENT_ATTEMPTS; attempt++) {
      await settle.execute();
      statuses.push((await stored(id)).status);
      clock.advance(settlementRetryDelayMs(attempt));
    }

    expect(statuses).toEqual([...Array(MAX_SETTLEMENT_ATTEMPTS - 1).fill('pending'), 'failed']);
    expect(await stored(id)).toMatchObject({ attempts: MAX_SETTLEMENT_ATTEMPTS, lastError: expect.stringContaining('no subscription sbx_sub_unknown') });
  });
});
