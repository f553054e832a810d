import { z } from 'zod';
import { PAID_TIERS } from '../domain/billing/plan-catalogue.ts';
import type { StripePriceIds } from '../adapters/stripe/stripe.payment-gateway.ts';
import { BILLING_INTERVALS } from '../domain/billing/plan.value-objects.ts';
import { DEFAULT_ALLOWED_ORIGINS, RedirectAllowList } from '../domain/billing/redirect-allow-list.policy.ts';
import { BillingError } from '../domain/shared/errors.ts';
import { FxRate } from '../domain/shared/fx-rate.value-object.ts';
import { parseFeeBps } from '../domain/wallet/marketplace-fee.policy.ts';

/**
 * A secret anyone can read in this file, so that `npm start` and `npm run token` agree with no
 * setup. The service refuses it in production and warns whenever it is in use.
 */
export const DEVELOPMENT_JWT_SECRET = 'development-only-jwt-secret-do-not-use-in-production';

/**
 * What the sandbox signs its events with when SANDBOX_WEBHOOK_SECRET is not set: public, like the
 * development JWT secret, and never used in production. A forged event moves nothing, since the
 * workers read the sandbox's own state, but production must set its own.
 */
export const DEVELOPMENT_SANDBOX_WEBHOOK_SECRET = 'whsec_sandbox_development_only_do_not_use_in_production';

export const MAX_DATABASE_POOL = 100;

/** Every problem with the settings, found in one pass; the message is one line per problem. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];

  constructor(problems: string | readonly string[]) {
    const list = typeof problems === 'string' ? [problems] : problems;
    super(list.map((problem) => `invalid configuration: ${problem}`).join('\n'));
    this.problems = list;
  }
}

/** How long a token may live from its `iat` when JWT_MAX_TTL_SECONDS is not set: a day. */
export const DEFAULT_JWT_MAX_TTL_SECONDS = 86_400;

export interface AppConfig {
  readonly nodeEnv: string;
  readonly production: boolean;
  readonly host: string;
  readonly port: number;
  readonly logLevel: string;
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly databasePoolMax: number;
  readonly jwt: JwtConfig;
  readonly trustCfIpCountry: boolean;
  /**
   * Where this server is reached from a browser; the sandbox's hosted pages live under it.
   * Unset, the server fills in the address it listens on.
   */
  readonly publicUrl: string | undefined;
  readonly redirectAllowList: RedirectAllowList;
  readonly redirectAllowedOrigins: readonly string[];
  /** The browser origins REST and GraphQL answer CORS for (CORS_ALLOWED_ORIGINS; default: the redirect allow-list's). */
  readonly corsAllowList: RedirectAllowList;
  readonly corsAllowedOrigins: readonly string[];
  /** In production, a region without provider keys is served by the sandbox only when this says so (SANDBOX_IN_PRODUCTION=1). */
  readonly sandboxInProduction: boolean;
  /** GraphiQL and introspection (GRAPHIQL=on|off; default on outside production, off in production). */
  readonly graphiql: boolean;
  /** When set, `/metrics` answers only requests bearing this token. */
  readonly metricsToken: string | undefined;
  /** The platform's share of every paid tool call, in basis points (2,000 = 20%). */
  readonly marketplaceFeeBps: number;
  /** INR per USD in millionths (83.25 → 83_250_000). */
  readonly inrPerUsdMicros: number;
  /** Stripe for the rest of the world; absent: the sandbox serves that region. */
  readonly stripe: StripeConfig | undefined;
  /** Razorpay for India; absent: the sandbox serves that region. */
  readonly razorpay: RazorpayConfig | undefined;
  /** How long a plan whose renewal fails keeps its tier before it falls back to free. */
  readonly pastDueGraceDays: number;
  /** How often each process asks providers about checkouts left open; 0 turns it off. */
  readonly reconcileIntervalSeconds: number;
  /** On SIGTERM, how long the process keeps serving (readiness answering 503) before it stops taking connections. */
  readonly shutdownDrainSeconds: number;
  /** Whether this process takes part in the weekly and monthly payout runs (PAYOUT_SCHEDULE=off: not). */
  readonly payoutSchedule: boolean;
  /**
   * Webhook signing secrets, several during a rotation; empty: the route refuses every delivery.
   * While the sandbox serves a region, its route also takes the sandbox's secret.
   */
  readonly stripeWebhookSecrets: readonly string[];
  readonly razorpayWebhookSecrets: readonly string[];
  /** What the sandbox signs its events with (the development default outside production); undefined: it sends none. */
  readonly sandboxWebhookSecret: string | undefined;
}

export interface StripeConfig {
  readonly secretKey: string;
  readonly priceIds: StripePriceIds;
  readonly live: boolean;
  /** Plan checkouts take promotion codes (STRIPE_ALLOW_PROMOTION_CODES). */
  readonly allowPromotionCodes: boolean;
  /** Plan checkouts add tax through Stripe Tax (STRIPE_AUTOMATIC_TAX). */
  readonly automaticTax: boolean;
  /** Another address for Stripe's API (stripe-mock, a local fake); Stripe's own when absent. */
  readonly api: { readonly host: string; readonly port: number; readonly protocol: 'http' | 'https' } | undefined;
}

export interface RazorpayConfig {
  readonly keyId: string;
  readonly keySecret: string;
  readonly live: boolean;
  /** Another base URL for Razorpay's API (a local fake); Razorpay's own when absent. */
  readonly apiBaseUrl: string | undefined;
  /** Razorpay Standard Checkout's script, which this server's subscription checkout page loads. */
  readonly checkoutScriptUrl: string;
}

/** Where Razorpay serves Standard Checkout. */
export const DEFAULT_RAZORPAY_CHECKOUT_SCRIPT_URL = 'https://checkout.razorpay.com/v1/checkout.js';

interface JwtClaimRules {
  readonly issuer?: string;
  readonly audience?: string;
  /** The longest a token may live from its `iat` (JWT_MAX_TTL_SECONDS). */
  readonly maxTtlSeconds: number;
}

export type JwtConfig =
  | ({ readonly kind: 'secret'; readonly secret: string; readonly development: boolean } & JwtClaimRules)
  | ({ readonly kind: 'jwks'; readonly jwksUrl: URL } & JwtClaimRules);

const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const flag = z
  .enum(['0', '1', 'true', 'false', ''])
  .optional()
  .transform((value) => value === '1' || value === 'true');

const integer = (min: number, max: number, fallback: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return fallback;
      const parsed = Number(value);
      if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return parsed;
    });

/** The only environments there are: any other name (`staging`, `prod`) would quietly run as development. */
const NODE_ENVS = ['development', 'test', 'production'] as const;

const environment = z.object({
  NODE_ENV: optionalText.refine((value) => value === undefined || (NODE_ENVS as readonly string[]).includes(value), {
    message: `must be one of ${NODE_ENVS.join(', ')}`,
  }),
  HOST: optionalText,
  PORT: integer(0, 65_535, 4000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  // Parsed as well: a URL the driver cannot read (a port over 65535) would fail the start with a stack.
  DATABASE_URL: optionalText.refine((value) => value === undefined || (/^postgres(ql)?:\/\//.test(value) && URL.canParse(value)), {
    message: 'must be a postgres:// or postgresql:// URL',
  }),
  DATA_DIR: optionalText,
  DATABASE_POOL_MAX: integer(1, MAX_DATABASE_POOL, 10),
  JWT_SECRET: optionalText.refine((value) => value === undefined || value.length >= 32, {
    message: 'must be at least 32 characters (HS256 needs a 256-bit secret)',
  }),
  JWT_JWKS_URL: optionalText.refine((value) => value === undefined || URL.canParse(value), { message: 'must be a URL' }),
  JWT_ISSUER: optionalText,
  JWT_AUDIENCE: optionalText,
  JWT_MAX_TTL_SECONDS: integer(60, 30 * 86_400, DEFAULT_JWT_MAX_TTL_SECONDS),
  TRUST_CF_IPCOUNTRY: flag,
  PUBLIC_URL: optionalText.refine((value) => value === undefined || /^https?:\/\//.test(value), { message: 'must be an http(s) URL' }),
  REDIRECT_ALLOWED_ORIGINS: optionalText,
  CORS_ALLOWED_ORIGINS: optionalText,
  SANDBOX_IN_PRODUCTION: flag,
  GRAPHIQL: z.enum(['on', 'off']).optional(),
  METRICS_TOKEN: optionalText.refine((value) => value === undefined || value.length >= 16, { message: 'must be at least 16 characters' }),
  INR_PER_USD: optionalText,
  MARKETPLACE_FEE_BPS: optionalText,
  RECONCILE_INTERVAL_SECONDS: integer(0, 86_400, 300),
  PAST_DUE_GRACE_DAYS: integer(0, 90, 7),
  PAYOUT_SCHEDULE: z.enum(['on', 'off']).default('on'),
  SHUTDOWN_DRAIN_SECONDS: integer(0, 120, 2),
  STRIPE_SECRET_KEY: optionalText.refine((value) => value === undefined || /^(sk|rk)_(test|live)_\w+$/.test(value), {
    message: 'must be a Stripe secret key (sk_test_… or sk_live_…)',
  }),
  STRIPE_ALLOW_PROMOTION_CODES: flag,
  STRIPE_AUTOMATIC_TAX: flag,
  STRIPE_WEBHOOK_SECRET: optionalText.refine((value) => value === undefined || secretList(value).every((secret) => secret.startsWith('whsec_')), {
    message: 'must be webhook signing secrets (whsec_…), comma-separated during a rotation',
  }),
  RAZORPAY_KEY_ID: optionalText.refine((value) => value === undefined || /^rzp_(test|live)_\w+$/.test(value), {
    message: 'must be a Razorpay key id (rzp_test_… or rzp_live_…)',
  }),
  RAZORPAY_KEY_SECRET: optionalText,
  RAZORPAY_WEBHOOK_SECRET: optionalText,
  SANDBOX_WEBHOOK_SECRET: optionalText.refine((value) => value === undefined || (value.startsWith('whsec_') && value.length >= 32), {
    message: 'must be a webhook signing secret of at least 32 characters starting whsec_ (the sandbox signs as Stripe does)',
  }),
  STRIPE_API_URL: optionalText.refine((value) => value === undefined || /^https?:\/\/[^/]+\/?$/.test(value), { message: 'must be an http(s) URL of a host, without a path' }),
  RAZORPAY_API_URL: optionalText.refine((value) => value === undefined || /^https?:\/\//.test(value), { message: 'must be an http(s) URL' }),
  RAZORPAY_CHECKOUT_SCRIPT_URL: optionalText.refine((value) => value === undefined || /^https?:\/\/[^/]+\/./.test(value), { message: 'must be the http(s) URL of a script' }),
});

type Environment = z.infer<typeof environment>;

/** The platform's default share of a paid tool call: 20%. */
export const DEFAULT_MARKETPLACE_FEE_BPS = '2000';

/** The default used when INR_PER_USD is not set; set it to the rate you bill at. */
export const DEFAULT_INR_PER_USD = '85.00';

/**
 * Reads and checks every setting once, at start. Every problem is found in one pass and reported
 * together, one line each naming its variable, so a deployment is fixed in one round.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const problems: string[] = [];
  // Each variable on its own, so that one bad value does not hide the next.
  const vars = Object.fromEntries(
    Object.entries(environment.shape).map(([variable, schema]) => {
      const parsed = schema.safeParse(env[variable]);
      if (!parsed.success) problems.push(...parsed.error.issues.map((issue) => `${variable} ${issue.message}`));
      return [variable, parsed.data];
    }),
  ) as Environment;
  const read = <T>(variable: string, value: () => T): T | undefined => {
    try {
      return value();
    } catch (error) {
      if (error instanceof ConfigError) problems.push(...error.problems);
      else if (error instanceof BillingError) problems.push(error.message.startsWith(variable) ? error.message : `${variable} ${error.message}`);
      else throw error;
      return undefined;
    }
  };
  const nodeEnv = vars.NODE_ENV ?? 'development';
  const production = nodeEnv === 'production';
  const stripe = read('STRIPE_SECRET_KEY', () => stripeConfig(vars, env, production));
  const razorpay = read('RAZORPAY_KEY_ID', () => razorpayConfig(vars, production));
  if (production && !vars.SANDBOX_IN_PRODUCTION) problems.push(...sandboxInProductionProblems(env));
  const jwt = read('JWT_SECRET', () => jwtConfig(vars, production));
  const redirectOrigins = originList(vars.REDIRECT_ALLOWED_ORIGINS) ?? [...DEFAULT_ALLOWED_ORIGINS];
  const redirectAllowList = read('REDIRECT_ALLOWED_ORIGINS', () => RedirectAllowList.of(redirectOrigins));
  const corsList = originList(vars.CORS_ALLOWED_ORIGINS);
  const corsOrigins = corsList ?? redirectOrigins;
  // Unset, it is the redirect allow-list itself: a problem there is reported once, under its own name.
  const corsAllowList = corsList ? read('CORS_ALLOWED_ORIGINS', () => RedirectAllowList.of(corsList, 'CORS_ALLOWED_ORIGINS')) : redirectAllowList;
  const marketplaceFeeBps = read('MARKETPLACE_FEE_BPS', () => parseFeeBps(vars.MARKETPLACE_FEE_BPS ?? DEFAULT_MARKETPLACE_FEE_BPS, 'MARKETPLACE_FEE_BPS'));
  const inrPerUsdMicros = read('INR_PER_USD', () => FxRate.parseDecimal(vars.INR_PER_USD ?? DEFAULT_INR_PER_USD, 'INR_PER_USD'));
  if (problems.length > 0 || !jwt || !redirectAllowList || !corsAllowList || marketplaceFeeBps === undefined || inrPerUsdMicros === undefined) {
    throw new ConfigError(problems);
  }
  const sandboxWebhookSecret = vars.SANDBOX_WEBHOOK_SECRET ?? (production ? undefined : DEVELOPMENT_SANDBOX_WEBHOOK_SECRET);
  const withSandbox = (secrets: string[], served: boolean) => (served && sandboxWebhookSecret ? [...secrets, sandboxWebhookSecret] : secrets);
  return {
    nodeEnv,
    production,
    host: vars.HOST ?? (production ? '0.0.0.0' : '127.0.0.1'),
    port: vars.PORT,
    logLevel: vars.LOG_LEVEL ?? 'info',
    databaseUrl: vars.DATABASE_URL,
    dataDir: vars.DATA_DIR ?? '.data',
    databasePoolMax: vars.DATABASE_POOL_MAX,
    jwt,
    trustCfIpCountry: vars.TRUST_CF_IPCOUNTRY,
    publicUrl: vars.PUBLIC_URL?.replace(/\/$/, ''),
    redirectAllowedOrigins: redirectOrigins,
    redirectAllowList,
    corsAllowedOrigins: corsOrigins,
    corsAllowList,
    sandboxInProduction: vars.SANDBOX_IN_PRODUCTION,
    graphiql: vars.GRAPHIQL === undefined ? !production : vars.GRAPHIQL === 'on',
    metricsToken: vars.METRICS_TOKEN,
    marketplaceFeeBps,
    inrPerUsdMicros,
    stripe,
    razorpay,
    reconcileIntervalSeconds: vars.RECONCILE_INTERVAL_SECONDS,
    payoutSchedule: vars.PAYOUT_SCHEDULE === 'on',
    shutdownDrainSeconds: vars.SHUTDOWN_DRAIN_SECONDS,
    pastDueGraceDays: vars.PAST_DUE_GRACE_DAYS,
    stripeWebhookSecrets: withSandbox(secretList(vars.STRIPE_WEBHOOK_SECRET), !stripe),
    razorpayWebhookSecrets: withSandbox(secretList(vars.RAZORPAY_WEBHOOK_SECRET), !razorpay),
    sandboxWebhookSecret,
  };
}

/**
 * The sandbox confirms every checkout it is asked to: serving it in production would hand out
 * plans and deposits for free, so a region without keys must be chosen on purpose.
 */
function sandboxInProductionProblems(env: NodeJS.ProcessEnv): string[] {
  const missing = [
    ...(env['STRIPE_SECRET_KEY']?.trim() ? [] : ['Stripe (STRIPE_SECRET_KEY)']),
    ...(env['RAZORPAY_KEY_ID']?.trim() || env['RAZORPAY_KEY_SECRET']?.trim() ? [] : ['Razorpay (RAZORPAY_KEY_ID, RAZORPAY_KEY_SECRET)']),
  ];
  return missing.map(
    (provider) =>
      `NODE_ENV=production has no keys for ${provider}, so the sandbox would serve that region and confirm every payment for free; set the keys, or SANDBOX_IN_PRODUCTION=1 to serve the sandbox on purpose`,
  );
}

function originList(value: string | undefined): string[] | undefined {
  return value?.split(',').map((origin) => origin.trim()).filter(Boolean);
}

function secretList(value: string | undefined): string[] {
  return (value ?? '').split(',').map((secret) => secret.trim()).filter(Boolean);
}

/** A live key outside production is refused: development and CI must never move real money. */
function refuseLiveKeyOutsideProduction(variable: string, live: boolean, production: boolean): void {
  if (live && !production) {
    throw new ConfigError(`${variable} is a live key; live keys are accepted only with NODE_ENV=production`);
  }
}

function stripeConfig(vars: Environment, env: NodeJS.ProcessEnv, production: boolean): StripeConfig | undefined {
  if (!vars.STRIPE_SECRET_KEY) return undefined;
  const live = /^(sk|rk)_live_/.test(vars.STRIPE_SECRET_KEY);
  refuseLiveKeyOutsideProduction('STRIPE_SECRET_KEY', live, production);
  const missing: string[] = [];
  const priceIds = Object.fromEntries(
    PAID_TIERS.map((tier) => [
      tier,
      Object.fromEntries(
        BILLING_INTERVALS.map((interval) => {
          const variable = `STRIPE_PRICE_${tier.toUpperCase()}_${interval.toUpperCase()}`;
          const priceId = env[variable]?.trim();
          if (!priceId || !/^price_\w+$/.test(priceId)) missing.push(`${variable} must be a Stripe Price id (price_…) when STRIPE_SECRET_KEY is set`);
          return [interval, priceId];
        }),
      ),
    ]),
  ) as unknown as StripePriceIds;
  if (missing.length > 0) throw new ConfigError(missing);
  return {
    secretKey: vars.STRIPE_SECRET_KEY,
    priceIds,
    live,
    allowPromotionCodes: vars.STRIPE_ALLOW_PROMOTION_CODES,
    automaticTax: vars.STRIPE_AUTOMATIC_TAX,
    api: stripeApi(vars.STRIPE_API_URL, production),
  };
}

/** A provider's API elsewhere than its own address is for tests and local stand-ins: never with real money. */
function refuseApiOverrideInProduction(variable: string, value: string | undefined, production: boolean): void {
  if (value !== undefined && production) throw new ConfigError(`${variable} points the provider's API elsewhere, which NODE_ENV=production refuses`);
}

function stripeApi(value: string | undefined, production: boolean): StripeConfig['api'] {
  refuseApiOverrideInProduction('STRIPE_API_URL', value, production);
  if (value === undefined) return undefined;
  const url = new URL(value);
  const protocol = url.protocol === 'https:' ? 'https' : 'http';
  return { host: url.hostname, port: Number(url.port || (protocol === 'https' ? 443 : 80)), protocol };
}

function razorpayConfig(vars: Environment, production: boolean): RazorpayConfig | undefined {
  if (!vars.RAZORPAY_KEY_ID && !vars.RAZORPAY_KEY_SECRET) return undefined;
  if (!vars.RAZORPAY_KEY_ID || !vars.RAZORPAY_KEY_SECRET) {
    throw new ConfigError('set RAZORPAY_KEY_ID and RAZORPAY_KEY_SECRET together');
  }
  const live = vars.RAZORPAY_KEY_ID.startsWith('rzp_live_');
  refuseLiveKeyOutsideProduction('RAZORPAY_KEY_ID', live, production);
  refuseApiOverrideInProduction('RAZORPAY_API_URL', vars.RAZORPAY_API_URL, production);
  const checkoutScriptUrl = vars.RAZORPAY_CHECKOUT_SCRIPT_URL ?? DEFAULT_RAZORPAY_CHECKOUT_SCRIPT_URL;
  if (production && !checkoutScriptUrl.startsWith('https://')) {
    throw new ConfigError('RAZORPAY_CHECKOUT_SCRIPT_URL must be https in production (the payment page loads it)');
  }
  return { keyId: vars.RAZORPAY_KEY_ID, keySecret: vars.RAZORPAY_KEY_SECRET, live, apiBaseUrl: vars.RAZORPAY_API_URL, checkoutScriptUrl };
}

function jwtConfig(vars: Environment, production: boolean): JwtConfig {
  const claims = {
    maxTtlSeconds: vars.JWT_MAX_TTL_SECONDS,
    ...(vars.JWT_ISSUER ? { issuer: vars.JWT_ISSUER } : {}),
    ...(vars.JWT_AUDIENCE ? { audience: vars.JWT_AUDIENCE } : {}),
  };
  if (vars.JWT_SECRET && vars.JWT_JWKS_URL) {
    throw new ConfigError('set JWT_SECRET or JWT_JWKS_URL, not both');
  }
  if (vars.JWT_JWKS_URL) return { kind: 'jwks', jwksUrl: new URL(vars.JWT_JWKS_URL), ...claims };
  if (vars.JWT_SECRET) return { kind: 'secret', secret: vars.JWT_SECRET, development: false, ...claims };
  if (production) {
    throw new ConfigError('JWT_SECRET or JWT_JWKS_URL is required when NODE_ENV=production');
  }
  return { kind: 'secret', secret: DEVELOPMENT_JWT_SECRET, development: true, ...claims };
}
