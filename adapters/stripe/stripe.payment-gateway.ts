import Stripe from 'stripe';
import type {
  CreatedCheckout,
  DepositCheckoutRequest,
  PaymentGateway,
  PlanCheckoutRequest,
  ProviderCheckout,
  ProviderCheckoutStatus,
} from '../../application/billing/payment-gateway.port.ts';
import { isOneOf, type BillingInterval, type PaidPlanTier } from '../../domain/billing/plan.value-objects.ts';
import { CHECKOUT_PURPOSES } from '../../domain/billing/checkout-session.entity.ts';
import { ProviderError } from '../../domain/shared/errors.ts';
import { withQueryParam } from '../shared/redirect-url.ts';

export type StripePriceIds = Readonly<Record<PaidPlanTier, Readonly<Record<BillingInterval, string>>>>;

export interface StripeGatewayOptions {
  readonly secretKey: string;
  readonly priceIds: StripePriceIds;
  /** Where the API is; only tests point it elsewhere (a local fake speaking Stripe's wire format). */
  readonly api?: { readonly host: string; readonly port: number; readonly protocol: 'http' | 'https' };
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** The SDK retries network failures and 409/429/5xx with the same idempotency key. */
const MAX_NETWORK_RETRIES = 2;
/** Stripe fills this placeholder in with its own session id when it redirects. */
const SESSION_ID_PLACEHOLDER = '{CHECKOUT_SESSION_ID}';

/** Plan subscriptions through Stripe Checkout and the Customer Portal, via the official SDK. */
export class StripePaymentGateway implements PaymentGateway {
  readonly provider = 'stripe';
  readonly hostsCustomerPortal = true;
  private readonly stripe: Stripe;
  private readonly priceIds: StripePriceIds;

  constructor(options: StripeGatewayOptions) {
    this.priceIds = options.priceIds;
    this.stripe = new Stripe(options.secretKey, {
      maxNetworkRetries: MAX_NETWORK_RETRIES,
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      telemetry: false,
      ...(options.api ?? {}),
    });
  }

  createPlanCheckout(request: PlanCheckoutRequest): Promise<CreatedCheckout> {
    const metadata = {
      user_id: request.userId,
      checkout_session_id: request.sessionId,
      purpose: 'plan',
      tier: request.tier,
      billing_interval: request.billingInterval,
    };
    return this.call('create a checkout session', async () => {
      const session = await this.stripe.checkout.sessions.create(
        {
          mode: 'subscription',
          line_items: [{ price: this.priceIds[request.tier][request.billingInterval], quantity: 1 }],
          success_url: stripeSuccessUrl(request.successUrl),
          cancel_url: request.cancelUrl.href,
          client_reference_id: request.userId,
          ...(request.customerId ? { customer: request.customerId } : {}),
          metadata,
          subscription_data: { metadata },
        },
        { idempotencyKey: `checkout:${request.sessionId}` },
      );
      if (!session.url) throw new ProviderError(this.provider, 'create a checkout session', 'Stripe returned no checkout URL');
      return { providerSessionId: session.id, url: session.url };
    });
  }

  createDepositCheckout(request: DepositCheckoutRequest): Promise<CreatedCheckout> {
    const metadata = { user_id: request.userId, checkout_session_id: request.sessionId, purpose: 'deposit' };
    return this.call('create a deposit checkout session', async () => {
      const session = await this.stripe.checkout.sessions.create(
        {
          mode: 'payment',
          line_items: [
            {
              price_data: { currency: 'usd', unit_amount: request.charge.amountMinor, product_data: { name: 'Wallet deposit' } },
              quantity: 1,
            },
          ],
          success_url: stripeSuccessUrl(request.successUrl),
          cancel_url: request.cancelUrl.href,
          client_reference_id: request.userId,
          ...(request.customerId ? { customer: request.customerId } : {}),
          metadata,
          payment_intent_data: { metadata },
        },
        { idempotencyKey: `checkout:${request.sessionId}` },
      );
      if (!session.url) throw new ProviderError(this.provider, 'create a deposit checkout session', 'Stripe returned no checkout URL');
      return { providerSessionId: session.id, url: session.url };
    });
  }

  retrieveCheckout(providerSessionId: string): Promise<ProviderCheckout> {
    return this.call('retrieve the checkout session', async () => {
      const session = await this.stripe.checkout.sessions.retrieve(providerSessionId, { expand: ['subscription'] });
      const subscription = typeof session.subscription === 'object' ? session.subscription : null;
      const periodEnd = subscription?.items?.data?.[0]?.current_period_end;
      const purpose = session.metadata?.['purpose'];
      return {
        providerSessionId: session.id,
        status: checkoutStatus(session),
        purpose: isOneOf(CHECKOUT_PURPOSES, purpose) ? purpose : null,
        sessionId: session.metadata?.['checkout_session_id'] ?? null,
        customerId: typeof session.customer === 'string' ? session.customer : (session.customer?.id ?? null),
        subscriptionId: typeof session.subscription === 'string' ? session.subscription : (subscription?.id ?? null),
        currentPeriodEnd: typeof periodEnd === 'number' ? new Date(periodEnd * 1000) : null,
        paymentId: typeof session.payment_intent === 'string' ? session.payment_intent : (session.payment_intent?.id ?? null),
      };
    });
  }

  createPortalSession(input: { customerId: string; returnUrl: URL }): Promise<{ url: string }> {
    return this.call('open the customer portal', async () => {
      const portal = await this.stripe.billingPortal.sessions.create({ customer: input.customerId, return_url: input.returnUrl.href });
      return { url: portal.url };
    });
  }

  cancelSubscription(subscriptionId: string): Promise<void> {
    return this.call('cancel the subscription', async () => {
      await this.stripe.subscriptions.update(subscriptionId, { cancel_at_period_end: true });
    });
  }

  changeSubscriptionInterval(input: { subscriptionId: string; tier: PaidPlanTier; billingInterval: BillingInterval }): Promise<void> {
    return this.call('change the billing interval', async () => {
      const subscription = await this.stripe.subscriptions.retrieve(input.subscriptionId);
      const item = subscription.items.data[0];
      if (!item) throw new ProviderError(this.provider, 'change the billing interval', 'the subscription has no items');
      await this.stripe.subscriptions.update(input.subscriptionId, {
        items: [{ id: item.id, price: this.priceIds[input.tier][input.billingInterval] }],
        proration_behavior: 'create_prorations',
      });
    });
  }

  /** Every SDK call goes through here, so no Stripe error type reaches the application. */
  private async call<T>(action: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      if (error instanceof Stripe.errors.StripeError) throw new ProviderError(this.provider, action, error.message);
      throw new ProviderError(this.provider, action, error instanceof Error ? error.message : String(error));
    }
  }
}

/** The success URL with Stripe's `{CHECKOUT_SESSION_ID}` placeholder as `session_id`. */
function stripeSuccessUrl(successUrl: URL): string {
  // The URL API would percent-encode the braces; Stripe needs them literal.
  const marker = 'STRIPE_CHECKOUT_SESSION_ID_MARKER';
  return withQueryParam(successUrl, 'session_id', marker).replace(`session_id=${marker}`, `session_id=${SESSION_ID_PLACEHOLDER}`);
}

function checkoutStatus(session: Stripe.Checkout.Session): ProviderCheckoutStatus {
  if (session.status === 'expired') return 'expired';
  if (session.status === 'complete' && (session.payment_status === 'paid' || session.payment_status === 'no_payment_required')) {
    return 'paid';
  }
  return 'open';
}
