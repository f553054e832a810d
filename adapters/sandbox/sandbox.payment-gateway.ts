import type {
  CreatedCheckout,
  DepositCheckoutRequest,
  PaymentGateway,
  PlanCheckoutRequest,
  ProviderCheckout,
} from '../../application/billing/payment-gateway.port.ts';
import { ProviderError } from '../../domain/shared/errors.ts';
import type { SandboxProvider } from './sandbox.provider.ts';

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
    });
    return { providerSessionId: checkout.id, url };
  }

  async retrieveCheckout(providerSessionId: string): Promise<ProviderCheckout> {
    const checkout = this.sandbox.find(providerSessionId);
    if (!checkout) throw new ProviderError(this.provider, 'find the checkout', `no checkout ${providerSessionId} (the sandbox forgets them on restart)`);
    return {
      providerSessionId,
      status: checkout.status,
      purpose: checkout.purpose,
      sessionId: checkout.sessionId,
      customerId: checkout.customerId,
      subscriptionId: checkout.subscriptionId,
      currentPeriodEnd: null,
      paymentId: checkout.status === 'paid' ? `sbx_pay_${checkout.id}` : null,
    };
  }

  async createPortalSession(input: { customerId: string; returnUrl: URL }): Promise<{ url: string }> {
    if (!this.hostsCustomerPortal) throw new ProviderError(this.provider, 'open a customer portal', 'Razorpay hosts no customer portal');
    return { url: this.sandbox.createPortal(input.customerId, input.returnUrl) };
  }

  async cancelSubscription(): Promise<void> {}

  async changeSubscriptionInterval(): Promise<void> {}
}
