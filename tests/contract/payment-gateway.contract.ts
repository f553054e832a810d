import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { DepositCheckoutRequest, PaymentGateway, PlanCheckoutRequest } from '../../application/billing/payment-gateway.port.ts';
import { ProviderError } from '../../domain/shared/errors.ts';
import { Money } from '../../domain/shared/money.value-object.ts';

export interface PaymentGatewayUnderTest {
  readonly gateway: PaymentGateway;
  /** The user pays the checkout on the provider's hosted page. */
  pay(providerSessionId: string): void | Promise<void>;
  /** The checkout runs out of time unpaid. */
  expire(providerSessionId: string): void | Promise<void>;
  /** The currency this gateway charges plans in. */
  readonly currency: 'USD' | 'INR';
}

/** The pro plan, yearly, in each gateway's currency. */
const PRICES = { USD: Money.of(44100, 'USD'), INR: Money.of(3748500, 'INR') } as const;

export function aPlanCheckoutRequest(currency: 'USD' | 'INR', overrides: Partial<PlanCheckoutRequest> = {}): PlanCheckoutRequest {
  return {
    sessionId: randomUUID(),
    userId: `user-${randomUUID()}`,
    tier: 'pro',
    billingInterval: 'yearly',
    price: PRICES[currency],
    customerId: null,
    successUrl: new URL('https://app.aerostack.dev/settings/billing?success=true'),
    cancelUrl: new URL('https://app.aerostack.dev/settings/billing?canceled=true'),
    ...overrides,
  };
}

/** A $25.00 wallet deposit, charged in each gateway's currency (INR at 85). */
export function aDepositCheckoutRequest(currency: 'USD' | 'INR'): DepositCheckoutRequest {
  return {
    sessionId: randomUUID(),
    userId: `user-${randomUUID()}`,
    charge: currency === 'USD' ? Money.of(2_500, 'USD') : Money.of(212_500, 'INR'),
    credit: Money.of(2_500, 'USD'),
    customerId: null,
    successUrl: new URL('https://app.aerostack.dev/settings/billing?deposit=success'),
    cancelUrl: new URL('https://app.aerostack.dev/settings/billing'),
  };
}

/**
 * What every PaymentGateway must do, seen from the application: run against the sandbox and
 * against the Stripe and Razorpay adapters driving their official SDKs over HTTP to local fakes,
 * so the application can rely on the same behaviour from all three.
 */
export function runPaymentGatewayContract(name: string, setup: () => Promise<PaymentGatewayUnderTest>): void {
  describe(`PaymentGateway contract: ${name}`, () => {
    let subject: PaymentGatewayUnderTest;

    beforeEach(async () => {
      subject = await setup();
    });

    it('creates a plan checkout with a provider session id and a web URL to send the user to', async () => {
      const created = await subject.gateway.createPlanCheckout(aPlanCheckoutRequest(subject.currency));

      expect(created.providerSessionId).toMatch(/\S/);
      expect(['https:', 'http:']).toContain(new URL(created.url).protocol);
    });

    it('creates a deposit checkout that is open, then paid with purpose deposit, our session id and a payment, and no subscription', async () => {
      const request = aDepositCheckoutRequest(subject.currency);
      const created = await subject.gateway.createDepositCheckout(request);
      const open = await subject.gateway.retrieveCheckout(created.providerSessionId);
      await subject.pay(created.providerSessionId);
      const paid = await subject.gateway.retrieveCheckout(created.providerSessionId);

      expect(['https:', 'http:']).toContain(new URL(created.url).protocol);
      expect(open).toMatchObject({ status: 'open', purpose: 'deposit', sessionId: request.sessionId });
      expect(paid).toMatchObject({ status: 'paid', purpose: 'deposit', sessionId: request.sessionId, subscriptionId: null });
      expect(paid.paymentId).toMatch(/\S/);
    });

    it('gives two checkouts two different provider session ids', async () => {
      const first = await subject.gateway.createPlanCheckout(aPlanCheckoutRequest(subject.currency));
      const second = await subject.gateway.createPlanCheckout(aPlanCheckoutRequest(subject.currency));

      expect(second.providerSessionId).not.toBe(first.providerSessionId);
    });

    it('reports a new checkout as open, echoing our session id and the plan purpose', async () => {
      const request = aPlanCheckoutRequest(subject.currency);
      const { providerSessionId } = await subject.gateway.createPlanCheckout(request);

      const checkout = await subject.gateway.retrieveCheckout(providerSessionId);

      expect(checkout).toMatchObject({ providerSessionId, status: 'open', sessionId: request.sessionId, purpose: 'plan' });
    });

    it('reports a checkout the user paid as paid, echoing our session id and the plan purpose', async () => {
      const request = aPlanCheckoutRequest(subject.currency);
      const { providerSessionId } = await subject.gateway.createPlanCheckout(request);

      await subject.pay(providerSessionId);
      const checkout = await subject.gateway.retrieveCheckout(providerSessionId);

      expect(checkout).toMatchObject({ providerSessionId, status: 'paid', sessionId: request.sessionId, purpose: 'plan' });
    });

    it('reports a checkout that ran out of time as expired', async () => {
      const { providerSessionId } = await subject.gateway.createPlanCheckout(aPlanCheckoutRequest(subject.currency));

      await subject.expire(providerSessionId);

      expect((await subject.gateway.retrieveCheckout(providerSessionId)).status).toBe('expired');
    });

    it('keeps checkouts apart: paying one leaves another open', async () => {
      const paid = await subject.gateway.createPlanCheckout(aPlanCheckoutRequest(subject.currency));
      const other = await subject.gateway.createPlanCheckout(aPlanCheckoutRequest(subject.currency));

      await subject.pay(paid.providerSessionId);

      expect((await subject.gateway.retrieveCheckout(other.providerSessionId)).status).toBe('open');
    });

    it('reports what a paid checkout charged, in minor units and the currency named upper case', async () => {
      const request = aDepositCheckoutRequest(subject.currency);
      const { providerSessionId } = await subject.gateway.createDepositCheckout(request);

      await subject.pay(providerSessionId);

      expect((await subject.gateway.retrieveCheckout(providerSessionId)).amount).toEqual({ amountMinor: request.charge.amountMinor, currency: subject.currency });
    });

    it("reads a paid deposit's payment as the provider holds it: its amount, nothing refunded", async () => {
      const request = aDepositCheckoutRequest(subject.currency);
      const { providerSessionId } = await subject.gateway.createDepositCheckout(request);
      await subject.pay(providerSessionId);
      const { paymentId } = await subject.gateway.retrieveCheckout(providerSessionId);

      const payment = await subject.gateway.retrievePayment(paymentId!);

      expect(payment).toMatchObject({ paymentId, amount: { amountMinor: request.charge.amountMinor, currency: subject.currency }, refunded: { amountMinor: 0, currency: subject.currency } });
      expect([{ amountMinor: 0, currency: subject.currency }, null]).toContainEqual(payment.disputed);
    });

    it("issues a paid deposit's receipt: its payment, what it took and a web page, and none while it is open", async () => {
      const request = aDepositCheckoutRequest(subject.currency);
      const { providerSessionId } = await subject.gateway.createDepositCheckout(request);
      const open = await subject.gateway.retrieveCheckout(providerSessionId);
      await subject.pay(providerSessionId);
      const paid = await subject.gateway.retrieveCheckout(providerSessionId);

      expect(open.receipt).toBeNull();
      expect(paid.receipt).toMatchObject({ paymentId: paid.paymentId, amount: { amountMinor: request.charge.amountMinor, currency: subject.currency }, periodStart: null, periodEnd: null });
      expect(['https:', 'http:']).toContain(new URL(paid.receipt!.receiptUrl!).protocol);
    });

    it("issues a paid plan's receipt, which its subscription (where the provider runs one) names as its latest payment", async () => {
      const { providerSessionId } = await subject.gateway.createPlanCheckout(aPlanCheckoutRequest(subject.currency));
      await subject.pay(providerSessionId);
      const paid = await subject.gateway.retrieveCheckout(providerSessionId);

      expect(paid.receipt).toMatchObject({ amount: paid.amount });
      expect(paid.receipt!.paymentId).toMatch(/\S/);
      expect(['https:', 'http:']).toContain(new URL(paid.receipt!.receiptUrl!).protocol);
      if (paid.subscriptionId) {
        const subscription = await subject.gateway.retrieveSubscription(paid.subscriptionId);
        expect(subscription.latestPayment).toEqual(paid.receipt);
        expect(paid.receipt!.periodEnd).toEqual(subscription.currentPeriodEnd);
        expect(paid.receipt!.periodStart!.getTime()).toBeLessThan(paid.receipt!.periodEnd!.getTime());
      }
    });

    it('refuses to read a subscription, payment or dispute it does not know with a ProviderError', async () => {
      for (const read of [
        () => subject.gateway.retrieveSubscription(`sub_unknown_${randomUUID().slice(0, 8)}`),
        () => subject.gateway.retrievePayment(`pay_unknown_${randomUUID().slice(0, 8)}`),
        () => subject.gateway.retrieveDispute(`disp_unknown_${randomUUID().slice(0, 8)}`),
      ]) {
        expect(await read().catch((caught: unknown) => caught)).toBeInstanceOf(ProviderError);
      }
    });

    it('refuses to retrieve a checkout it never created with a ProviderError', async () => {
      const error = await subject.gateway.retrieveCheckout(`unknown_${randomUUID()}`).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(ProviderError);
      expect(error).toMatchObject({ code: 'PROVIDER_ERROR' });
    });

    it('closes an open plan checkout it is asked to expire: it reads as closed, and paying it afterwards is refused', async () => {
      const { providerSessionId } = await subject.gateway.createPlanCheckout(aPlanCheckoutRequest(subject.currency));

      const after = await subject.gateway.expireCheckout(providerSessionId);
      const paying = Promise.resolve().then(() => subject.pay(providerSessionId));

      expect(['expired', 'canceled']).toContain(after.status);
      expect(after.providerSessionId).toBe(providerSessionId);
      await expect(paying).rejects.toThrow();
      expect((await subject.gateway.retrieveCheckout(providerSessionId)).status).toBe(after.status);
    });

    it('answers a plan checkout paid before it could be expired as paid, with its payment, and leaves it paid', async () => {
      const request = aPlanCheckoutRequest(subject.currency);
      const { providerSessionId } = await subject.gateway.createPlanCheckout(request);
      await subject.pay(providerSessionId);

      const after = await subject.gateway.expireCheckout(providerSessionId);

      expect(after).toMatchObject({ providerSessionId, status: 'paid', sessionId: request.sessionId, purpose: 'plan' });
      expect(after.paymentId).toMatch(/\S/);
      expect((await subject.gateway.retrieveCheckout(providerSessionId)).status).toBe('paid');
    });

    it('refunds a paid payment once per idempotency key, however often it is asked', async () => {
      const request = aDepositCheckoutRequest(subject.currency);
      const { providerSessionId } = await subject.gateway.createDepositCheckout(request);
      await subject.pay(providerSessionId);
      const { paymentId } = await subject.gateway.retrieveCheckout(providerSessionId);
      const asked = { paymentId: paymentId!, amount: { amountMinor: request.charge.amountMinor, currency: subject.currency }, idempotencyKey: `refund:${request.sessionId}` };

      const first = await subject.gateway.refundPayment(asked);
      const again = await subject.gateway.refundPayment(asked);

      expect(first).toEqual({ refundId: expect.stringMatching(/\S/), amount: asked.amount });
      expect(again.refundId).toBe(first.refundId);
      expect((await subject.gateway.retrievePayment(paymentId!)).refunded).toEqual({ amountMinor: request.charge.amountMinor, currency: subject.currency });
    });

    it("ends a paid plan's subscription at once, and again without complaint; a gateway with no subscription refuses with a ProviderError", async () => {
      const { providerSessionId } = await subject.gateway.createPlanCheckout(aPlanCheckoutRequest(subject.currency));
      await subject.pay(providerSessionId);
      const { subscriptionId } = await subject.gateway.retrieveCheckout(providerSessionId);

      if (subscriptionId) {
        await subject.gateway.cancelSubscriptionNow(subscriptionId);
        await subject.gateway.cancelSubscriptionNow(subscriptionId);
        expect((await subject.gateway.retrieveSubscription(subscriptionId)).standing).toBe('ended');
      } else {
        await expect(subject.gateway.cancelSubscriptionNow(`sub_unknown_${randomUUID().slice(0, 8)}`)).rejects.toBeInstanceOf(ProviderError);
      }
    });

    it('refuses to expire a checkout, end a subscription or refund a payment it does not know with a ProviderError', async () => {
      const unknown = randomUUID().slice(0, 8);
      for (const call of [
        () => subject.gateway.expireCheckout(`unknown_${unknown}`),
        () => subject.gateway.cancelSubscriptionNow(`sub_unknown_${unknown}`),
        () => subject.gateway.refundPayment({ paymentId: `pay_unknown_${unknown}`, amount: { amountMinor: 100, currency: subject.currency }, idempotencyKey: `refund:${unknown}` }),
      ]) {
        expect(await call().catch((caught: unknown) => caught)).toBeInstanceOf(ProviderError);
      }
    });

    it('opens a customer portal for the customer of a paid checkout exactly when it says it hosts one', async () => {
      const { providerSessionId } = await subject.gateway.createPlanCheckout(aPlanCheckoutRequest(subject.currency));
      await subject.pay(providerSessionId);
      const { customerId } = await subject.gateway.retrieveCheckout(providerSessionId);
      const returnUrl = new URL('https://app.aerostack.dev/settings/billing');

      if (subject.gateway.hostsCustomerPortal) {
        expect(customerId).toMatch(/\S/);
        const portal = await subject.gateway.createPortalSession({ customerId: customerId!, returnUrl });
        expect(['https:', 'http:']).toContain(new URL(portal.url).protocol);
      } else {
        await expect(subject.gateway.createPortalSession({ customerId: customerId ?? 'anyone', returnUrl })).rejects.toBeInstanceOf(ProviderError);
      }
    });
  });
}
