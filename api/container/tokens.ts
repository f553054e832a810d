import type { PollingLoop } from '../../adapters/jobs/polling-loop.ts';
import type { RazorpayWebhooks } from '../../adapters/razorpay/razorpay.webhooks.ts';
import type { SandboxClock } from '../../adapters/sandbox/sandbox.clock.ts';
import type { SandboxEvents } from '../../adapters/sandbox/sandbox.events.ts';
import type { SandboxProvider } from '../../adapters/sandbox/sandbox.provider.ts';
import type { StripeWebhooks } from '../../adapters/stripe/stripe.webhooks.ts';
import { token } from '../../application/shared/token.ts';
import type { SettledEvent } from '../../application/webhooks/apply-provider-events.use-case.ts';
import type { JwtVerifier } from '../auth/jwt-verifier.ts';
import type { AppConfig } from '../config.ts';
import type { Metrics } from '../http/metrics.ts';
import type { Logger } from '../logger.ts';
import type { SandboxLifecycle } from '../sandbox-lifecycle.ts';

export const LOGGER = token<Logger>('Logger');
export const CONFIG = token<AppConfig>('AppConfig');
export const JWT_VERIFIER = token<JwtVerifier>('JwtVerifier');
export const STRIPE_WEBHOOKS = token<StripeWebhooks>('StripeWebhooks');
export const RAZORPAY_WEBHOOKS = token<RazorpayWebhooks>('RazorpayWebhooks');
export const METRICS = token<Metrics>('Metrics');
/** This process's workers applying provider events from the inbox: started by the server, woken by deliveries. */
export const INBOX_WORKERS = token<PollingLoop>('InboxWorkers');
/** One run of this process's workers, counted in the metrics: what the loop runs, and what tests call. */
export const INBOX_STEP = token<() => Promise<SettledEvent[]>>('InboxStep');
/** Bound only while the sandbox serves a region; its hosted pages are mounted then. */
export const SANDBOX_PROVIDER = token<SandboxProvider>('SandboxProvider');
/** The sandbox's test clock, which the service's own work follows while the sandbox serves a region. */
export const SANDBOX_CLOCK = token<SandboxClock>('SandboxClock');
/** The events the sandbox sends to this service's webhook routes. */
export const SANDBOX_EVENTS = token<SandboxEvents>('SandboxEvents');
/** What advances the sandbox's clock and lets the whole lifecycle catch up. */
export const SANDBOX_LIFECYCLE = token<SandboxLifecycle>('SandboxLifecycle');
