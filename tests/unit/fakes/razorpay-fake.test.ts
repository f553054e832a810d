import Razorpay from 'razorpay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RazorpayFake } from '../../fakes/razorpay-fake.ts';

const KEY_ID = 'rzp_test_fake_state';
const KEY_SECRET = 'secret_fake_state';
const DAY_SECONDS = 86_400;

const fake = new RazorpayFake({ keyId: KEY_ID, keySecret: KEY_SECRET });
let razorpay: Razorpay;

beforeAll(async () => {
  const apiBaseUrl = await fake.start();
  razorpay = new Razorpay({ key_id: KEY_ID, key_secret: KEY_SECRET });
  // The SDK hard-codes Razorpay's address; RazorpayClient re-points its axios instance the same way.
  (razorpay as unknown as { api: { rq: { defaults: { baseURL?: string } } } }).api.rq.defaults.baseURL = apiBaseUrl;
});

afterAll(async () => {
  await fake.stop();
});

/** A Route linked account Razorpay has activated, and one direct transfer of `amountPaise` to it. */
async function aTransfer(amountPaise: number): Promise<string> {
  const account = await razorpay.accounts.create({
    type: 'route',
    email: 'creator@example.test',
    phone: '9000090000',
    legal_business_name: 'Creator Studio',
    business_type: 'individual',
    profile: { category: 'education', subcategory: 'coaching' },
  } as never);
  await razorpay.products.requestProductConfiguration(account.id, { product_name: 'route', tnc_accepted: true } as never);
  fake.verifyAccount(account.id);
  return (await razorpay.transfers.create({ account: account.id, amount: amountPaise, currency: 'INR' } as never)).id;
}

describe('Razorpay fake: payments', () => {
  it('cancels only a link in the created state, and then takes no payment for it', async () => {
    const open = (await razorpay.paymentLink.create({ amount: 416_500, currency: 'INR', description: 'pro plan' } as never)) as { id: string };
    const paid = (await razorpay.paymentLink.create({ amount: 416_500, currency: 'INR', description: 'pro plan' } as never)) as { id: string };
    fake.payLink(paid.id);

    const cancelled = await razorpay.paymentLink.cancel(open.id);
    const refused = await razorpay.paymentLink.cancel(paid.id).catch((error: unknown) => error);

    expect(cancelled).toMatchObject({ id: open.id, status: 'cancelled' });
    expect(refused).toMatchObject({ statusCode: 400, error: { code: 'BAD_REQUEST_ERROR' } });
    expect(fake.link(paid.id)!.status).toBe('paid');
    expect(() => fake.payLink(open.id)).toThrow(/no open payment link/);
  });

  it('a paid link leaves a captured payment that carries the link’s notes and amount', async () => {
    const link = (await razorpay.paymentLink.create({ amount: 212_500, currency: 'INR', description: 'Wallet deposit', notes: { purpose: 'deposit' } } as never)) as { id: string };
    fake.payLink(link.id);
    const paid = (await razorpay.paymentLink.fetch(link.id)) as unknown as { payments: Array<{ payment_id: string }> };
    const paymentId = paid.payments[0]!.payment_id;

    const payment = await razorpay.payments.fetch(paymentId);

    expect(payment).toMatchObject({
      id: paymentId,
      entity: 'payment',
      amount: 212_500,
      currency: 'INR',
      status: 'captured',
      captured: true,
      method: 'upi',
      amount_refunded: 0,
      refund_status: null,
      order_id: null,
      notes: { purpose: 'deposit' },
      description: 'Wallet deposit',
      error_code: null,
    });
  });

  it('refunds raise amount_refunded, partial then full, and list newest first under the payment', async () => {
    const paymentId = fake.createPayment({ amount: 50_000, notes: { purpose: 'deposit' } });

    const firstRefundId = fake.refundPayment(paymentId, 20_000);
    const partly = await razorpay.payments.fetch(paymentId);
    const secondRefundId = fake.refundPayment(paymentId, 30_000);
    const fully = await razorpay.payments.fetch(paymentId);
    const refunds = await razorpay.payments.fetchMultipleRefund(paymentId);

    expect(partly).toMatchObject({ amount_refunded: 20_000, refund_status: 'partial', status: 'captured' });
    expect(fully).toMatchObject({ amount_refunded: 50_000, refund_status: 'full', status: 'refunded' });
    expect(refunds).toMatchObject({ entity: 'collection', count: 2 });
    expect(refunds.items.map((refund) => refund.id)).toEqual([secondRefundId, firstRefundId]);
    expect(() => fake.refundPayment(paymentId, 1)).toThrow(/exceeds/);
  });

  it('unknown ids answer Razorpay’s bad request that the id does not exist', async () => {
    const refused = { statusCode: 400, error: { code: 'BAD_REQUEST_ERROR', description: 'The id provided does not exist' } };

    await expect(razorpay.payments.fetch('pay_missing')).rejects.toMatchObject(refused);
    await expect(razorpay.disputes.fetch('disp_missing')).rejects.toMatchObject(refused);
    await expect(razorpay.subscriptions.fetch('sub_missing')).rejects.toMatchObject(refused);
  });
});

describe('Razorpay fake: disputes, subscriptions and transfers over time', () => {
  it('a dispute opens on a payment and a fetch answers the status Razorpay moved it to', async () => {
    const paymentId = fake.createPayment({ amount: 85_000 });
    const disputeId = fake.openDispute(paymentId, 85_000);
    const opened = await razorpay.disputes.fetch(disputeId);

    fake.setDisputeStatus(disputeId, 'lost');

    expect(opened).toMatchObject({ entity: 'dispute', payment_id: paymentId, amount: 85_000, currency: 'INR', status: 'open', phase: 'chargeback' });
    expect(await razorpay.disputes.fetch(disputeId)).toMatchObject({ status: 'lost', amount_deducted: 85_000 });
  });

  it('charging a subscription counts the payment and moves its period forward by one cycle', async () => {
    const subscriptionId = fake.createSubscription({ planId: 'plan_starter_monthly', notes: { user_id: 'user-1' } });
    const before = await razorpay.subscriptions.fetch(subscriptionId);

    fake.chargeSubscription(subscriptionId);
    const after = await razorpay.subscriptions.fetch(subscriptionId);

    expect(before).toMatchObject({ entity: 'subscription', plan_id: 'plan_starter_monthly', status: 'active', paid_count: 1, notes: { user_id: 'user-1' } });
    expect(after).toMatchObject({ status: 'active', paid_count: 2, current_start: before.current_end, current_end: before.current_end! + 30 * DAY_SECONDS });
  });

  it('a cancelled subscription shows as cancelled and refuses to be charged again', async () => {
    const subscriptionId = fake.createSubscription({ planId: 'plan_pro_monthly', notes: {} });

    fake.setSubscriptionStatus(subscriptionId, 'cancelled');

    expect(await razorpay.subscriptions.fetch(subscriptionId)).toMatchObject({ status: 'cancelled', ended_at: expect.any(Number) });
    expect(() => fake.chargeSubscription(subscriptionId)).toThrow(/cancelled/);
  });

  it('a transfer that later fails or is reversed answers its new status on fetch', async () => {
    const failingId = await aTransfer(10_000);
    const reversingId = await aTransfer(20_000);

    fake.setTransferStatus(failingId, 'failed');
    fake.setTransferStatus(reversingId, 'reversed');

    expect(await razorpay.transfers.fetch(failingId)).toMatchObject({ status: 'failed', error: { reason: 'insufficient_balance' } });
    expect(await razorpay.transfers.fetch(reversingId)).toMatchObject({ status: 'reversed', amount_reversed: 20_000 });
  });
});

describe('Razorpay fake: webhook bodies', () => {
  it('a webhook body carries a snapshot of each named entity as it was when built', () => {
    const paymentId = fake.createPayment({ amount: 10_000 });
    const refundId = fake.refundPayment(paymentId, 4_000);
    const createdAt = new Date('2026-11-22T12:00:00Z');

    const body = fake.eventFor('refund.processed', { refund: refundId, payment: paymentId }, createdAt);
    fake.refundPayment(paymentId, 6_000);
    const event = JSON.parse(body) as { payload: { payment: { entity: Record<string, unknown> }; refund: { entity: Record<string, unknown> } } };

    expect(event).toMatchObject({ entity: 'event', event: 'refund.processed', contains: ['refund', 'payment'], created_at: createdAt.getTime() / 1000 });
    expect(event.payload.refund.entity).toMatchObject({ id: refundId, entity: 'refund', amount: 4_000, payment_id: paymentId });
    expect(event.payload.payment.entity).toMatchObject({ id: paymentId, amount_refunded: 4_000, refund_status: 'partial' });
  });

  it('a webhook body naming an entity the fake does not hold is refused', () => {
    expect(() => fake.eventFor('payment.captured', { payment: 'pay_missing' })).toThrow(/no payment pay_missing/);
  });

  it('a Route product event is sent for the linked account and carries the product’s status and requirements', async () => {
    const account = await razorpay.accounts.create({
      type: 'route',
      email: 'creator2@example.test',
      phone: '9000090001',
      legal_business_name: 'Second Studio',
      business_type: 'individual',
      profile: { category: 'education', subcategory: 'coaching' },
    } as never);
    const product = await razorpay.products.requestProductConfiguration(account.id, { product_name: 'route', tnc_accepted: true } as never);
    fake.restrictAccount(account.id, 'The bank account name does not match');

    const event = JSON.parse(fake.routeProductEventFor('product.route.needs_clarification', account.id)) as Record<string, unknown>;

    expect(event).toMatchObject({
      account_id: account.id,
      event: 'product.route.needs_clarification',
      contains: ['merchant_product'],
      payload: {
        merchant_product: {
          entity: { id: product.id, activation_status: 'needs_clarification', merchant_id: account.id },
          data: { requirements: [{ reason_code: 'needs_clarification', description: 'The bank account name does not match' }] },
        },
      },
    });
  });
});
