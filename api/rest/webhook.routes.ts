import { Hono, type Context } from 'hono';
import { HandleProviderEvent } from '../../application/webhooks/handle-provider-event.use-case.ts';
import type { ProviderEvent } from '../../application/webhooks/provider-event.ts';
import { BillingError, InvalidInputError } from '../../domain/shared/errors.ts';
import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { CONFIG, RAZORPAY_WEBHOOKS, STRIPE_WEBHOOKS } from '../container.ts';
import type { AppEnv } from '../http/app-env.ts';

/**
 * The providers' webhooks: public, authenticated by their signature on the raw body alone.
 * A route whose secret is not configured refuses every delivery (503, so the provider retries
 * once it is set) and says why in the log. Every delivery is counted by provider and outcome:
 * the handler's (applied, ignored, stale, duplicate), `refused` (no secret, a bad signature or
 * body) or `error` (the handler failed; the provider will retry).
 */
export function webhookRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.post('/', (c) =>
    receive(c, 'stripe', (use, body) =>
      use(STRIPE_WEBHOOKS).parse(body, c.req.header('stripe-signature') ?? null),
    ),
  );

  routes.post('/razorpay', (c) =>
    receive(c, 'razorpay', (use, body) =>
      use(RAZORPAY_WEBHOOKS).parse(body, c.req.header('x-razorpay-signature') ?? null, c.req.header('x-razorpay-event-id') ?? null),
    ),
  );

  return routes;
}

async function receive(
  c: Context<AppEnv>,
  provider: PaymentGatewayName,
  parse: (use: AppEnv['Variables']['use'], rawBody: string) => ProviderEvent,
): Promise<Response> {
  const use = c.get('use');
  const metrics = c.get('metrics');
  const config = use(CONFIG);
  const [secretVariable, secrets] =
    provider === 'stripe' ? ['STRIPE_WEBHOOK_SECRET', config.stripeWebhookSecrets] : ['RAZORPAY_WEBHOOK_SECRET', config.razorpayWebhookSecrets];
  if (secrets.length === 0) {
    metrics.countWebhookDelivery(provider, 'refused');
    c.get('log').warn({ route: c.req.path }, `webhook refused: ${secretVariable} is not configured`);
    return c.json({ error: `${secretVariable} is not configured: this service refuses unsigned webhook deliveries` }, 503);
  }
  let event: ProviderEvent;
  try {
    const rawBody = await c.req.text();
    event = readSignedEvent(c, rawBody, () => parse(use, rawBody));
  } catch (error) {
    metrics.countWebhookDelivery(provider, 'refused');
    throw error;
  }
  let outcome;
  try {
    outcome = await use(HandleProviderEvent).execute(event);
  } catch (error) {
    metrics.countWebhookDelivery(provider, 'error');
    throw error;
  }
  metrics.countWebhookDelivery(provider, outcome);
  c.get('log').info({ provider: event.provider, eventId: event.eventId, type: event.type, outcome }, 'webhook');
  return c.json({ received: true, outcome });
}

/**
 * How deep a delivery's JSON may nest. Providers' events nest about ten levels; the stored payload
 * is serialized again by recursion, which a body nested a few thousand levels deep overflowed.
 */
export const MAX_WEBHOOK_NESTING = 64;

/**
 * A body that carries the provider's signature but that its adapter cannot read (not an object,
 * no id, no time, absurdly nested, text PostgreSQL cannot store) is refused as bad input, 400,
 * like an unsigned one, never a 500. Logged as an error with the cause: only the provider (or
 * whoever holds the secret) can send such a body, so it means the provider changed a payload or
 * the adapter has a bug.
 */
function readSignedEvent(c: Context<AppEnv>, rawBody: string, parse: () => ProviderEvent): ProviderEvent {
  const refuse = (problem: string, error?: unknown): never => {
    c.get('log').error({ ...(error === undefined ? {} : { err: error }), route: c.req.path, problem }, 'webhook refused: a signed body this service cannot read');
    throw new InvalidInputError('body', `the event could not be read: ${problem}`);
  };
  let event: ProviderEvent;
  try {
    // The adapter checks the signature first: nothing else is read from a body not signed.
    event = parse();
  } catch (error) {
    if (error instanceof BillingError) throw error;
    return refuse('the adapter failed on it', error);
  }
  if (nestsDeeperThan(rawBody, MAX_WEBHOOK_NESTING)) refuse(`it nests more than ${MAX_WEBHOOK_NESTING} levels deep`);
  // The whole payload is stored, and a replay reads it back into text columns: PostgreSQL refuses
  // NUL and unpaired surrogates in text. In JSON text both can only be written as escapes (the body was decoded from UTF-8, which has
  // no lone surrogates), so a body without such an escape needs no walk through its payload.
  if (MAYBE_UNSTORABLE_ESCAPE.test(rawBody) && !isStorable(event.payload)) refuse('it has text with a NUL character or an unpaired surrogate (\\u0000, \\ud800)');
  const problem = malformation(event);
  if (problem) refuse(problem);
  return event;
}

/** `\u0000`, or a `\uD800`–`\uDFFF` escape (half of a surrogate pair, or a lone one). */
const MAYBE_UNSTORABLE_ESCAPE = /\\u(?:0000|d[89a-f])/i;

/** Whether every string of a parsed JSON value, keys included, can be stored as PostgreSQL text. */
function isStorable(value: unknown): boolean {
  if (typeof value === 'string') return value.isWellFormed() && !value.includes('\u0000');
  if (Array.isArray(value)) return value.every(isStorable);
  if (typeof value === 'object' && value !== null) return Object.entries(value).every(([key, item]) => isStorable(key) && isStorable(item));
  return true;
}

/** Instants PostgreSQL and every reader of them handle: 1970 to 9999. */
const LATEST_INSTANT_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const isText = (value: unknown): value is string => typeof value === 'string';
const isTextOrNull = (value: unknown) => value === null || isText(value);
const isInstant = (value: unknown) => value instanceof Date && value.getTime() >= 0 && value.getTime() <= LATEST_INSTANT_MS;
const isAmountOrAbsent = (value: unknown) => value === undefined || (Number.isSafeInteger(value) && (value as number) >= 0);

/**
 * What is wrong with the event as the adapter typed it, if anything. The adapters read providers'
 * JSON by casting (`String(id)`, `metadata['user_id'] as string`), so a payload of other shapes
 * became a number where the stores expect text, or an invalid date: checked here, at the edge,
 * before the application or a database sees it.
 */
function malformation(event: ProviderEvent): string | null {
  const { eventId, type, occurredAt, effect } = event as { [K in keyof ProviderEvent]: unknown };
  if (!isText(eventId) || eventId.length === 0) return 'no event id';
  if (!isText(type)) return 'no event type';
  if (!isInstant(occurredAt)) return 'no valid time';
  const fields = (typeof effect === 'object' && effect !== null ? effect : {}) as Record<string, unknown>;
  const nested = (name: string) => (typeof fields[name] === 'object' && fields[name] !== null ? fields[name] : {}) as Record<string, unknown>;
  const ok = ((): boolean => {
    switch (fields['kind']) {
      case 'checkout_paid': {
        const checkout = nested('checkout');
        return (
          isText(checkout['providerSessionId']) &&
          ['sessionId', 'customerId', 'subscriptionId', 'paymentId'].every((name) => isTextOrNull(checkout[name])) &&
          (checkout['currentPeriodEnd'] === null || isInstant(checkout['currentPeriodEnd']))
        );
      }
      case 'checkout_closed':
        return isText(fields['reference']);
      case 'subscription_changed':
        return (
          isText(fields['subscriptionId']) &&
          isTextOrNull(fields['userId']) &&
          isTextOrNull(fields['customerId']) &&
          (fields['currentPeriodEnd'] === null || isInstant(fields['currentPeriodEnd']))
        );
      case 'subscription_ended':
        return isText(fields['subscriptionId']);
      case 'payment_reversal':
        return isText(fields['paymentId']) && isAmountOrAbsent(fields['refundedMinor']) && isAmountOrAbsent(fields['disputedMinor']);
      case 'payout_account_changed':
        return isText(nested('account')['accountId']) && isTextOrNull(nested('account')['reason']);
      case 'payout_transfer_changed':
        return isText(fields['transferId']) && isTextOrNull(fields['payoutId']) && isTextOrNull(fields['reason']);
      case 'none':
        return true;
      default:
        return false;
    }
  })();
  return ok ? null : `a ${String(fields['kind'])} effect with fields of the wrong type`;
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
