import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { SettledEvent } from '../../application/webhooks/apply-provider-events.use-case.ts';
import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import type { PayoutStatus } from '../../domain/payouts/payout.entity.ts';
import { BillingError, InsufficientFundsError, OverloadedError, ProviderError } from '../../domain/shared/errors.ts';

/**
 * Prometheus metrics, in the text exposition format at `GET /metrics`. Every label value comes
 * from a closed set (a route pattern, never a raw path; an outcome; a status), so no user id,
 * payout id or session id can ever become a label and blow up the series count.
 *
 * Each app owns its registry, so tests that build many apps never share counters; the process
 * metrics (CPU, memory, event loop, GC) belong to the process and live in one registry of their
 * own, started with the first app (their collectors observe GC and the event loop from then on,
 * so they are set up once per process, not once per app).
 */

/** 1 ms to 5 s: the charge path answers in milliseconds, a provider round trip in seconds. */
export const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** How many distinct GraphQL operation names are kept as labels; later ones count as `_other`. */
export const MAX_OPERATION_NAMES = 100;

export type WebhookDeliveryOutcome = 'recorded' | 'duplicate' | 'refused' | 'error';
export type ToolChargeOutcome = 'charged' | 'replayed' | 'insufficient_funds' | 'refused' | 'error';
export type PayoutKind = 'manual' | 'retry';
export type PayoutOutcome = PayoutStatus | 'refused' | 'error';
export type GraphQLOutcome = 'success' | 'error' | 'rejected';

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const OPERATION_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;

let processRegistry: Registry | undefined;

/** The process's own metrics, collected once per process however many apps it builds. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly process = processMetrics();

  private readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  private readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method and route pattern.',
    labelNames: ['method', 'route'] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  private readonly graphqlOperations = new Counter({
    name: 'graphql_operations_total',
    help: 'GraphQL operations, by operation name and type and by outcome (rejected: refused before any field ran).',
    labelNames: ['operation_name', 'operation_type', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly webhookDeliveries = new Counter({
    name: 'billing_webhook_deliveries_total',
    help: 'Provider webhook deliveries, by provider and outcome.',
    labelNames: ['provider', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly providerEvents = new Counter({
    name: 'billing_provider_events_total',
    help: 'Provider events a worker took up, by provider and what became of them (failed: refused as untrusted; pending: to be tried again).',
    labelNames: ['provider', 'status'] as const,
    registers: [this.registry],
  });

  private readonly providerEventLag = new Histogram({
    name: 'billing_provider_event_apply_lag_seconds',
    help: 'From receiving a provider event to applying (or ignoring, or refusing) it, by provider.',
    labelNames: ['provider'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300, 3600],
    registers: [this.registry],
  });

  private readonly toolCharges = new Counter({
    name: 'billing_tool_charges_total',
    help: 'Paid tool-call charges, by outcome.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private readonly payouts = new Counter({
    name: 'billing_payouts_total',
    help: 'Payouts asked for by hand or retried by an admin, by the status they reached (refused, error: none was made).',
    labelNames: ['status', 'kind'] as const,
    registers: [this.registry],
  });

  private readonly operationNames = new Set<string>();

  /** The exposition text: this app's metrics and the process's. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    const merged = Registry.merge([this.process, this.registry]);
    return { contentType: merged.contentType, body: await merged.metrics() };
  }

  observeHttpRequest(method: string, route: string, status: number, seconds: number): void {
    const methodLabel = HTTP_METHODS.has(method) ? method : 'OTHER';
    this.httpRequests.inc({ method: methodLabel, route, status: String(status) });
    this.httpDuration.observe({ method: methodLabel, route }, seconds);
  }

  /**
   * Counts one GraphQL request from what its execution saw, and hands its response back untouched
   * (the body is neither read nor copied). Pages and preflights are not operations.
   */
  observeGraphQL(operation: ObservedOperation, response: Response): Response {
    if (!response.headers.get('content-type')?.includes('json')) return response;
    const executed = operation.executed;
    const outcome: GraphQLOutcome = executed ? (executed.hasErrors ? 'error' : 'success') : 'rejected';
    this.graphqlOperations.inc({
      operation_name: executed ? this.operationNameLabel(executed.name) : 'unknown',
      operation_type: executed?.type ?? 'unknown',
      outcome,
    });
    return response;
  }

  countWebhookDelivery(provider: PaymentGatewayName, outcome: WebhookDeliveryOutcome): void {
    this.webhookDeliveries.inc({ provider, outcome });
  }

  countProviderEvents(settled: readonly SettledEvent[]): void {
    for (const event of settled) {
      this.providerEvents.inc({ provider: event.provider, status: event.status });
      if (event.lagMs !== null) this.providerEventLag.observe({ provider: event.provider }, event.lagMs / 1000);
    }
  }

  /** Runs a charge and counts how it ended; the charge's own result or error passes through. */
  async countToolCharge<T extends { readonly replayed: boolean }>(charge: () => Promise<T>): Promise<T> {
    try {
      const result = await charge();
      this.toolCharges.inc({ outcome: result.replayed ? 'replayed' : 'charged' });
      return result;
    } catch (error) {
      this.toolCharges.inc({ outcome: error instanceof InsufficientFundsError ? 'insufficient_funds' : refusedOrError(error) });
      throw error;
    }
  }

  /** Runs a payout request or retry and counts the status it reached; the result or error passes through. */
  async countPayout<T extends { readonly status: PayoutStatus }>(kind: PayoutKind, payout: () => Promise<T>): Promise<T> {
    try {
      const result = await payout();
      this.payouts.inc({ status: result.status, kind });
      return result;
    } catch (error) {
      this.payouts.inc({ status: refusedOrError(error), kind });
      throw error;
    }
  }

  /** A client names its operations freely: keep well-formed names, and only so many of them. */
  private operationNameLabel(name: string | undefined): string {
    if (name === undefined) return 'anonymous';
    if (!OPERATION_NAME.test(name)) return '_invalid';
    if (this.operationNames.has(name)) return name;
    if (this.operationNames.size >= MAX_OPERATION_NAMES) return '_other';
    this.operationNames.add(name);
    return name;
  }
}

/** A caller's mistake or a rule saying no is `refused`; a provider failure or a bug is `error`. */
function refusedOrError(error: unknown): 'refused' | 'error' {
  return error instanceof BillingError && !(error instanceof ProviderError) && !(error instanceof OverloadedError) ? 'refused' : 'error';
}

/**
 * Which operation a GraphQL request ran and whether its result had errors, as its execution saw
 * them (from the document graphql-js already parsed). Nothing executed: it was refused before.
 */
export class ObservedOperation {
  executed: { readonly name: string | undefined; readonly type: string; readonly hasErrors: boolean } | undefined;
}

/** Counts and times every request under its route pattern; `unmatched` when no route matched. */
export function httpMetrics(metrics: Metrics): MiddlewareHandler {
  return async (c, next) => {
    const startedAt = performance.now();
    await next();
    metrics.observeHttpRequest(c.req.method, routePattern(c), c.res.status, (performance.now() - startedAt) / 1000);
  };
}

/**
 * The pattern of the route the request was for (`/sandbox/checkout/:id`), never its path. The
 * last matched route that names methods is the handler; middleware is registered for ALL.
 */
function routePattern(c: Context): string {
  const routes = matchedRoutes(c);
  for (let index = routes.length - 1; index >= 0; index--) {
    const route = routes[index]!;
    if (route.method !== 'ALL') return route.path;
  }
  return 'unmatched';
}

/**
 * `GET /metrics`. With METRICS_TOKEN set, only a scraper sending `Authorization: Bearer <token>`
 * gets it (401 otherwise); without it the route is open, so keep it off the public internet.
 */
export function metricsRoute(metrics: Metrics, token: string | undefined) {
  const expected = token === undefined ? undefined : sha256(token);
  return async (c: Context) => {
    if (expected && !bearerMatches(c.req.header('authorization'), expected)) {
      return c.json({ error: 'GET /metrics needs the header Authorization: Bearer <METRICS_TOKEN>', code: 'UNAUTHENTICATED' }, 401, {
        'www-authenticate': 'Bearer realm="metrics"',
      });
    }
    const { contentType, body } = await metrics.exposition();
    return c.body(body, 200, { 'content-type': contentType });
  };
}

/** Compared as digests of equal length, so the time taken says nothing of the token, not even its length. */
function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  const given = /^Bearer +(\S+)$/i.exec(header ?? '')?.[1];
  return given !== undefined && timingSafeEqual(sha256(given), expected);
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
