import type {
  CreatedCheckout,
  DepositCheckoutRequest,
  PaymentGateway,
  PlanCheckoutRequest,
  ProviderCheckout,
  ProviderDispute,
  ProviderPayment,
  ProviderSubscription,
} from '../../application/billing/payment-gateway.port.ts';
import { ProviderError } from '../../domain/shared/errors.ts';
import { paymentIdOf, type SandboxProvider } from './sandbox.provider.ts';

/**
 * The sandbox standing in for one region's provider. The region standing in for Stripe hosts a
 * customer portal, the one for Razorpay does not, so the sandbox behaves as the real one would.
 */
export class SandboxPaymentGateway implements PaymentGateway {
  readonly provider: string;
  readonly hostsCustomerPortal: boolean;
  private readonly sandbox: SandboxProvider;

  constructor(sandbox: SandboxProvider, options: { region: 'stripe' | 'razorpay' }) {
    this.sandbox = sandbox;
    this.provider = `sandbox (${options.region})`;
    this.hostsCustomerPortal = options.region === 'stripe';
  }

  async createPlanCheckout(request: PlanCheckoutRequest): Promise<CreatedCheckout> {
    const { checkout, url } = this.sandbox.createCheckout({
      region: this.provider,
      sessionId: request.sessionId,
      purpose: 'plan',
      description: `${request.tier} plan, billed ${request.billingInterval}`,
      amount: request.price,
      successUrl: request.successUrl,
      cancelUrl: request.cancelUrl.href,
      customerId: request.customerId ?? `sbx_cus_${request.userId}`,
      subscriptionId: `sbx_sub_${request.sessionId}`,
      billingInterval: request.billingInterval,
    });
    return { providerSessionId: checkout.id, url };
  }

  async createDepositCheckout(request: DepositCheckoutRequest): Promise<CreatedCheckout> {
    const { checkout, url } = this.sandbox.createCheckout({
      region: this.provider,
      sessionId: request.sessionId,
      purpose: 'deposit',
      description: `Wallet deposit of $${(request.credit.amountMinor / 100).toFixed(2)}`,
      amount: request.charge,
      successUrl: request.successUrl,
      cancelUrl: request.cancelUrl.href,
      customerId: request.customerId ?? `sbx_cus_${request.userId}`,
      subscriptionId: null,
      billingInterval: null,
    });
    return { providerSessionId: checkout.id, url };
  }

  async retrieveCheckout(providerSessionId: string): Promise<ProviderCheckout> {
    const checkout = this.sandbox.find(providerSessionId);
    if (!checkout) throw new ProviderError(this.provider, 'find the checkout', `no checkout ${providerSessionId} (the sandbox forgets them on restart)`);
    const subscription = checkout.subscriptionId && checkout.status === 'paid' ? await this.retrieveSubscription(checkout.subscriptionId) : null;
    return {
      providerSessionId,
      status: checkout.status,
      amount: { amountMinor: checkout.amount.amountMinor, currency: checkout.amount.currency },
      purpose: checkout.purpose,
      sessionId: checkout.sessionId,
      customerId: checkout.customerId,
      subscriptionId: checkout.subscriptionId,
      currentPeriodEnd: subscription?.currentPeriodEnd ?? null,
      paymentId: checkout.status === 'paid' ? paymentIdOf(checkout) : null,
      subscription,
    };
  }

  async retrieveSubscription(subscriptionId: string): Promise<ProviderSubscription> {
    const subscription = this.sandbox.subscription(subscriptionId);
    if (!subscription) throw new ProviderError(this.provider, 'find the subscription', `no subscription ${subscriptionId}`);
    return { subscriptionId, customerId: subscription.customerId, standing: 'paying', renews: true, plan: null, currentPeriodEnd: subscription.currentPeriodEnd };
  }

  /** The sandbox refunds and disputes nothing yet: a payment it took is whole. */
  async retrievePayment(paymentId: string): Promise<ProviderPayment> {
    const payment = this.sandbox.payment(paymentId);
    if (!payment) throw new ProviderError(this.provider, 'find the payment', `no payment ${paymentId}`);
    return { paymentId, amount: { amountMinor: payment.amount.amountMinor, currency: payment.amount.currency }, refundedMinor: 0, disputedMinor: 0 };
  }

  async retrieveDispute(disputeId: string): Promise<ProviderDispute> {
    throw new ProviderError(this.provider, 'find the dispute', `no dispute ${disputeId}: the sandbox has no disputes`);
  }

  async createPortalSession(input: { customerId: string; returnUrl: URL }): Promise<{ url: string }> {
    if (!this.hostsCustomerPortal) throw new ProviderError(this.provider, 'open a customer portal', 'Razorpay hosts no customer portal');
    return { url: this.sandbox.createPortal(input.customerId, input.returnUrl) };
  }

  async cancelSubscription(): Promise<void> {}

  async changeSubscriptionInterval(): Promise<void> {}
}
