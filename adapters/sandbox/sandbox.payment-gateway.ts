import type {
  CreatedCheckout,
  DepositCheckoutRequest,
  PaymentGateway,
  PlanChangeRequest,
  PlanChangeSessionRequest,
  PlanCheckoutRequest,
  ProviderCheckout,
  ProviderDispute,
  ProviderAmount,
  ProviderPayment,
  ProviderReceipt,
  ProviderRefund,
  ProviderSubscription,
} from '../../application/billing/payment-gateway.port.ts';
import type { BillingInterval, PaidPlanTier, PaymentGatewayName, SubscriptionStanding } from '../../domain/billing/plan.value-objects.ts';
import { BillingError, ConflictError, InvalidInputError, ProviderError } from '../../domain/shared/errors.ts';
import type { SandboxProvider } from './sandbox.provider.ts';
import { heldMinor, refundedMinor, type SandboxPayment, type SandboxSubscription } from './sandbox.store.ts';

const STANDINGS: Readonly<Record<SandboxSubscription['status'], SubscriptionStanding>> = { active: 'paying', past_due: 'failing', canceled: 'ended' };

/**
 * The sandbox standing in for one region's provider, read and written as that provider would be.
 * The region standing in for Stripe hosts a customer portal and lists a payment's disputes with it;
 * the one for Razorpay does neither, so the sandbox behaves as the real one would.
 */
export class SandboxPaymentGateway implements PaymentGateway {
  readonly provider: string;
  readonly hostsCustomerPortal: boolean;
  private readonly region: PaymentGatewayName;
  private readonly sandbox: SandboxProvider;

  constructor(sandbox: SandboxProvider, options: { region: PaymentGatewayName }) {
    this.sandbox = sandbox;
    this.region = options.region;
    this.provider = `sandbox (${options.region})`;
    this.hostsCustomerPortal = options.region === 'stripe';
  }

  async createPlanCheckout(request: PlanCheckoutRequest): Promise<CreatedCheckout> {
    const { checkout, url } = await this.sandbox.createCheckout({
      region: this.region,
      sessionId: request.sessionId,
      userId: request.userId,
      purpose: 'plan',
      description: `${request.tier} plan, billed ${request.billingInterval}`,
      amount: request.price,
      successUrl: request.successUrl,
      cancelUrl: request.cancelUrl.href,
      customerId: request.customerId ?? `sbx_cus_${request.userId}`,
      plan: { tier: request.tier, billingInterval: request.billingInterval },
    });
    return { providerSessionId: checkout.id, url };
  }

  async createDepositCheckout(request: DepositCheckoutRequest): Promise<CreatedCheckout> {
    const { checkout, url } = await this.sandbox.createCheckout({
      region: this.region,
      sessionId: request.sessionId,
      userId: request.userId,
      purpose: 'deposit',
      description: `Wallet deposit of $${(request.credit.amountMinor / 100).toFixed(2)}`,
      amount: request.charge,
      successUrl: request.successUrl,
      cancelUrl: request.cancelUrl.href,
      customerId: request.customerId ?? `sbx_cus_${request.userId}`,
      plan: null,
    });
    return { providerSessionId: checkout.id, url };
  }

  async retrieveCheckout(providerSessionId: string): Promise<ProviderCheckout> {
    const checkout = await this.sandbox.checkout(providerSessionId);
    if (!checkout || checkout.region !== this.region) throw this.unknown('find the checkout', `no checkout ${providerSessionId}`);
    const subscription = checkout.subscriptionId && checkout.status === 'paid' ? await this.retrieveSubscription(checkout.subscriptionId) : null;
    const payment = checkout.paymentId && checkout.status === 'paid' ? await this.sandbox.payment(checkout.paymentId) : null;
    return {
      providerSessionId,
      status: checkout.status,
      amount: checkout.amount,
      purpose: checkout.purpose,
      sessionId: checkout.sessionId,
      customerId: checkout.customerId,
      subscriptionId: checkout.subscriptionId,
      currentPeriodEnd: subscription?.currentPeriodEnd ?? null,
      paymentId: checkout.paymentId,
      subscription,
      receipt: payment && this.receiptOf(payment),
    };
  }

  async retrieveSubscription(subscriptionId: string): Promise<ProviderSubscription> {
    const subscription = await this.sandbox.subscription(subscriptionId);
    if (!subscription || subscription.region !== this.region) throw this.unknown('find the subscription', `no subscription ${subscriptionId}`);
    const latest = await this.sandbox.latestPaymentOf(subscriptionId);
    return {
      subscriptionId,
      customerId: subscription.customerId,
      standing: STANDINGS[subscription.status],
      renews: !subscription.cancelAtPeriodEnd,
      plan: { tier: subscription.tier, billingInterval: subscription.billingInterval },
      currentPeriodEnd: new Date(subscription.currentPeriodEnd),
      latestPayment: latest && this.receiptOf(latest),
      scheduledChange: subscription.scheduledChange
        ? { plan: { tier: subscription.scheduledChange.tier, billingInterval: subscription.scheduledChange.billingInterval }, effectiveAt: new Date(subscription.currentPeriodEnd) }
        : null,
    };
  }

  /** A payment as its receipt: the sandbox hosts a receipt page for each. */
  private receiptOf(payment: SandboxPayment): ProviderReceipt {
    return {
      paymentId: payment.id,
      amount: payment.amount,
      receiptUrl: this.sandbox.receiptUrl(payment.id),
      periodStart: payment.periodStart ? new Date(payment.periodStart) : null,
      periodEnd: payment.periodEnd ? new Date(payment.periodEnd) : null,
    };
  }

  /** The sandbox's own page confirming the change (both regions: it stands in for Stripe's portal and for a page of Razorpay's). */
  async createPlanChangeSession(request: PlanChangeSessionRequest): Promise<CreatedCheckout> {
    await this.retrieveSubscription(request.subscriptionId);
    const { planChange, url } = await this.sandbox.createPlanChange({
      region: this.region,
      sessionId: request.sessionId,
      userId: request.userId,
      subscriptionId: request.subscriptionId,
      tier: request.tier,
      billingInterval: request.billingInterval,
      amount: request.price,
      timing: request.timing,
      successUrl: request.returnUrl.href,
      cancelUrl: request.cancelUrl.href,
    });
    return { providerSessionId: planChange.id, url };
  }

  async changePlan(request: PlanChangeRequest): Promise<ProviderSubscription> {
    await this.retrieveSubscription(request.subscriptionId);
    await this.sandbox.changePlan(request.subscriptionId, { tier: request.tier, billingInterval: request.billingInterval, amount: request.price }, request.timing);
    return this.retrieveSubscription(request.subscriptionId);
  }

  async retrievePayment(paymentId: string): Promise<ProviderPayment> {
    const payment = await this.sandbox.payment(paymentId);
    if (!payment || payment.region !== this.region) throw this.unknown('find the payment', `no payment ${paymentId}`);
    const disputes = this.region === 'stripe' ? await this.sandbox.disputesOf(paymentId) : null;
    return {
      paymentId,
      amount: payment.amount,
      refunded: { amountMinor: refundedMinor(payment), currency: payment.amount.currency },
      disputed: disputes && { amountMinor: heldMinor(disputes), currency: payment.amount.currency },
    };
  }

  async retrieveDispute(disputeId: string): Promise<ProviderDispute> {
    const dispute = await this.sandbox.dispute(disputeId);
    if (!dispute || dispute.region !== this.region) throw this.unknown('find the dispute', `no dispute ${disputeId}`);
    return { disputeId, paymentId: dispute.paymentId, amount: dispute.amount, holdsMoney: dispute.status !== 'won' };
  }

  async createPortalSession(input: { customerId: string; returnUrl: URL }): Promise<{ url: string }> {
    if (!this.hostsCustomerPortal) throw new ProviderError(this.provider, 'open a customer portal', 'Razorpay hosts no customer portal');
    return { url: await this.sandbox.createPortal(input.customerId, input.returnUrl) };
  }

  /** Stops renewal at the end of the period; a subscription that has ended already stays so. */
  async cancelSubscription(subscriptionId: string): Promise<void> {
    const subscription = await this.retrieveSubscription(subscriptionId);
    if (subscription.standing !== 'ended') await this.sandbox.cancelSubscription(subscriptionId, { atPeriodEnd: true });
  }

  async changeSubscriptionInterval(input: { subscriptionId: string; tier: PaidPlanTier; billingInterval: BillingInterval }): Promise<void> {
    await this.retrieveSubscription(input.subscriptionId);
    await this.sandbox.changePlan(input.subscriptionId, { tier: input.tier, billingInterval: input.billingInterval });
  }

  /** The sandbox hosts its own checkout pages. */
  checkoutPage(): null {
    return null;
  }

  readonly takesRenewalPayments = false;

  async createRenewalCheckout(): Promise<CreatedCheckout> {
    throw new ProviderError(this.provider, 'open a renewal payment', 'the sandbox renews by its own actions');
  }

  /** Checkout redirects straight to the success URL: there is no callback to verify. */
  verifyCheckoutReturn(): never {
    throw new InvalidInputError('session_id', 'this checkout returns to the success URL directly, not through a callback');
  }

  /** Expires an open checkout; one paid (or closed) first is answered as it is, as the providers do. */
  async expireCheckout(providerSessionId: string): Promise<ProviderCheckout> {
    const checkout = await this.retrieveCheckout(providerSessionId);
    if (checkout.status === 'open') {
      await this.sandbox.expire(providerSessionId).catch((error: unknown) => {
        // Paid or canceled between the read and the expiry: its state says which.
        if (!(error instanceof ConflictError)) throw error;
      });
    }
    return this.retrieveCheckout(providerSessionId);
  }

  /** Ends the subscription now; one that has ended already stays so. */
  async cancelSubscriptionNow(subscriptionId: string): Promise<void> {
    if ((await this.retrieveSubscription(subscriptionId)).standing === 'ended') return;
    await this.sandbox.cancelSubscription(subscriptionId, { atPeriodEnd: false }).catch(async (error: unknown) => {
      if (!(error instanceof ConflictError) || (await this.retrieveSubscription(subscriptionId)).standing !== 'ended') throw error;
    });
  }

  async refundPayment(request: { paymentId: string; amount: ProviderAmount; idempotencyKey: string }): Promise<ProviderRefund> {
    const payment = await this.sandbox.payment(request.paymentId);
    if (!payment || payment.region !== this.region) throw this.unknown('refund the payment', `no payment ${request.paymentId}`);
    if (payment.amount.currency !== request.amount.currency) throw this.unknown('refund the payment', `payment ${request.paymentId} is in ${payment.amount.currency}, not ${request.amount.currency}`);
    let refunded;
    try {
      refunded = await this.sandbox.refund(request.paymentId, request.amount.amountMinor, request.idempotencyKey);
    } catch (error) {
      // The sandbox refuses as the provider would (more than is left, a disputed payment): for its caller, the provider refused.
      if (error instanceof BillingError && !(error instanceof ProviderError)) throw this.unknown('refund the payment', error.message);
      throw error;
    }
    const refund = refunded.refunds.find((made) => made.idempotencyKey === request.idempotencyKey)!;
    return { refundId: refund.id, amount: { amountMinor: refund.amountMinor, currency: payment.amount.currency } };
  }

  private unknown(action: string, message: string): ProviderError {
    return new ProviderError(this.provider, action, message);
  }
}
