import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StripeFake } from '../../fakes/stripe-fake.ts';

const SECRET_KEY = 'sk_test_fake_state';
const WEBHOOK_SECRET = 'whsec_fake_state';
const MONTHLY_PRICE = 'price_monthly';
const YEARLY_PRICE = 'price_yearly';
const DAY_SECONDS = 86_400;

const fake = new StripeFake({
  secretKey: SECRET_KEY,
  prices: [
    { id: MONTHLY_PRICE, interval: 'month', unitAmount: 1_500 },
    { id: YEARLY_PRICE, interval: 'year', unitAmount: 15_000 },
  ],
});
let stripe: Stripe;

beforeAll(async () => {
  const api = await fake.start();
  stripe = new Stripe(SECRET_KEY, { ...api, maxNetworkRetries: 0, telemetry: false });
});

afterAll(async () => {
  await fake.stop();
});

/** A deposit checkout paid through Stripe, and the PaymentIntent it left. */
async function aPaidDeposit(amountCents = 2_500): Promise<{ sessionId: string; paymentIntentId: string }> {
  const session = await stripe.checkout.sessions.create({
    mode: 'payment',
    line_items: [{ price_data: { currency: 'usd', unit_amount: amountCents, product_data: { name: 'Wallet deposit' } }, quantity: 1 }],
    success_url: 'https://app.test/done?session_id={CHECKOUT_SESSION_ID}',
    payment_intent_data: { metadata: { purpose: 'deposit' } },
  });
  const { paymentIntentId } = fake.completeCheckout(session.id);
  return { sessionId: session.id, paymentIntentId: paymentIntentId! };
}

/** A Connect account that can receive transfers, and one transfer of `amountCents` to it. */
async function aTransfer(amountCents: number): Promise<string> {
  const account = await stripe.accounts.create({ type: 'express', capabilities: { transfers: { requested: true } } });
  fake.verifyAccount(account.id);
  return (await stripe.transfers.create({ amount: amountCents, currency: 'usd', destination: account.id })).id;
}

describe('Stripe fake: objects a paid checkout leaves behind', () => {
  it('completing a payment-mode checkout leaves a succeeded payment intent for the session amount, its charge expandable', async () => {
    const { sessionId, paymentIntentId } = await aPaidDeposit(2_500);

    const session = await stripe.checkout.sessions.retrieve(sessionId);
    const paymentIntent = await stripe.paymentIntents.retrieve(paymentIntentId, { expand: ['latest_charge'] });

    expect(session).toMatchObject({ payment_intent: paymentIntentId, amount_total: 2_500, currency: 'usd', status: 'complete' });
    expect(paymentIntent).toMatchObject({ object: 'payment_intent', status: 'succeeded', amount: 2_500, currency: 'usd', metadata: { purpose: 'deposit' } });
    expect(paymentIntent.latest_charge).toMatchObject({ object: 'charge', payment_intent: paymentIntentId, amount: 2_500, amount_refunded: 0, refunded: false, disputed: false });
  });

  it('a session that expired completes only when the test says Stripe confirmed the payment anyway', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price_data: { currency: 'usd', unit_amount: 900, product_data: { name: 'Wallet deposit' } }, quantity: 1 }],
      success_url: 'https://app.test/done',
    });
    fake.expireCheckout(session.id);

    expect(() => fake.completeCheckout(session.id)).toThrow(/expired/);
    const { paymentIntentId } = fake.completeCheckout(session.id, { evenIfExpired: true });

    expect(await stripe.checkout.sessions.retrieve(session.id)).toMatchObject({ status: 'complete', payment_intent: paymentIntentId, amount_total: 900 });
  });

  it("a paid subscription checkout leaves a paid invoice with its hosted page, the session's invoice and the subscription's latest, expandable two levels deep", async () => {
    const created = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: MONTHLY_PRICE, quantity: 1 }],
      success_url: 'https://app.test/done?session_id={CHECKOUT_SESSION_ID}',
    });
    const { subscriptionId, currentPeriodEnd } = fake.completeCheckout(created.id);

    const session = await stripe.checkout.sessions.retrieve(created.id, { expand: ['invoice', 'subscription.latest_invoice'] });
    const invoice = session.invoice as Stripe.Invoice;
    const subscription = session.subscription as Stripe.Subscription;

    expect(invoice).toMatchObject({ object: 'invoice', status: 'paid', amount_paid: 1_500, currency: 'usd', billing_reason: 'subscription_create', customer: session.customer });
    expect(invoice.hosted_invoice_url).toMatch(/^https:\/\/invoice\.stripe\.com\/i\//);
    expect(invoice.lines.data[0]!.period).toEqual({ start: currentPeriodEnd - 30 * DAY_SECONDS, end: currentPeriodEnd });
    expect(subscription.id).toBe(subscriptionId);
    expect(subscription.latest_invoice).toEqual(invoice);
    expect(await stripe.invoices.retrieve(invoice.id!)).toMatchObject({ id: invoice.id, status: 'paid', hosted_invoice_url: invoice.hosted_invoice_url, subscription: subscriptionId });
  });

  it("a deposit's charge carries a receipt page; a renewal issues a new paid invoice, the subscription's latest", async () => {
    const { paymentIntentId } = await aPaidDeposit(1_200);
    const subscriptionId = fake.createSubscription({ priceId: MONTHLY_PRICE });
    const first = (await stripe.subscriptions.retrieve(subscriptionId)).latest_invoice;

    const { currentPeriodStart, currentPeriodEnd } = fake.renewSubscription(subscriptionId);
    const renewed = await stripe.subscriptions.retrieve(subscriptionId, { expand: ['latest_invoice'] });
    const intent = await stripe.paymentIntents.retrieve(paymentIntentId, { expand: ['latest_charge'] });

    expect((intent.latest_charge as Stripe.Charge).receipt_url).toMatch(/^https:\/\/pay\.stripe\.com\/receipts\/payment\//);
    expect(renewed.latest_invoice).toMatchObject({ status: 'paid', amount_paid: 1_500, billing_reason: 'subscription_cycle', lines: { data: [{ period: { start: currentPeriodStart, end: currentPeriodEnd } }] } });
    expect((renewed.latest_invoice as Stripe.Invoice).id).not.toBe(first);
  });

  it('refuses an expansion Stripe does not offer with its 400, and an unknown invoice with its 404', async () => {
    const { sessionId } = await aPaidDeposit(900);

    await expect(stripe.checkout.sessions.retrieve(sessionId, { expand: ['success_url'] })).rejects.toMatchObject({ statusCode: 400, param: 'expand' });
    await expect(stripe.invoices.retrieve('in_missing')).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });

  it('completing a subscription-mode checkout leaves no payment intent on the session but a first invoice its payment intent paid, listed with invoice.payments', async () => {
    const created = await stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: MONTHLY_PRICE, quantity: 1 }], success_url: 'https://app.test/done' });
    const { subscriptionId, paymentIntentId } = fake.completeCheckout(created.id);

    const session = await stripe.checkout.sessions.retrieve(created.id, { expand: ['invoice.payments'] });
    const invoice = session.invoice as Stripe.Invoice;
    const paymentIntent = await stripe.paymentIntents.retrieve(paymentIntentId!);

    expect(session).toMatchObject({ payment_intent: null, subscription: subscriptionId, status: 'complete' });
    expect(invoice).toMatchObject({ object: 'invoice', status: 'paid', amount_paid: 1_500, subscription: subscriptionId });
    expect(invoice.payments!.data).toEqual([expect.objectContaining({ object: 'invoice_payment', status: 'paid', payment: { type: 'payment_intent', payment_intent: paymentIntentId } })]);
    expect(paymentIntent).toMatchObject({ status: 'succeeded', amount: 1_500 });
    expect(fake.subscription(subscriptionId)!['latest_invoice']).toBe(invoice.id);
  });

  it("expires only an open session, answering Stripe's own refusal otherwise", async () => {
    const created = await stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: MONTHLY_PRICE, quantity: 1 }], success_url: 'https://app.test/done' });

    const expired = await stripe.checkout.sessions.expire(created.id);
    const again = await stripe.checkout.sessions.expire(created.id).catch((error: unknown) => error);

    expect(expired).toMatchObject({ status: 'expired', url: null });
    expect(again).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError', message: expect.stringContaining('can be expired. This Checkout Session has a status of `expired`') });
  });

  it('refunds a payment intent by POST /v1/refunds, what is left by default, and refuses more than is left or a charge refunded already', async () => {
    const { paymentIntentId } = await aPaidDeposit(2_000);

    const part = await stripe.refunds.create({ payment_intent: paymentIntentId, amount: 500, reason: 'duplicate' });
    const tooMuch = await stripe.refunds.create({ payment_intent: paymentIntentId, amount: 1_501 }).catch((error: unknown) => error);
    const rest = await stripe.refunds.create({ payment_intent: paymentIntentId });
    const none = await stripe.refunds.create({ payment_intent: paymentIntentId }).catch((error: unknown) => error);

    expect(part).toMatchObject({ object: 'refund', amount: 500, payment_intent: paymentIntentId, status: 'succeeded', reason: 'duplicate' });
    expect(tooMuch).toMatchObject({ statusCode: 400, code: 'amount_too_large' });
    expect(rest).toMatchObject({ amount: 1_500 });
    expect(none).toMatchObject({ statusCode: 400, code: 'charge_already_refunded' });
    expect((await stripe.paymentIntents.retrieve(paymentIntentId, { expand: ['latest_charge'] })).latest_charge).toMatchObject({ amount_refunded: 2_000, refunded: true });
  });

  it('cancels a subscription at once on DELETE, and answers a second cancel "No such subscription" while a retrieve still finds it', async () => {
    const created = await stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: YEARLY_PRICE, quantity: 1 }], success_url: 'https://app.test/done' });
    const { subscriptionId } = fake.completeCheckout(created.id);

    const canceled = await stripe.subscriptions.cancel(subscriptionId);
    const again = await stripe.subscriptions.cancel(subscriptionId).catch((error: unknown) => error);

    expect(canceled).toMatchObject({ status: 'canceled', ended_at: expect.any(Number) });
    expect(again).toMatchObject({ statusCode: 404, code: 'resource_missing' });
    expect(await stripe.subscriptions.retrieve(subscriptionId)).toMatchObject({ status: 'canceled' });
  });

  it('unknown ids answer Stripe’s 404 resource_missing error', async () => {
    await expect(stripe.paymentIntents.retrieve('pi_missing')).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
    await expect(stripe.charges.retrieve('ch_missing')).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
    await expect(stripe.disputes.retrieve('dp_missing')).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
    await expect(stripe.transfers.retrieve('tr_missing')).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });
});

describe('Stripe fake: refunds and disputes', () => {
  it('a partial refund raises amount_refunded; the charge reads refunded only once all of it is back', async () => {
    const { paymentIntentId } = await aPaidDeposit(2_500);
    const chargeId = fake.paymentIntent(paymentIntentId)!['latest_charge'] as string;

    fake.refund(paymentIntentId, 1_000);
    const partly = await stripe.charges.retrieve(chargeId);
    fake.refund(paymentIntentId, 1_500);
    const fully = await stripe.charges.retrieve(chargeId);

    expect(partly).toMatchObject({ amount_refunded: 1_000, refunded: false });
    expect(fully).toMatchObject({ amount_refunded: 2_500, refunded: true });
    expect(fully.refunds!.data.map((refund) => refund.amount)).toEqual([1_500, 1_000]);
  });

  it('refusing a refund beyond what was charged leaves the charge as it was', async () => {
    const { paymentIntentId } = await aPaidDeposit(2_500);

    expect(() => fake.refund(paymentIntentId, 2_501)).toThrow(/exceeds/);
    expect(fake.charge(fake.paymentIntent(paymentIntentId)!['latest_charge'] as string)).toMatchObject({ amount_refunded: 0, refunded: false });
  });

  it('disputes list by payment intent and by charge, and a retrieve answers the status Stripe moved them to', async () => {
    const { paymentIntentId } = await aPaidDeposit(2_500);
    const other = await aPaidDeposit(700);
    const disputeId = fake.openDispute(paymentIntentId, 2_000);
    fake.openDispute(other.paymentIntentId, 700);

    const listed = await stripe.disputes.list({ payment_intent: paymentIntentId, limit: 5 });
    const chargeId = fake.paymentIntent(paymentIntentId)!['latest_charge'] as string;
    const byCharge = await stripe.disputes.list({ charge: chargeId });
    fake.setDisputeStatus(disputeId, 'won');

    expect(listed).toMatchObject({ object: 'list', has_more: false, url: '/v1/disputes' });
    expect(listed.data.map((dispute) => dispute.id)).toEqual([disputeId]);
    expect(byCharge.data.map((dispute) => dispute.id)).toEqual([disputeId]);
    expect(await stripe.disputes.retrieve(disputeId)).toMatchObject({ status: 'won', amount: 2_000, charge: chargeId, payment_intent: paymentIntentId });
    expect((await stripe.charges.retrieve(chargeId)).disputed).toBe(true);
  });
});

describe('Stripe fake: subscriptions over time', () => {
  it('renewing moves the item’s period on by its price interval and makes a past_due subscription active again', async () => {
    const subscriptionId = fake.createSubscription({ priceId: MONTHLY_PRICE, metadata: { user_id: 'user-1' } });
    const before = (await stripe.subscriptions.retrieve(subscriptionId)).items.data[0]!;
    fake.setSubscriptionStatus(subscriptionId, 'past_due');

    const renewed = fake.renewSubscription(subscriptionId);
    const after = await stripe.subscriptions.retrieve(subscriptionId);

    expect(renewed.currentPeriodStart).toBe(before.current_period_end);
    expect(after.status).toBe('active');
    expect(after.items.data[0]).toMatchObject({ current_period_start: before.current_period_end, current_period_end: before.current_period_end + 30 * DAY_SECONDS });
  });

  it('a price change and an immediate cancellation show on retrieve, and an ended subscription refuses further changes', async () => {
    const subscriptionId = fake.createSubscription({ priceId: MONTHLY_PRICE });

    fake.changeSubscriptionPrice(subscriptionId, YEARLY_PRICE);
    const changed = await stripe.subscriptions.retrieve(subscriptionId);
    fake.cancelSubscriptionNow(subscriptionId);
    const canceled = await stripe.subscriptions.retrieve(subscriptionId);

    expect(changed.items.data[0]!.price).toMatchObject({ id: YEARLY_PRICE, recurring: { interval: 'year' } });
    expect(canceled).toMatchObject({ status: 'canceled', ended_at: expect.any(Number), canceled_at: expect.any(Number) });
    expect(() => fake.renewSubscription(subscriptionId)).toThrow(/canceled/);
  });

  it('cancel_at_period_end set through the SDK still works on a subscription made outside checkout', async () => {
    const subscriptionId = fake.createSubscription({ priceId: MONTHLY_PRICE });

    const updated = await stripe.subscriptions.update(subscriptionId, { cancel_at_period_end: true });

    expect(updated).toMatchObject({ cancel_at_period_end: true, cancel_at: updated.items.data[0]!.current_period_end });
  });
});

describe('Stripe fake: transfers', () => {
  it('a partial reversal raises amount_reversed; the transfer reads reversed only once all of it is back', async () => {
    const transferId = await aTransfer(2_000);

    fake.reverseTransfer(transferId, 500);
    const partly = await stripe.transfers.retrieve(transferId);
    fake.reverseTransfer(transferId);
    const fully = await stripe.transfers.retrieve(transferId);

    expect(partly).toMatchObject({ amount_reversed: 500, reversed: false });
    expect(fully).toMatchObject({ amount_reversed: 2_000, reversed: true });
    expect(() => fake.reverseTransfer(transferId, 1)).toThrow(/exceeds/);
  });
});

describe('Stripe fake: events', () => {
  it('an event carries a snapshot of the object when it was built, and the SDK verifies and parses it', async () => {
    const { paymentIntentId } = await aPaidDeposit(2_500);
    fake.refund(paymentIntentId, 1_000);
    const createdAt = new Date('2026-11-22T12:00:00Z');

    const body = fake.eventFor('charge.refunded', paymentIntentId, { id: 'evt_refund_1', createdAt });
    fake.refund(paymentIntentId, 1_500);
    const header = stripe.webhooks.generateTestHeaderString({ payload: body, secret: WEBHOOK_SECRET });
    const event = stripe.webhooks.constructEvent(body, header, WEBHOOK_SECRET);

    expect(event).toMatchObject({ id: 'evt_refund_1', object: 'event', type: 'charge.refunded', created: createdAt.getTime() / 1000, livemode: false });
    expect(event.data.object).toMatchObject({ object: 'charge', payment_intent: paymentIntentId, amount_refunded: 1_000, refunded: false });
  });

  it('an invoice event names the subscription and carries its current period, paid or open by event type', async () => {
    const subscriptionId = fake.createSubscription({ priceId: MONTHLY_PRICE, metadata: { user_id: 'user-2' } });
    const { currentPeriodStart, currentPeriodEnd } = fake.renewSubscription(subscriptionId);

    const paid = JSON.parse(fake.eventFor('invoice.paid', subscriptionId)) as { data: { object: Record<string, unknown> } };
    const failed = JSON.parse(fake.eventFor('invoice.payment_failed', subscriptionId)) as { data: { object: Record<string, unknown> } };

    expect(paid.data.object).toMatchObject({
      object: 'invoice',
      status: 'paid',
      subscription: subscriptionId,
      customer: fake.subscription(subscriptionId)!['customer'],
      parent: { subscription_details: { subscription: subscriptionId } },
      lines: { data: [{ period: { start: currentPeriodStart, end: currentPeriodEnd } }] },
    });
    expect(failed.data.object).toMatchObject({ status: 'open', amount_paid: 0 });
  });

  it('events about checkout sessions, disputes, payment intents and subscriptions carry those objects; unknown ids are refused', async () => {
    const { sessionId, paymentIntentId } = await aPaidDeposit(2_500);
    const disputeId = fake.openDispute(paymentIntentId, 2_500);
    const objectOf = (type: string, id: string) => (JSON.parse(fake.eventFor(type, id)) as { data: { object: { id: string; object: string } } }).data.object;

    expect(objectOf('checkout.session.completed', sessionId)).toMatchObject({ id: sessionId, object: 'checkout.session' });
    expect(objectOf('charge.dispute.created', disputeId)).toMatchObject({ id: disputeId, object: 'dispute', status: 'needs_response' });
    expect(objectOf('payment_intent.succeeded', paymentIntentId)).toMatchObject({ id: paymentIntentId, object: 'payment_intent' });
    expect(() => fake.eventFor('customer.subscription.updated', 'sub_missing')).toThrow(/no subscription/);
  });
});
