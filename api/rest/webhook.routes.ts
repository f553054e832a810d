import { Hono, type Context } from 'hono';
import { HandleProviderEvent } from '../../application/webhooks/handle-provider-event.use-case.ts';
import type { ProviderEvent } from '../../application/webhooks/provider-event.ts';
import { CONFIG, RAZORPAY_WEBHOOKS, STRIPE_WEBHOOKS } from '../container.ts';
import type { AppEnv } from '../http/app-env.ts';

/**
 * The providers' webhooks: public, authenticated by their signature on the raw body alone.
 * A route whose secret is not configured refuses every delivery (503, so the provider retries
 * once it is set) and says why in the log.
 */
export function webhookRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.post('/', (c) =>
    receive(c, 'STRIPE_WEBHOOK_SECRET', (use, body) =>
      use(STRIPE_WEBHOOKS).parse(body, c.req.header('stripe-signature') ?? null),
    ),
  );

  routes.post('/razorpay', (c) =>
    receive(c, 'RAZORPAY_WEBHOOK_SECRET', (use, body) =>
      use(RAZORPAY_WEBHOOKS).parse(body, c.req.header('x-razorpay-signature') ?? null, c.req.header('x-razorpay-event-id') ?? null),
    ),
  );

  return routes;
}

async function receive(
  c: Context<AppEnv>,
  secretVariable: 'STRIPE_WEBHOOK_SECRET' | 'RAZORPAY_WEBHOOK_SECRET',
  parse: (use: AppEnv['Variables']['use'], rawBody: string) => ProviderEvent,
): Promise<Response> {
  const use = c.get('use');
  const config = use(CONFIG);
  const secrets = secretVariable === 'STRIPE_WEBHOOK_SECRET' ? config.stripeWebhookSecrets : config.razorpayWebhookSecrets;
  if (secrets.length === 0) {
    c.get('log').warn({ route: c.req.path }, `webhook refused: ${secretVariable} is not configured`);
    return c.json({ error: `${secretVariable} is not configured: this service refuses unsigned webhook deliveries` }, 503);
  }
  const event = parse(use, await c.req.text());
  const outcome = await use(HandleProviderEvent).execute(event);
  c.get('log').info({ provider: event.provider, eventId: event.eventId, type: event.type, outcome }, 'webhook');
  return c.json({ received: true, outcome });
}
