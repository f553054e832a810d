import type { IdGenerator } from '../../application/shared/id-generator.port.ts';
import { planPriceUsd } from '../../domain/billing/plan-catalogue.ts';
import type { BillingInterval, PaidPlanTier, PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { ConflictError, InvalidInputError, NotFoundError } from '../../domain/shared/errors.ts';
import { routeAccountId } from '../razorpay/razorpay.payout-gateway.ts';
import type { SandboxClock } from './sandbox.clock.ts';
import type { SandboxChange, SandboxEvents } from './sandbox.events.ts';
import {
  heldMinor,
  refundedMinor,
  type SandboxAccount,
  type SandboxAmount,
  type SandboxCheckout,
  type SandboxDispute,
  type SandboxPayment,
  type SandboxPlanChange,
  type SandboxPortal,
  type SandboxRefund,
  type SandboxStore,
  type SandboxSubscription,
  type SandboxTransfer,
  type SandboxTransferSettings,
} from './sandbox.store.ts';

/** How long a past-due subscription waits to be paid before the sandbox cancels it (Stripe's default retry schedule runs about two weeks). */
export const PAST_DUE_RETRY_WINDOW_DAYS = 14;
const DAY_MS = 24 * 60 * 60 * 1000;
/** How many of each kind the sandbox pages and the state route list. */
export const SANDBOX_LISTED_PER_KIND = 25;

export interface NewCheckout {
  readonly region: PaymentGatewayName;
  readonly sessionId: string;
  readonly userId: string;
  readonly purpose: SandboxCheckout['purpose'];
  readonly description: string;
  readonly amount: SandboxAmount;
  readonly successUrl: URL;
  readonly cancelUrl: string;
  readonly customerId: string;
  readonly plan: SandboxCheckout['plan'];
}

/** A plan change to open: as it is stored, less what the sandbox fills in itself. */
export type NewPlanChange = Omit<SandboxPlanChange, 'id' | 'createdAt' | 'status' | 'paymentId'>;

/** A plan a subscription moves to: its tier and interval, and what each period of it costs (the same share of today's price by default). */
export interface SandboxPlan {
  readonly tier: PaidPlanTier;
  readonly billingInterval: BillingInterval;
  readonly amount?: SandboxAmount;
}

/** Everything the sandbox holds, newest first per kind: what its pages show and `GET /sandbox/state` answers. */
export interface SandboxState {
  readonly now: string;
  readonly checkouts: SandboxCheckout[];
  readonly subscriptions: SandboxSubscription[];
  readonly payments: SandboxPayment[];
  readonly disputes: SandboxDispute[];
  readonly accounts: SandboxAccount[];
  readonly transfers: SandboxTransfer[];
  readonly planChanges: SandboxPlanChange[];
}

/**
 * A stand-in payment provider, persisted in the service's database, so the whole lifecycle can be
 * clicked through or scripted with no provider account: hosted checkouts; subscriptions that renew
 * at period end on the sandbox's clock, can fail a renewal, be canceled at period end or at once,
 * and change plan; payments that can be refunded (whole or part) and disputed (won or lost);
 * creators' accounts that are verified or restricted; transfers that settle, fail or are reversed.
 * Every change is stored with the events its region's provider would send, which go to this
 * service's webhook routes once it commits. What it does not hold is unknown: never paid, never
 * verified.
 */
export class SandboxProvider {
  private readonly deps: Readonly<{ store: SandboxStore; events: SandboxEvents; ids: IdGenerator; clock: SandboxClock; publicUrl: string }>;

  constructor(deps: SandboxProvider['deps']) {
    this.deps = deps;
  }

  // ——— checkouts ———

  async createCheckout(input: NewCheckout): Promise<{ checkout: SandboxCheckout; url: string }> {
    await this.deps.clock.refresh();
    const id = `sbx_cs_${this.deps.ids.next()}`;
    const success = new URL(input.successUrl.href);
    // Our session id, as every provider's redirect carries it: the id the checkout mutation answered.
    success.searchParams.set('session_id', input.sessionId);
    const checkout: SandboxCheckout = {
      ...input,
      id,
      successUrl: success.href,
      subscriptionId: input.plan ? `sbx_sub_${input.sessionId}` : null,
      createdAt: this.nowIso(),
      status: 'open',
      paymentId: null,
    };
    await this.deps.store.put('checkout', checkout);
    return { checkout, url: this.checkoutUrl(id) };
  }

  checkoutUrl(id: string): string {
    return `${this.deps.publicUrl}/sandbox/checkout/${encodeURIComponent(id)}`;
  }

  checkout(id: string): Promise<SandboxCheckout | null> {
    return this.deps.store.get('checkout', id);
  }

  /** The user pressed Pay: takes the payment (and starts the subscription of a plan). Returns where the browser goes next. */
  async pay(id: string): Promise<string> {
    return this.change(async (emit) => {
      const checkout = await this.deps.store.get('checkout', id, { forUpdate: true });
      if (!checkout) throw new NotFoundError(`no sandbox checkout ${id}`);
      if (checkout.status === 'paid') return checkout.successUrl;
      if (checkout.status !== 'open') throw new ConflictError(`sandbox checkout ${id} is ${checkout.status}: it cannot be paid`);
      const now = this.nowIso();
      const periodEnd = checkout.plan ? addInterval(now, checkout.plan.billingInterval, new Date(now).getUTCDate()).toISOString() : null;
      const payment = await this.takePayment(checkout.region, checkout.userId, checkout.purpose, checkout.amount, {
        checkoutId: checkout.id,
        subscriptionId: checkout.subscriptionId,
        ...(periodEnd ? { periodStart: now, periodEnd } : {}),
      });
      checkout.status = 'paid';
      checkout.paymentId = payment.id;
      await this.deps.store.put('checkout', checkout);
      if (checkout.plan && checkout.subscriptionId && periodEnd) {
        const subscription: SandboxSubscription = {
          id: checkout.subscriptionId,
          region: checkout.region,
          userId: checkout.userId,
          customerId: checkout.customerId,
          tier: checkout.plan.tier,
          billingInterval: checkout.plan.billingInterval,
          amount: checkout.amount,
          status: 'active',
          cancelAtPeriodEnd: false,
          currentPeriodStart: now,
          currentPeriodEnd: periodEnd,
          anchorDay: new Date(now).getUTCDate(),
          failNextRenewal: false,
          pastDueSince: null,
          endedAt: null,
          createdAt: now,
        };
        await this.saveSubscription(subscription);
        await emit({ kind: 'subscription', what: 'created', subscription, paymentId: payment.id });
      }
      await emit({ kind: 'checkout', checkout });
      return checkout.successUrl;
    });
  }

  /** The user pressed Cancel: returns where the browser goes next. */
  async cancel(id: string): Promise<string> {
    return this.change(async () => {
      const checkout = await this.deps.store.get('checkout', id, { forUpdate: true });
      if (!checkout) throw new NotFoundError(`no sandbox checkout ${id}`);
      if (checkout.status === 'paid') throw new ConflictError(`sandbox checkout ${id} is paid: it cannot be canceled`);
      checkout.status = 'canceled';
      await this.deps.store.put('checkout', checkout);
      return checkout.cancelUrl;
    });
  }

  /** An open checkout runs out, as a provider's do after a day. */
  async expire(id: string): Promise<SandboxCheckout> {
    return this.change(async (emit) => {
      const checkout = await this.deps.store.get('checkout', id, { forUpdate: true });
      if (!checkout) throw new NotFoundError(`no sandbox checkout ${id}`);
      if (checkout.status !== 'open') throw new ConflictError(`sandbox checkout ${id} is ${checkout.status}: only an open one expires`);
      checkout.status = 'expired';
      await this.deps.store.put('checkout', checkout);
      await emit({ kind: 'checkout', checkout });
      return checkout;
    });
  }

  // ——— subscriptions ———

  subscription(id: string): Promise<SandboxSubscription | null> {
    return this.deps.store.get('subscription', id);
  }

  /** Makes the subscription's next renewal (or the retry of a past-due one) be declined. */
  async failNextRenewal(id: string): Promise<SandboxSubscription> {
    return this.change(async () => {
      const subscription = await this.liveSubscription(id);
      subscription.failNextRenewal = true;
      await this.saveSubscription(subscription);
      return subscription;
    });
  }

  /** The same, for the user's live subscription (the newest, if they hold several). */
  async failNextRenewalOfUser(userId: string): Promise<SandboxSubscription> {
    const live = (await this.deps.store.findBy('subscription', userId)).filter((subscription) => subscription.status !== 'canceled').at(-1);
    if (!live) throw new NotFoundError(`user ${userId} has no live sandbox subscription`);
    return this.failNextRenewal(live.id);
  }

  /**
   * Renews now: an active subscription's period ends now and the next is charged; a past-due one's
   * open renewal is charged again. A renewal set to fail is declined instead.
   */
  async renewNow(id: string): Promise<SandboxSubscription> {
    return this.change(async (emit) => {
      const subscription = await this.liveSubscription(id);
      if (subscription.status === 'active') this.restartPeriodNow(subscription);
      return this.renew(subscription, this.deps.clock.now(), emit);
    });
  }

  /** Stops renewal at the end of the period (`atPeriodEnd`), or ends the subscription now. */
  async cancelSubscription(id: string, options: { readonly atPeriodEnd: boolean }): Promise<SandboxSubscription> {
    return this.change(async (emit) => {
      const subscription = await this.liveSubscription(id);
      if (options.atPeriodEnd) {
        if (subscription.cancelAtPeriodEnd) return subscription;
        subscription.cancelAtPeriodEnd = true;
        await this.saveSubscription(subscription);
        await emit({ kind: 'subscription', what: 'updated', subscription });
        return subscription;
      }
      return this.end(subscription, emit);
    });
  }

  /**
   * Moves the subscription to another plan, as Stripe does with proration invoiced at once: `now`,
   * on the same interval, the remaining fraction of the period of the price difference is charged
   * and the period runs on; on another interval the billing cycle restarts now, charging the new
   * plan's first period less the unused part of the old one. `period_end`: the change is scheduled
   * for the next renewal, which charges the new price. Only an active subscription changes plan.
   */
  async changePlan(id: string, plan: SandboxPlan, timing: SandboxPlanChange['timing'] = 'now'): Promise<SandboxSubscription> {
    return this.change(async (emit) => {
      const subscription = await this.liveSubscription(id);
      await this.applyPlanChange(subscription, { tier: plan.tier, billingInterval: plan.billingInterval, amount: plan.amount ?? scaledAmount(subscription, plan) }, timing, emit);
      return subscription;
    });
  }

  // ——— plan changes confirmed on the sandbox's page ———

  /** A subscriber's change of plan, to confirm on the page at the returned URL. */
  async createPlanChange(input: NewPlanChange): Promise<{ planChange: SandboxPlanChange; url: string }> {
    return this.change(async () => {
      const subscription = await this.deps.store.get('subscription', input.subscriptionId);
      if (!subscription || subscription.region !== input.region || subscription.userId !== input.userId) throw new NotFoundError(`no sandbox subscription ${input.subscriptionId} of this user`);
      if (subscription.status !== 'active') throw new ConflictError(`sandbox subscription ${subscription.id} is ${subscription.status}: only an active one changes plan`);
      const planChange: SandboxPlanChange = { ...input, id: `sbx_pc_${this.deps.ids.next()}`, createdAt: this.nowIso(), status: 'open', paymentId: null };
      await this.deps.store.put('plan_change', planChange, { lookup: input.subscriptionId });
      return { planChange, url: this.planChangeUrl(planChange.id) };
    });
  }

  planChangeUrl(id: string): string {
    return `${this.deps.publicUrl}/sandbox/plan-change/${encodeURIComponent(id)}`;
  }

  planChange(id: string): Promise<SandboxPlanChange | null> {
    return this.deps.store.get('plan_change', id);
  }

  /** The subscriber pressed Confirm: the change is made (now, prorated) or scheduled (at the period's end). Returns where the browser goes next. */
  async confirmPlanChange(id: string): Promise<string> {
    return this.change(async (emit) => {
      const planChange = await this.deps.store.get('plan_change', id, { forUpdate: true });
      if (!planChange) throw new NotFoundError(`no sandbox plan change ${id}`);
      if (planChange.status === 'confirmed') return planChange.successUrl;
      if (planChange.status !== 'open') throw new ConflictError(`sandbox plan change ${id} is ${planChange.status}: it cannot be confirmed`);
      const subscription = await this.liveSubscription(planChange.subscriptionId);
      planChange.paymentId = await this.applyPlanChange(subscription, planChange, planChange.timing, emit);
      planChange.status = 'confirmed';
      await this.deps.store.put('plan_change', planChange, { lookup: planChange.subscriptionId });
      return planChange.successUrl;
    });
  }

  /** The subscriber went back without confirming. Returns where the browser goes next. */
  async cancelPlanChange(id: string): Promise<string> {
    return this.change(async () => {
      const planChange = await this.deps.store.get('plan_change', id, { forUpdate: true });
      if (!planChange) throw new NotFoundError(`no sandbox plan change ${id}`);
      if (planChange.status === 'confirmed') throw new ConflictError(`sandbox plan change ${id} is confirmed: it cannot be canceled`);
      planChange.status = 'canceled';
      await this.deps.store.put('plan_change', planChange, { lookup: planChange.subscriptionId });
      return planChange.cancelUrl;
    });
  }

  /** Makes or schedules the change on the locked subscription; answers the prorated payment it took, if any. */
  private async applyPlanChange(
    subscription: SandboxSubscription,
    plan: Required<SandboxPlan>,
    timing: SandboxPlanChange['timing'],
    emit: Emit,
  ): Promise<string | null> {
    if (subscription.status !== 'active') throw new ConflictError(`sandbox subscription ${subscription.id} is ${subscription.status}: only an active one changes plan`);
    if (plan.amount.currency !== subscription.amount.currency) throw new ConflictError(`sandbox subscription ${subscription.id} bills in ${subscription.amount.currency}, not ${plan.amount.currency}`);
    if (timing === 'period_end') {
      subscription.scheduledChange = { tier: plan.tier, billingInterval: plan.billingInterval, amount: plan.amount };
      await this.saveSubscription(subscription);
      await emit({ kind: 'subscription', what: 'updated', subscription });
      return null;
    }
    const now = this.deps.clock.now();
    const start = new Date(subscription.currentPeriodStart).getTime();
    const end = new Date(subscription.currentPeriodEnd).getTime();
    const remainingMs = Math.max(0, end - now.getTime());
    const periodMs = Math.max(1, end - start);
    let chargeMinor: number;
    if (plan.billingInterval === subscription.billingInterval) {
      chargeMinor = prorateMinor(plan.amount.amountMinor - subscription.amount.amountMinor, remainingMs, periodMs);
    } else {
      chargeMinor = plan.amount.amountMinor - prorateMinor(subscription.amount.amountMinor, remainingMs, periodMs);
      subscription.currentPeriodStart = now.toISOString();
      subscription.anchorDay = now.getUTCDate();
      subscription.currentPeriodEnd = addInterval(subscription.currentPeriodStart, plan.billingInterval, subscription.anchorDay).toISOString();
    }
    subscription.tier = plan.tier;
    subscription.billingInterval = plan.billingInterval;
    subscription.amount = plan.amount;
    subscription.scheduledChange = null;
    // What is owed is charged now; a credit (a cheaper plan made now) is not paid out, as Stripe keeps it on the customer's balance.
    const payment =
      chargeMinor > 0
        ? await this.takePayment(subscription.region, subscription.userId, 'proration', { amountMinor: chargeMinor, currency: subscription.amount.currency }, { checkoutId: null, subscriptionId: subscription.id })
        : null;
    await this.saveSubscription(subscription);
    await emit({ kind: 'subscription', what: 'updated', subscription, ...(payment ? { paymentId: payment.id } : {}) });
    return payment?.id ?? null;
  }

  /** The moment the next subscription change is due (a renewal, a period end, a past-due one given up), if at or before `until`. */
  async nextDueAt(until: Date): Promise<Date | null> {
    return (await this.deps.store.nextDue('subscription', until))?.dueAt ?? null;
  }

  /**
   * Makes every subscription change due at or before `now` (the sandbox's clock is there), oldest
   * first; its callers send the events together afterwards (deliverEvents).
   */
  async runDue(now: Date): Promise<number> {
    const { store, events } = this.deps;
    const emit: Emit = (change) => events.record(change);
    let ran = 0;
    // One transaction per subscription, each locking it.
    for (;;) {
      const outcome = await store.transaction(async () => {
        const due = await store.nextDue('subscription', now);
        if (!due) return 'none';
        const subscription = (await store.get('subscription', due.object.id, { forUpdate: true }))!;
        const dueAt = subscriptionDueAt(subscription);
        if (!dueAt || dueAt > now) return 'taken by another process';
        if (subscription.status === 'past_due' || subscription.cancelAtPeriodEnd) await this.end(subscription, emit, dueAt);
        else await this.renew(subscription, dueAt, emit);
        return 'ran';
      });
      if (outcome === 'none') break;
      if (outcome === 'ran') ran++;
    }
    return ran;
  }

  private async renew(subscription: SandboxSubscription, at: Date, emit: Emit): Promise<SandboxSubscription> {
    const declined = subscription.failNextRenewal;
    subscription.failNextRenewal = false;
    if (subscription.status === 'active') {
      // A change scheduled for the period's end takes effect with the renewal, which charges the new plan.
      const scheduled = subscription.scheduledChange;
      if (scheduled) {
        subscription.tier = scheduled.tier;
        subscription.billingInterval = scheduled.billingInterval;
        subscription.amount = scheduled.amount;
        subscription.scheduledChange = null;
      }
      // The period renews whether or not its charge goes through; a declined one leaves it past due.
      subscription.currentPeriodStart = subscription.currentPeriodEnd;
      subscription.currentPeriodEnd = addInterval(subscription.currentPeriodStart, subscription.billingInterval, subscription.anchorDay).toISOString();
    }
    if (declined) {
      subscription.status = 'past_due';
      subscription.pastDueSince ??= at.toISOString();
      await this.saveSubscription(subscription);
      await emit({ kind: 'subscription', what: 'renewal_failed', subscription });
      return subscription;
    }
    const payment = await this.takePayment(subscription.region, subscription.userId, 'renewal', subscription.amount, {
      checkoutId: null,
      subscriptionId: subscription.id,
      periodStart: subscription.currentPeriodStart,
      periodEnd: subscription.currentPeriodEnd,
    });
    subscription.status = 'active';
    subscription.pastDueSince = null;
    await this.saveSubscription(subscription);
    await emit({ kind: 'subscription', what: 'renewed', subscription, paymentId: payment.id });
    return subscription;
  }

  private async end(subscription: SandboxSubscription, emit: Emit, at = this.deps.clock.now()): Promise<SandboxSubscription> {
    subscription.status = 'canceled';
    subscription.endedAt = at.toISOString();
    await this.saveSubscription(subscription);
    await emit({ kind: 'subscription', what: 'ended', subscription });
    return subscription;
  }

  /** The current period ends now, and the billing cycle is anchored on today, as a renewal now or a plan change does at Stripe. */
  private restartPeriodNow(subscription: SandboxSubscription): void {
    const now = this.deps.clock.now();
    subscription.currentPeriodEnd = now.toISOString();
    subscription.anchorDay = now.getUTCDate();
  }

  private async liveSubscription(id: string): Promise<SandboxSubscription> {
    const subscription = await this.deps.store.get('subscription', id, { forUpdate: true });
    if (!subscription) throw new NotFoundError(`no sandbox subscription ${id}`);
    if (subscription.status === 'canceled') throw new ConflictError(`sandbox subscription ${id} has ended`);
    return subscription;
  }

  private saveSubscription(subscription: SandboxSubscription): Promise<void> {
    return this.deps.store.put('subscription', subscription, { dueAt: subscriptionDueAt(subscription), lookup: subscription.userId });
  }

  // ——— payments, refunds and disputes ———

  payment(id: string): Promise<SandboxPayment | null> {
    return this.deps.store.get('payment', id);
  }

  /** The latest payment the subscription took: its first, or its last renewal (a declined one takes none). */
  async latestPaymentOf(subscriptionId: string): Promise<SandboxPayment | null> {
    return (await this.deps.store.findBy('payment', subscriptionId)).filter((payment) => payment.purpose !== 'deposit').at(-1) ?? null;
  }

  /** The sandbox's receipt page of a payment, as a provider hosts one. */
  receiptUrl(paymentId: string): string {
    return `${this.deps.publicUrl}/sandbox/receipts/${encodeURIComponent(paymentId)}`;
  }

  disputesOf(paymentId: string): Promise<SandboxDispute[]> {
    return this.deps.store.findBy('dispute', paymentId);
  }

  dispute(id: string): Promise<SandboxDispute | null> {
    return this.deps.store.get('dispute', id);
  }

  /**
   * Gives back `amountMinor` of the payment (all that is left, by default). With an idempotency key,
   * a refund made with that key before is answered instead of a new one, as providers do.
   */
  async refund(paymentId: string, amountMinor?: number, idempotencyKey?: string): Promise<SandboxPayment> {
    return this.change(async (emit) => {
      const payment = await this.deps.store.get('payment', paymentId, { forUpdate: true });
      if (!payment) throw new NotFoundError(`no sandbox payment ${paymentId}`);
      if (idempotencyKey !== undefined && payment.refunds.some((refund) => refund.idempotencyKey === idempotencyKey)) return payment;
      // Money a dispute holds or took is not the merchant's to give back (Stripe answers charge_disputed).
      const left = payment.amount.amountMinor - refundedMinor(payment) - heldMinor(await this.disputesOf(paymentId));
      const amount = amountWithin(amountMinor, left, `payment ${paymentId} has ${left} minor units neither refunded nor held by a dispute`);
      const refund: SandboxRefund = { id: `sbx_rf_${this.deps.ids.next()}`, amountMinor: amount, createdAt: this.nowIso(), ...(idempotencyKey === undefined ? {} : { idempotencyKey }) };
      payment.refunds.push(refund);
      await this.deps.store.put('payment', payment);
      await emit({ kind: 'refund', payment, refund });
      return payment;
    });
  }

  /** Opens a dispute of `amountMinor` of the payment (all that is neither refunded nor disputed, by default). */
  async openDispute(paymentId: string, amountMinor?: number): Promise<SandboxDispute> {
    return this.change(async (emit) => {
      const payment = await this.deps.store.get('payment', paymentId, { forUpdate: true });
      if (!payment) throw new NotFoundError(`no sandbox payment ${paymentId}`);
      const left = payment.amount.amountMinor - refundedMinor(payment) - heldMinor(await this.disputesOf(paymentId));
      const amount = amountWithin(amountMinor, left, `payment ${paymentId} has ${left} minor units neither refunded nor disputed`);
      const dispute: SandboxDispute = { id: `sbx_dp_${this.deps.ids.next()}`, region: payment.region, paymentId, amount: { amountMinor: amount, currency: payment.amount.currency }, status: 'open', createdAt: this.nowIso() };
      await this.deps.store.put('dispute', dispute, { lookup: paymentId });
      await emit({ kind: 'dispute', dispute });
      return dispute;
    });
  }

  /** Closes an open dispute: won gives the money back to the merchant, lost keeps it taken. */
  async closeDispute(id: string, outcome: 'won' | 'lost'): Promise<SandboxDispute> {
    return this.change(async (emit) => {
      const dispute = await this.deps.store.get('dispute', id, { forUpdate: true });
      if (!dispute) throw new NotFoundError(`no sandbox dispute ${id}`);
      if (dispute.status !== 'open') throw new ConflictError(`sandbox dispute ${id} is ${dispute.status} already`);
      dispute.status = outcome;
      await this.deps.store.put('dispute', dispute, { lookup: dispute.paymentId });
      await emit({ kind: 'dispute', dispute });
      return dispute;
    });
  }

  private async takePayment(
    region: PaymentGatewayName,
    userId: string,
    purpose: SandboxPayment['purpose'],
    amount: SandboxAmount,
    of: { readonly checkoutId: string | null; readonly subscriptionId: string | null; readonly periodStart?: string; readonly periodEnd?: string },
  ): Promise<SandboxPayment> {
    const payment: SandboxPayment = { id: `sbx_pay_${this.deps.ids.next()}`, region, userId, purpose, ...of, amount, refunds: [], createdAt: this.nowIso() };
    await this.deps.store.put('payment', payment, { lookup: of.subscriptionId ?? of.checkoutId });
    return payment;
  }

  // ——— portals ———

  async createPortal(customerId: string, returnUrl: URL): Promise<string> {
    const portal: SandboxPortal = { id: `sbx_bps_${this.deps.ids.next()}`, customerId, returnUrl: returnUrl.href };
    await this.deps.store.put('portal', portal);
    return `${this.deps.publicUrl}/sandbox/portal/${encodeURIComponent(portal.id)}`;
  }

  portal(id: string): Promise<SandboxPortal | null> {
    return this.deps.store.get('portal', id);
  }

  // ——— creators' accounts and transfers ———

  /** Opens (or, for an account it holds, reopens) onboarding: the page at the returned URL completes it. */
  async startOnboarding(region: PaymentGatewayName, creatorId: string, accountId: string | null, returnUrl: URL): Promise<{ account: SandboxAccount; url: string }> {
    return this.change(async () => {
      const known = accountId ? await this.deps.store.get('account', accountId, { forUpdate: true }) : null;
      const account: SandboxAccount = known ?? { id: this.newAccountId(region), region, creatorId, returnUrl: returnUrl.href, status: 'pending', reason: null, createdAt: this.nowIso() };
      account.returnUrl = returnUrl.href;
      await this.deps.store.put('account', account);
      return { account, url: this.onboardingUrl(account.id) };
    });
  }

  onboardingUrl(accountId: string): string {
    return `${this.deps.publicUrl}/sandbox/onboarding/${encodeURIComponent(accountId)}`;
  }

  account(id: string): Promise<SandboxAccount | null> {
    return this.deps.store.get('account', id);
  }

  /** The creator finished onboarding: a pending account is verified. Returns where the browser goes next. */
  async completeOnboarding(id: string): Promise<string> {
    return this.change(async (emit) => {
      const account = await this.accountForUpdate(id);
      if (account.status === 'pending') {
        account.status = 'verified';
        await this.deps.store.put('account', account);
        await emit({ kind: 'account', account });
      }
      return account.returnUrl;
    });
  }

  /** Verifies the account, or restricts it with the provider's reason. */
  async setAccountStatus(id: string, status: 'verified' | 'restricted', reason: string | null): Promise<SandboxAccount> {
    return this.change(async (emit) => {
      const account = await this.accountForUpdate(id);
      account.status = status;
      account.reason = status === 'restricted' ? (reason ?? 'the sandbox restricted the account') : null;
      await this.deps.store.put('account', account);
      await emit({ kind: 'account', account });
      return account;
    });
  }

  /** Refuses the next transfer with `reason`, or (`hold`) keeps it in transit until it is settled or failed. */
  async setNextTransfer(next: { readonly refuseWith: string } | { readonly hold: true }): Promise<SandboxTransferSettings> {
    return this.change(async () => {
      const settings = await this.transferSettings();
      if ('refuseWith' in next) settings.refuseNextWith = next.refuseWith;
      else settings.holdNext = true;
      await this.deps.store.put('setting', settings);
      return settings;
    });
  }

  /**
   * Makes the payout's transfer (the same payout gets the same transfer): refused for an account it
   * does not hold or that is not verified; settled at once unless an action holds it in transit.
   */
  async transfer(region: PaymentGatewayName, payoutId: string, accountId: string, amount: SandboxAmount): Promise<SandboxTransfer | { refused: string }> {
    return this.change(async (emit) => {
      // The settings row is locked first: it serialises transfers, so a payout sent twice at once gets one.
      const settings = await this.transferSettings();
      const [existing] = await this.deps.store.findBy('transfer', payoutId);
      if (existing) return existing;
      const account = await this.deps.store.get('account', accountId);
      const refusal = settings.refuseNextWith ?? (!account || account.region !== region ? `no account ${accountId}` : account.status !== 'verified' ? `the account is ${account.status}` : null);
      const hold = settings.holdNext && !refusal;
      if (settings.refuseNextWith || hold) {
        settings.refuseNextWith = null;
        settings.holdNext = settings.holdNext && !hold;
        await this.deps.store.put('setting', settings);
      }
      if (refusal) return { refused: refusal };
      const transfer: SandboxTransfer = { id: `sbx_tr_${this.deps.ids.next()}`, region, payoutId, accountId, amount, status: hold ? 'pending' : 'paid', reversedMinor: 0, reason: null, createdAt: this.nowIso() };
      await this.deps.store.put('transfer', transfer, { lookup: payoutId });
      await emit({ kind: 'transfer', transfer, what: 'created' });
      return transfer;
    });
  }

  transferById(id: string): Promise<SandboxTransfer | null> {
    return this.deps.store.get('transfer', id);
  }

  /** A transfer in transit arrives (`paid`) or fails with the provider's reason. */
  async settleTransfer(id: string, outcome: 'paid' | 'failed', reason: string | null = null): Promise<SandboxTransfer> {
    return this.change(async (emit) => {
      const transfer = await this.transferForUpdate(id);
      if (transfer.status !== 'pending') throw new ConflictError(`sandbox transfer ${id} is ${transfer.status} already: only one in transit settles or fails`);
      transfer.status = outcome;
      transfer.reason = outcome === 'failed' ? (reason ?? 'the bank refused the transfer') : null;
      await this.deps.store.put('transfer', transfer, { lookup: transfer.payoutId });
      await emit({ kind: 'transfer', transfer, what: 'updated' });
      return transfer;
    });
  }

  /** Takes back `amountMinor` of a paid transfer (all of it, by default: the transfer is then failed). */
  async reverseTransfer(id: string, amountMinor?: number): Promise<SandboxTransfer> {
    return this.change(async (emit) => {
      const transfer = await this.transferForUpdate(id);
      if (transfer.status !== 'paid') throw new ConflictError(`sandbox transfer ${id} is ${transfer.status}: only a paid one is reversed`);
      const left = transfer.amount.amountMinor - transfer.reversedMinor;
      transfer.reversedMinor += amountWithin(amountMinor, left, `transfer ${id} has ${left} minor units left to reverse`);
      if (transfer.reversedMinor === transfer.amount.amountMinor) transfer.status = 'failed';
      transfer.reason = 'reversed by the sandbox';
      await this.deps.store.put('transfer', transfer, { lookup: transfer.payoutId });
      await emit({ kind: 'transfer', transfer, what: 'reversed' });
      return transfer;
    });
  }

  // ——— everything ———

  async state(): Promise<SandboxState> {
    const { store } = this.deps;
    await this.deps.clock.refresh();
    const [checkouts, subscriptions, payments, disputes, accounts, transfers, planChanges] = await Promise.all([
      store.latest('checkout', SANDBOX_LISTED_PER_KIND),
      store.latest('subscription', SANDBOX_LISTED_PER_KIND),
      store.latest('payment', SANDBOX_LISTED_PER_KIND),
      store.latest('dispute', SANDBOX_LISTED_PER_KIND),
      store.latest('account', SANDBOX_LISTED_PER_KIND),
      store.latest('transfer', SANDBOX_LISTED_PER_KIND),
      store.latest('plan_change', SANDBOX_LISTED_PER_KIND),
    ]);
    return { now: this.nowIso(), checkouts, subscriptions, payments, disputes, accounts, transfers, planChanges };
  }

  /** Sends the events not yet delivered (the workers' poll calls it too, for those whose delivery failed). */
  deliverEvents(): Promise<number> {
    return this.deps.events.deliverPending();
  }

  /** How many events are made and not yet acknowledged by this service. */
  undeliveredEvents(): Promise<number> {
    return this.deps.store.countUndelivered();
  }

  /**
   * Runs one change in a transaction with the events it causes, then sends them. A change that
   * fails stores nothing and sends nothing. Made inside the service's own transaction (a provider
   * call under an account's lock), it joins it, since the embedded database has one connection, and
   * its events wait for the next delivery run: sent now they would wait on that very transaction.
   */
  private async change<T>(work: (emit: Emit) => Promise<T>): Promise<T> {
    // Another process may have moved the clock since this one last looked: a change made at an old time would move a period back.
    await this.deps.clock.refresh();
    const nested = this.deps.store.inTransaction();
    const result = await this.deps.store.transaction(() => work((change) => this.deps.events.record(change)));
    if (!nested) await this.deps.events.deliverPending();
    return result;
  }

  private async accountForUpdate(id: string): Promise<SandboxAccount> {
    const account = await this.deps.store.get('account', id, { forUpdate: true });
    if (!account) throw new NotFoundError(`no sandbox payout account ${id}`);
    return account;
  }

  private async transferForUpdate(id: string): Promise<SandboxTransfer> {
    const transfer = await this.deps.store.get('transfer', id, { forUpdate: true });
    if (!transfer) throw new NotFoundError(`no sandbox transfer ${id}`);
    return transfer;
  }

  /** The settings of the next transfer, locked until the change ends. */
  private async transferSettings(): Promise<SandboxTransferSettings> {
    const { store } = this.deps;
    const settings = await store.get('setting', 'transfers', { forUpdate: true });
    if (settings) return settings;
    await store.put('setting', { id: 'transfers', refuseNextWith: null, holdNext: false });
    return (await store.get('setting', 'transfers', { forUpdate: true }))!;
  }

  /** Razorpay's creators are paid through a linked account's Route product: the sandbox names both, as Razorpay's adapter does. */
  private newAccountId(region: PaymentGatewayName): string {
    const id = this.deps.ids.next().replaceAll('-', '');
    return region === 'razorpay' ? routeAccountId(`sbx_acc_${id}`, `sbx_prd_${id}`) : `sbx_acct_${id}`;
  }

  private nowIso(): string {
    return this.deps.clock.now().toISOString();
  }
}

type Emit = (change: SandboxChange) => Promise<void>;

/** When the subscription changes next on its own: its period end (renewal or end), or the end of a past-due one's retry window. */
function subscriptionDueAt(subscription: SandboxSubscription): Date | null {
  if (subscription.status === 'canceled') return null;
  if (subscription.status === 'past_due') return new Date(new Date(subscription.pastDueSince!).getTime() + PAST_DUE_RETRY_WINDOW_DAYS * DAY_MS);
  return new Date(subscription.currentPeriodEnd);
}

/** One interval later, on the anchor day of the month, or the month's last day where it has none (Jan 31 → Feb 28 → Mar 31). */
function addInterval(fromIso: string, interval: BillingInterval, anchorDay: number): Date {
  const from = new Date(fromIso);
  const months = interval === 'monthly' ? 1 : 12;
  const target = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + months, 1, from.getUTCHours(), from.getUTCMinutes(), from.getUTCSeconds(), from.getUTCMilliseconds()));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(anchorDay, lastDay));
  return target;
}

/**
 * The sandbox's one rounding rule for proration: `amountMinor` × the remaining share of the period,
 * rounded half away from zero to whole minor units (exact: the product can pass 2^53).
 */
export function prorateMinor(amountMinor: number, remainingMs: number, periodMs: number): number {
  const sign = amountMinor < 0 ? -1n : 1n;
  const scaled = BigInt(Math.abs(amountMinor)) * BigInt(Math.round(remainingMs)) * 2n + BigInt(Math.round(periodMs));
  return Number((sign * scaled) / (2n * BigInt(Math.round(periodMs))));
}

/** What a period of `plan` costs at the same share of the catalogue as the subscription's price now (its currency, its rate). */
function scaledAmount(subscription: SandboxSubscription, plan: SandboxPlan): SandboxAmount {
  const ratio = planPriceUsd(plan.tier, plan.billingInterval).amountMinor / planPriceUsd(subscription.tier, subscription.billingInterval).amountMinor;
  return { amountMinor: Math.round(subscription.amount.amountMinor * ratio), currency: subscription.amount.currency };
}

/** The amount asked for (all that is left, when none is), which must be a whole number from 1 to what is left. */
function amountWithin(amountMinor: number | undefined, left: number, leftMessage: string): number {
  if (left <= 0) throw new ConflictError(leftMessage);
  const amount = amountMinor ?? left;
  if (!Number.isSafeInteger(amount) || amount < 1) throw new InvalidInputError('amount_minor', 'amount_minor must be a whole number of minor units, at least 1');
  if (amount > left) throw new InvalidInputError('amount_minor', leftMessage);
  return amount;
}
