import { SignJWT } from 'jose';
import type { Database } from '../../adapters/persistence/database.ts';
import { loadConfig } from '../../api/config.ts';
import type { Container } from 'inversify';
import type { Clock } from '../../application/shared/clock.port.ts';
import { buildContainer, INBOX_STEP, resolve, SANDBOX_PROVIDER, type ContainerOptions } from '../../api/container.ts';
import { createApp } from '../../api/http/app.ts';
import { createLogger } from '../../api/logger.ts';

export const TEST_JWT_SECRET = 'test-secret-of-at-least-thirty-two-characters';
const MAX_APPLY_RUNS = 100;

/** A Stripe Price id for every tier and interval, as a deployment with Stripe keys configures them. */
export const STRIPE_PRICE_ENV = {
  STRIPE_PRICE_STARTER_MONTHLY: 'price_sm',
  STRIPE_PRICE_STARTER_YEARLY: 'price_sy',
  STRIPE_PRICE_PRO_MONTHLY: 'price_pm',
  STRIPE_PRICE_PRO_YEARLY: 'price_py',
  STRIPE_PRICE_BUSINESS_MONTHLY: 'price_bm',
  STRIPE_PRICE_BUSINESS_YEARLY: 'price_by',
};

export interface TokenClaims {
  readonly sub?: string;
  readonly country?: string;
  readonly role?: string;
  /** A lifetime (`'2h'`, `'30d'`, counted from the issue time) or an absolute `exp` in epoch seconds. */
  readonly expiresIn?: string | number;
  readonly issuer?: string;
  readonly audience?: string;
  readonly secret?: string;
  readonly alg?: string;
}

/**
 * The longest token test apps accept (JWT_MAX_TTL_SECONDS at its 30-day bound): tests move their
 * clocks by weeks with one token, where a real client would fetch a new one.
 */
const TEST_JWT_MAX_TTL_SECONDS = String(30 * 86_400);

/**
 * The time tokens are issued at: the clock of the app makeTestApp made last, so a token is issued
 * "now" for an app whose clock is fixed in the past or moved ahead (the service refuses an `iat`
 * in its future). Real time when that app runs on the system clock.
 */
let tokenClock: Clock | undefined;

const LIFETIME = /^(\d+)(s|m|h|d)$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400 };

function lifetimeSeconds(lifetime: string): number {
  const match = LIFETIME.exec(lifetime);
  if (!match) throw new Error(`signToken: expiresIn "${lifetime}" is not a lifetime such as 2h or 30d`);
  return Number(match[1]) * UNIT_SECONDS[match[2]!]!;
}

export async function signToken(claims: TokenClaims = {}): Promise<string> {
  const issuedAt = Math.floor((tokenClock?.now() ?? new Date()).getTime() / 1000);
  const expiresIn = claims.expiresIn ?? '1h';
  let jwt = new SignJWT({
    ...(claims.role ? { role: claims.role } : {}),
    ...(claims.country ? { country: claims.country } : {}),
  })
    .setProtectedHeader({ alg: claims.alg ?? 'HS256' })
    .setIssuedAt(issuedAt)
    .setExpirationTime(typeof expiresIn === 'number' ? expiresIn : issuedAt + lifetimeSeconds(expiresIn));
  if (claims.sub !== undefined) jwt = jwt.setSubject(claims.sub);
  if (claims.issuer) jwt = jwt.setIssuer(claims.issuer);
  if (claims.audience) jwt = jwt.setAudience(claims.audience);
  return jwt.sign(new TextEncoder().encode(claims.secret ?? TEST_JWT_SECRET));
}

/** The real app and container, wired in memory (or to `database`), with test configuration. */
export function makeTestApp(
  options: {
    env?: Record<string, string>;
    database?: Database;
    clock?: Clock;
    gateways?: ContainerOptions['gateways'];
    payoutGateways?: ContainerOptions['payoutGateways'];
    configure?: (container: Container) => void;
    /** The logger's level (LOG_LEVEL): `info` unless given. */
    logLevel?: string;
  } = {},
) {
  const config = loadConfig({ JWT_SECRET: TEST_JWT_SECRET, JWT_MAX_TTL_SECONDS: TEST_JWT_MAX_TTL_SECONDS, ...options.env });
  tokenClock = options.clock;
  const logLines: string[] = [];
  // The service's own logger (redaction, request ids), writing to memory.
  const logger = createLogger(options.logLevel ?? 'info', { write: (line: string) => void logLines.push(line) });
  const container = buildContainer({
    config,
    logger,
    database: options.database,
    clock: options.clock,
    gateways: options.gateways,
    payoutGateways: options.payoutGateways,
  });
  options.configure?.(container);
  const app = createApp(container);

  async function request(path: string, init: { method?: string; token?: string; headers?: Record<string, string>; body?: unknown } = {}) {
    const headers: Record<string, string> = { ...init.headers };
    if (init.token) headers['authorization'] = `Bearer ${init.token}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const response = await app.request(path, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers,
      ...(init.body === undefined ? {} : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
  }

  async function graphql(query: string, options: { token?: string; variables?: Record<string, unknown>; headers?: Record<string, string> } = {}) {
    const response = await request('/graphql', {
      token: options.token,
      headers: options.headers,
      body: { query, variables: options.variables ?? {} },
    });
    return { status: response.status, ...(response.json() as { data?: any; errors?: any[] }) };
  }

  /** What the service logged, one parsed JSON object per line. */
  const logs = () => logLines.map((line) => JSON.parse(line) as Record<string, unknown>);

  /**
   * Applies every provider event that is due, as this process's workers would (they are not
   * started in tests): the test then sees what the workers made of the deliveries.
   */
  async function applyEvents(): Promise<void> {
    // The sandbox's events that wait for a delivery run (those of changes made inside the service's transactions) go first.
    if (container.isBound(SANDBOX_PROVIDER)) await resolve(container, SANDBOX_PROVIDER).deliverEvents();
    const step = resolve(container, INBOX_STEP);
    for (let run = 0; run < MAX_APPLY_RUNS; run++) {
      if ((await step()).length === 0) return;
    }
    throw new Error(`provider events were still due after ${MAX_APPLY_RUNS} worker runs`);
  }

  return { app, container, config, request, graphql, logs, applyEvents };
}
