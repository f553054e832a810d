import { ContainerModule } from 'inversify';
import { ConfiguredFxRates } from '../../adapters/fx/configured.fx-rates.ts';
import { RazorpayClient } from '../../adapters/razorpay/razorpay.client.ts';
import { RazorpayPaymentGateway } from '../../adapters/razorpay/razorpay.payment-gateway.ts';
import { RazorpayPayoutGateway } from '../../adapters/razorpay/razorpay.payout-gateway.ts';
import { RazorpayWebhooks } from '../../adapters/razorpay/razorpay.webhooks.ts';
import { SandboxPaymentGateway } from '../../adapters/sandbox/sandbox.payment-gateway.ts';
import { SandboxPayoutGateway } from '../../adapters/sandbox/sandbox.payout-gateway.ts';
import type { SandboxProvider } from '../../adapters/sandbox/sandbox.provider.ts';
import { StripePaymentGateway } from '../../adapters/stripe/stripe.payment-gateway.ts';
import { StripePayoutGateway } from '../../adapters/stripe/stripe.payout-gateway.ts';
import { StripeWebhooks } from '../../adapters/stripe/stripe.webhooks.ts';
import { FX_RATES } from '../../application/billing/fx-rates.port.ts';
import { PAYMENT_GATEWAYS, type PaymentGateway, type PaymentGateways } from '../../application/billing/payment-gateway.port.ts';
import { PAYOUT_GATEWAYS, type PayoutGateway, type PayoutGateways } from '../../application/payouts/payout-gateway.port.ts';
import type { Clock } from '../../application/shared/clock.port.ts';
import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import type { AppConfig } from '../config.ts';
import { RAZORPAY_WEBHOOKS, STRIPE_WEBHOOKS } from './tokens.ts';

export interface GatewayChoice {
  readonly config: AppConfig;
  /** Replacements given to the container, region by region (ContainerOptions). */
  readonly gateways?: Partial<Record<PaymentGatewayName, PaymentGateway>> | undefined;
  readonly payoutGateways?: Partial<Record<PaymentGatewayName, PayoutGateway>> | undefined;
  /** The clock the service's own work runs on, and real time, which webhook signatures are checked against. */
  readonly clock: Clock;
  readonly systemClock: Clock;
  /** The sandbox, when it serves a region. */
  readonly sandbox: SandboxProvider | null;
}

/** Each region's gateway: the real provider where its keys are configured, else the sandbox. */
export function gatewaysModule({ config, gateways: replacements, payoutGateways: payoutReplacements, clock, systemClock, sandbox }: GatewayChoice): ContainerModule {
  const sandboxFor = (region: PaymentGatewayName) => new SandboxPaymentGateway(sandbox!, { region });
  const stripe =
    replacements?.stripe ??
    (config.stripe
      ? new StripePaymentGateway({
          secretKey: config.stripe.secretKey,
          priceIds: config.stripe.priceIds,
          allowPromotionCodes: config.stripe.allowPromotionCodes,
          automaticTax: config.stripe.automaticTax,
          ...optional('api', config.stripe.api),
        })
      : sandboxFor('stripe'));
  const razorpayClient = config.razorpay
    ? new RazorpayClient({ keyId: config.razorpay.keyId, keySecret: config.razorpay.keySecret, ...optional('apiBaseUrl', config.razorpay.apiBaseUrl) })
    : null;
  const publicUrl = config.publicUrl ?? `http://localhost:${config.port}`;
  const razorpay =
    replacements?.razorpay ??
    (razorpayClient && config.razorpay
      ? new RazorpayPaymentGateway(razorpayClient, {
          keyId: config.razorpay.keyId,
          keySecret: config.razorpay.keySecret,
          scriptUrl: config.razorpay.checkoutScriptUrl,
          ...razorpayCheckoutUrls(publicUrl),
        })
      : sandboxFor('razorpay'));
  const gateways: PaymentGateways = { for: (name) => (name === 'razorpay' ? razorpay : stripe) };
  const stripePayouts =
    payoutReplacements?.stripe ??
    (config.stripe ? new StripePayoutGateway({ secretKey: config.stripe.secretKey, ...optional('api', config.stripe.api) }) : new SandboxPayoutGateway(sandbox!, { region: 'stripe' }));
  const razorpayPayouts =
    payoutReplacements?.razorpay ?? (razorpayClient ? new RazorpayPayoutGateway(razorpayClient) : new SandboxPayoutGateway(sandbox!, { region: 'razorpay' }));
  const payoutGateways: PayoutGateways = { for: (name) => (name === 'razorpay' ? razorpayPayouts : stripePayouts) };

  return new ContainerModule(({ bind }) => {
    bind(PAYMENT_GATEWAYS).toConstantValue(gateways);
    bind(PAYOUT_GATEWAYS).toConstantValue(payoutGateways);
    bind(FX_RATES).toConstantValue(new ConfiguredFxRates(config.inrPerUsdMicros, clock));
    bind(STRIPE_WEBHOOKS).toConstantValue(new StripeWebhooks({ secrets: config.stripeWebhookSecrets, clock: systemClock }));
    bind(RAZORPAY_WEBHOOKS).toConstantValue(new RazorpayWebhooks({ secrets: config.razorpayWebhookSecrets }));
  });
}

/** This server's pages for Razorpay: opening Checkout for a subscription, the callback Checkout posts to, confirming a change of plan (api/rest/billing.routes.ts). */
export function razorpayCheckoutUrls(publicUrl: string): { readonly checkoutPageUrl: string; readonly callbackUrl: string; readonly planChangePageUrl: string } {
  return {
    checkoutPageUrl: `${publicUrl}/api/billing/razorpay/checkout`,
    callbackUrl: `${publicUrl}/api/billing/razorpay/callback`,
    planChangePageUrl: `${publicUrl}/api/billing/plan-change`,
  };
}

/** `{ [key]: value }`, or nothing when the value is absent (options are `exactOptionalPropertyTypes`). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
