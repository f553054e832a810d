import { RazorpayClient } from '../../adapters/razorpay/razorpay.client.ts';
import { razorpayCheckoutUrls } from '../../api/container.ts';
import { RazorpayPaymentGateway } from '../../adapters/razorpay/razorpay.payment-gateway.ts';
import { RazorpayPayoutGateway } from '../../adapters/razorpay/razorpay.payout-gateway.ts';
import { StripePaymentGateway, type StripePriceIds } from '../../adapters/stripe/stripe.payment-gateway.ts';
import { StripePayoutGateway } from '../../adapters/stripe/stripe.payout-gateway.ts';
import type { ContainerOptions } from '../../api/container.ts';
import { planPriceUsd } from '../../domain/billing/plan-catalogue.ts';
import type { BillingInterval, PaidPlanTier } from '../../domain/billing/plan.value-objects.ts';
import { RazorpayFake } from '../fakes/razorpay-fake.ts';
import { StripeFake } from '../fakes/stripe-fake.ts';
import { STRIPE_PRICE_ENV } from './test-app.ts';

export const STRIPE_TEST_KEY = 'sk_test_provider_fakes';
export const RAZORPAY_TEST_KEY = { keyId: 'rzp_test_provider_fakes', keySecret: 'razorpay-key-secret-for-the-fake' };

/** The configured Price id of each plan (STRIPE_PRICE_ENV), as the gateway reads them. */
export const STRIPE_PRICE_IDS = Object.fromEntries(
  (['starter', 'pro', 'business'] as const).map((tier) => [
    tier,
    { monthly: STRIPE_PRICE_ENV[`STRIPE_PRICE_${tier.toUpperCase()}_MONTHLY` as keyof typeof STRIPE_PRICE_ENV], yearly: STRIPE_PRICE_ENV[`STRIPE_PRICE_${tier.toUpperCase()}_YEARLY` as keyof typeof STRIPE_PRICE_ENV] },
  ]),
) as unknown as StripePriceIds;

/** Every configured price exists at the fake, at the catalogue's amount, as a deployment sets them up. */
const STRIPE_PRICES = Object.entries(STRIPE_PRICE_IDS).flatMap(([tier, byInterval]) =>
  (Object.entries(byInterval) as [BillingInterval, string][]).map(([interval, id]) => ({
    id,
    interval: interval === 'monthly' ? ('month' as const) : ('year' as const),
    unitAmount: planPriceUsd(tier as PaidPlanTier, interval).amountMinor,
  })),
);

/**
 * Stripe and Razorpay, as local fakes speaking their wire formats, and the service's own gateways
 * driving the official SDKs against them: what a test hands to makeTestApp so that provider events
 * are applied from the fakes' current state, exactly as in production.
 */
export interface ProviderFakes {
  readonly stripe: StripeFake;
  readonly razorpay: RazorpayFake;
  readonly gateways: NonNullable<ContainerOptions['gateways']>;
  readonly payoutGateways: NonNullable<ContainerOptions['payoutGateways']>;
  /** Where the fakes listen, for a service process: STRIPE_API_URL and the Razorpay keys. */
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * `publicUrl` is where the service under test is reached from a browser (the Razorpay checkout
 * page and its callback live there); in-process tests never open it, so any address does.
 */
export async function startProviderFakes(options: { publicUrl?: string } = {}): Promise<ProviderFakes> {
  const stripe = new StripeFake({ secretKey: STRIPE_TEST_KEY, prices: STRIPE_PRICES });
  const razorpay = new RazorpayFake(RAZORPAY_TEST_KEY);
  const [stripeApi, razorpayUrl] = await Promise.all([stripe.start(), razorpay.start()]);
  const client = new RazorpayClient({ ...RAZORPAY_TEST_KEY, apiBaseUrl: razorpayUrl, timeoutMs: 5_000 });
  return {
    stripe,
    razorpay,
    gateways: {
      stripe: new StripePaymentGateway({ secretKey: STRIPE_TEST_KEY, priceIds: STRIPE_PRICE_IDS, api: stripeApi, timeoutMs: 5_000 }),
      razorpay: new RazorpayPaymentGateway(client, {
        ...RAZORPAY_TEST_KEY,
        scriptUrl: `${razorpayUrl}/v1/checkout.js`,
        ...razorpayCheckoutUrls(options.publicUrl ?? 'http://localhost'),
      }),
    },
    payoutGateways: {
      stripe: new StripePayoutGateway({ secretKey: STRIPE_TEST_KEY, api: stripeApi, timeoutMs: 5_000 }),
      razorpay: new RazorpayPayoutGateway(client),
    },
    env: {
      STRIPE_SECRET_KEY: STRIPE_TEST_KEY,
      STRIPE_API_URL: `http://${stripeApi.host}:${stripeApi.port}`,
      RAZORPAY_KEY_ID: RAZORPAY_TEST_KEY.keyId,
      RAZORPAY_KEY_SECRET: RAZORPAY_TEST_KEY.keySecret,
      RAZORPAY_API_URL: razorpayUrl,
      RAZORPAY_CHECKOUT_SCRIPT_URL: `${razorpayUrl}/v1/checkout.js`,
      ...STRIPE_PRICE_ENV,
    },
    stop: async () => {
      await Promise.all([stripe.stop(), razorpay.stop()]);
    },
  };
}
