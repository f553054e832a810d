import { Hono, type Context } from 'hono';
import { utf8Text } from '../../adapters/shared/wire.ts';
import type { ReceivedEvent } from '../../application/webhooks/provider-event.ts';
import { ReceiveProviderEvent } from '../../application/webhooks/receive-provider-event.use-case.ts';
import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { BillingError, InvalidInputError } from '../../domain/shared/errors.ts';
import { CONFIG, RAZORPAY_WEBHOOKS, STRIPE_WEBHOOKS } from '../container.ts';
import type { AppEnv } from '../http/app-env.ts';

/**
 * The providers' webhooks: public, authenticated by their signature on the raw body alone. A
 * verified delivery is recorded in the inbox and answered `200 {"received":true}`, a redelivery
 * alike; workers apply it afterwards by reading the provider's current state. A route whose secret
 * is not configured refuses every delivery (503, so the provider retries once it is set) and says
 * why in the log. Every delivery is counted by provider and outcome: `recorded`, `duplicate`,
 * `refused` (no secret, a bad signature or body) or `error` (it could not be recorded; the
 * provider will retry).
 */
export function webhookRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.post('/', (c) =>
    receive(c, 'stripe', (use, body) => use(STRIPE_WEBHOOKS).receive(body, c.req.header('stripe-signature') ?? null)),
  );

  routes.post('/razorpay', (c) =>
    receive(c, 'razorpay', (use, body) =>
      use(RAZORPAY_WEBHOOKS).receive(body, c.req.header('x-razorpay-signature') ?? null, c.req.header('x-razorpay-event-id') ?? null),
    ),
  );

  return routes;
}

async function receive(
  c: Context<AppEnv>,
  provider: PaymentGatewayName,
  verify: (use: AppEnv['Variables']['use'], rawBody: Uint8Array) => ReceivedEvent,
): Promise<Response> {
  const use = c.get('use');
  const metrics = c.get('metrics');
  const config = use(CONFIG);
  const [secretVariable, secrets] =
    provider === 'stripe' ? ['STRIPE_WEBHOOK_SECRET', config.stripeWebhookSecrets] : ['RAZORPAY_WEBHOOK_SECRET', config.razorpayWebhookSecrets];
  if (secrets.length === 0) {
    metrics.countWebhookDelivery(provider, 'refused');
    c.get('log').warn({ route: c.req.path }, `webhook refused: ${secretVariable} is not configured`);
    return c.json({ error: `${secretVariable} is not configured: this service refuses unsigned webhook deliveries`, code: 'WEBHOOK_SECRET_NOT_CONFIGURED' }, 503);
  }
  let event: ReceivedEvent;
  try {
    // The bytes as delivered: the signature covers them, not a text decoded from them.
    const rawBody = new Uint8Array(await c.req.arrayBuffer());
    event = readSignedEvent(c, rawBody, () => verify(use, rawBody));
  } catch (error) {
    metrics.countWebhookDelivery(provider, 'refused');
    throw error;
  }
  let outcome;
  try {
    outcome = await use(ReceiveProviderEvent).execute(event);
  } catch (error) {
    metrics.countWebhookDelivery(provider, 'error');
    throw error;
  }
  metrics.countWebhookDelivery(provider, outcome);
  c.get('log').info({ provider: event.provider, eventId: event.eventId, type: event.type, outcome }, 'webhook');
  return c.json({ received: true });
}

/**
 * How deep a delivery's JSON may nest. Providers' events nest about ten levels; the admin view
 * prints a stored payload again by recursion, which a body nested thousands of levels deep overflowed.
 */
export const MAX_WEBHOOK_NESTING = 64;
const TOO_DEEP = `it nests more than ${MAX_WEBHOOK_NESTING} levels deep`;

/**
 * A body that carries the provider's signature but that its adapter cannot read (not an event, no
 * id, absurdly nested) is refused as bad input, 400, like an unsigned one, never a 500. Logged as
 * an error with the cause: only the provider (or whoever holds the secret) can send such a body, so
 * it means the provider changed a payload or the adapter has a bug.
 */
function readSignedEvent(c: Context<AppEnv>, rawBody: Uint8Array, verify: () => ReceivedEvent): ReceivedEvent {
  const refuse = (problem: string, error?: unknown): never => {
    c.get('log').error({ ...(error === undefined ? {} : { err: error }), route: c.req.path, problem }, 'webhook refused: a signed body this service cannot read');
    throw new InvalidInputError('body', `the event could not be read: ${problem}`);
  };
  let event: ReceivedEvent;
  try {
    // The adapter checks the signature first: nothing else is read from a body not signed.
    event = verify();
  } catch (error) {
    if (!(error instanceof BillingError)) return refuse('the adapter failed on it', error);
    // A signed body the adapter could not read: say why, its depth first (which also explains a schema's complaint).
    if (error instanceof InvalidInputError && error.field === 'body') refuse(textNestsTooDeep(rawBody) ? TOO_DEEP : error.message);
    throw error;
  }
  if (nestsDeeperThan(event.payloadJson, MAX_WEBHOOK_NESTING)) refuse(TOO_DEEP);
  return event;
}

/** Whether a body is UTF-8 text nested too deep; one that is not UTF-8 keeps its own refusal. */
function textNestsTooDeep(bytes: Uint8Array): boolean {
  const text = utf8Text(bytes);
  return text !== null && nestsDeeperThan(text, MAX_WEBHOOK_NESTING);
}

/** Whether JSON text opens more than `max` arrays or objects at once (strings skipped). */
function nestsDeeperThan(json: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < json.length; index++) {
    const char = json.charCodeAt(index);
    if (inString) {
      if (char === 0x5c) index++;
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) {
      inString = true;
    } else if (char === 0x7b || char === 0x5b) {
      if (++depth > max) return true;
    } else if (char === 0x7d || char === 0x5d) {
      depth--;
    }
  }
  return false;
}
