import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export const REDACTED = '[redacted]';

/**
 * Keys whose value is never written, wherever they appear in a logged object (top level, or one
 * or two objects down: `headers.authorization`, `req.headers.cookie`, `profile.pan`). Credentials:
 * auth headers, cookies, webhook signatures, secrets, passwords, tokens, API keys. Payment data:
 * card numbers and security codes, bank account numbers, PAN. An IFSC is public and stays.
 */
export const SENSITIVE_KEYS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'stripe-signature',
  'x-razorpay-signature',
  'signature',
  'secret',
  'secrets',
  'password',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'idToken',
  'id_token',
  'jwt',
  'apiKey',
  'api_key',
  'x-api-key',
  'secretKey',
  'secret_key',
  'keySecret',
  'key_secret',
  'clientSecret',
  'client_secret',
  'webhookSecret',
  'webhook_secret',
  'cardNumber',
  'card_number',
  'cvc',
  'cvv',
  'bankAccountNumber',
  'bank_account_number',
  'accountNumber',
  'account_number',
  'pan',
] as const;

/** The same keys, deeper in an error: provider SDK errors carry their request (`err.config.headers`). */
const SENSITIVE_KEY = new RegExp(
  `^(${SENSITIVE_KEYS.map((key) => key.replace(/[-_]/g, '[-_]?')).join('|')})$|secret|password|token|signature|api[-_]?key|account[-_]?number|card[-_]?number`,
  'i',
);

function pathTo(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `["${key}"]`;
}

export const REDACT_PATHS: readonly string[] = [
  ...SENSITIVE_KEYS.flatMap((key) => [pathTo(key).replace(/^\./, ''), `*${pathTo(key)}`, `*.*${pathTo(key)}`]),
  // Where a card's number is called just `number` (Stripe's card object).
  'card.number',
  '*.card.number',
  '*.*.card.number',
];

/** The request a log line belongs to, for lines written by loggers that do not carry it (GraphQL Yoga's). */
const requestContext = new AsyncLocalStorage<{ readonly requestId: string }>();

/** Runs a request's work so that every line logged while it runs carries its `requestId`. */
export function withRequestId<T>(requestId: string, work: () => T): T {
  return requestContext.run({ requestId }, work);
}

/** The id of the request running now, if any. */
export function currentRequestId(): string | undefined {
  return requestContext.getStore()?.requestId;
}

const boundRequestId = new WeakMap<object, boolean>();

/** Adds the running request's id unless the logger already binds one (a child made with its own). */
function requestIdMixin(_merge: object, _level: number, instance: Logger): object {
  const context = requestContext.getStore();
  if (!context) return {};
  let bound = boundRequestId.get(instance);
  if (bound === undefined) {
    bound = 'requestId' in instance.bindings();
    boundRequestId.set(instance, bound);
  }
  return bound ? {} : { requestId: context.requestId };
}

/**
 * An error as pino writes it (type, message, stack, its own fields), with sensitive keys masked
 * at any depth: an error's fields are whatever its library put there.
 */
function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return scrub(error, 0);
  const serialized = pino.stdSerializers.err(error) as unknown as Record<string, unknown>;
  const original = (error as { originalError?: unknown }).originalError;
  if (original instanceof Error && original !== error) serialized['originalError'] = serializeError(original);
  return scrub(serialized, 0);
}

function scrub(value: unknown, depth: number): unknown {
  if (depth > 8 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [key, SENSITIVE_KEY.test(key) ? REDACTED : scrub(inner, depth + 1)]),
  );
}

/**
 * JSON lines on stdout (or `destination`). Credentials and payment data are removed wherever
 * they appear in a logged object, so a careless `log.info({ req })` cannot leak a token, a
 * provider key, a signature or a bank account; errors, here or in GraphQL Yoga's `args`, are
 * serialized with their stack and scrubbed the same way.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'billing' },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: requestIdMixin,
    serializers: {
      err: serializeError,
      error: serializeError,
      args: (args: unknown) => (Array.isArray(args) ? args.map(serializeError) : serializeError(args)),
    },
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
  };
  return destination ? pino(options, destination) : pino(options);
}
