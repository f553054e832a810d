import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import type { Container } from 'inversify';
import { HEALTH_CHECK } from '../../application/shared/health.port.ts';
import { REQUEST_SCOPE } from '../../application/shared/request-scope.port.ts';
import { BillingError, OverloadedError } from '../../domain/shared/errors.ts';
import { CONFIG, JWT_VERIFIER, LOGGER, METRICS, resolve, SANDBOX_CLOCK, SANDBOX_EVENTS, SANDBOX_LIFECYCLE, SANDBOX_PROVIDER } from '../container.ts';
import { createGraphQLHandler } from '../graphql/yoga.ts';
import { withRequestId } from '../logger.ts';
import { balanceRoutes } from '../rest/balance.routes.ts';
import { billingRoutes } from '../rest/billing.routes.ts';
import { httpOperations, openApiRoute } from '../rest/openapi.ts';
import { sandboxRoutes } from '../rest/sandbox.routes.ts';
import { webhookRoutes } from '../rest/webhook.routes.ts';
import type { AppEnv } from './app-env.ts';
import { corsPolicy } from './cors.ts';
import { HTTP_STATUS_BY_CODE, logRequestError, OVERLOAD_RETRY_AFTER_SECONDS, restErrorBody } from './errors.ts';
import { homePage } from './home.page.ts';
import { BROWSER_PAGE_HEADERS, hostedPage, sameOriginPosts } from './hosted-pages.ts';
import { httpMetrics, metricsRoute, ObservedOperation } from './metrics.ts';
import { lazyRequester } from './request-auth.ts';

export const MAX_BODY_BYTES = 1024 * 1024;
const REQUEST_ID_PATTERN = /^[\w.:-]{1,128}$/;

/**
 * One HTTP app for GraphQL, the REST routes and health. It is a fetch handler: the server runs
 * it on node:http, and tests call `app.request(…)` in process without opening a port.
 */
export function createApp(container: Container): Hono<AppEnv> {
  const logger = resolve(container, LOGGER);
  const verifier = resolve(container, JWT_VERIFIER);
  const health = resolve(container, HEALTH_CHECK);
  const requestScope = resolve(container, REQUEST_SCOPE);
  const config = resolve(container, CONFIG);
  const yoga = createGraphQLHandler(logger, { graphiql: config.graphiql });
  const sandboxServed = container.isBound(SANDBOX_PROVIDER);
  const metrics = resolve(container, METRICS);
  const app = new Hono<AppEnv>();

  app.use(httpMetrics(metrics));
  app.use(
    requestId({
      // A caller's id is kept when it is a plain token, so logs can be joined across services.
      generator: (c) => {
        const given = c.req.header('x-request-id');
        return given && REQUEST_ID_PATTERN.test(given) ? given : crypto.randomUUID();
      },
    }),
  );
  app.use((c, next) => {
    const startedAt = performance.now();
    // Every line logged while the request runs carries its id (the logger's mixin reads it from
    // async context), so no child logger is made per request.
    c.set('log', logger);
    c.set('requester', lazyRequester(verifier, c.req.raw));
    c.set('use', (id) => resolve(container, id));
    c.set('metrics', metrics);
    return withRequestId(c.get('requestId'), async () => {
      await requestScope.run(() => next());
      // A handler that answers with its own Response (GraphQL Yoga) drops the header set before it ran.
      // Set on that Response's headers, not through c.header(), which would copy the finished
      // Response into a new one and make the Node adapter stream the body out of a web stream.
      if (!c.res.headers.has('x-request-id')) c.res.headers.set('x-request-id', c.get('requestId'));
      c.res.headers.set('x-content-type-options', 'nosniff');
      logger.info(
        { method: c.req.method, path: c.req.path, status: c.res.status, durationMs: Math.round(performance.now() - startedAt) },
        'request',
      );
    });
  });
  app.use(limitBodySize());
  // Browsers: one CORS policy for REST and GraphQL; the hosted pages' actions take posts from their own pages only.
  const cors = corsPolicy(config.corsAllowList);
  app.use('/api/*', cors);
  app.use('/graphql', cors);
  // Where the hosted pages live: PUBLIC_URL, or the address the container gives them when it is not set.
  const ownPagesOnly = sameOriginPosts(new URL(config.publicUrl ?? `http://localhost:${config.port}`).origin);
  for (const actions of ['/sandbox/*', '/api/billing/plan-change/*', '/api/billing/portal/*']) app.use(actions, ownPagesOnly);

  app.get('/', (c) => hostedPage(c, homePage({ graphiql: config.graphiql, sandbox: sandboxServed })));

  app.get('/healthz', async (c) => {
    try {
      await health.check();
      return c.json({ status: 'ok' });
    } catch (error) {
      c.get('log').warn({ err: error }, 'health check failed');
      return c.json({ status: 'unavailable', error: 'database does not answer', code: 'UNAVAILABLE' }, 503);
    }
  });

  // Open unless METRICS_TOKEN is set: then only a scraper sending it as a bearer token (see README).
  app.get('/metrics', metricsRoute(metrics, resolve(container, CONFIG).metricsToken));

  app.get('/openapi.json', openApiRoute(httpOperations({ sandbox: container.isBound(SANDBOX_PROVIDER) })));

  app.on(['GET', 'POST'], '/graphql', async (c) => {
    if (!config.graphiql && c.req.method === 'GET' && c.req.query('query') === undefined && c.req.header('accept')?.includes('text/html')) {
      return c.json({ error: 'GraphiQL is off on this server (GRAPHIQL=off): POST queries to /graphql as JSON', code: 'NOT_FOUND' }, 404);
    }
    const operation = new ObservedOperation();
    const response = await yoga.fetch(c.req.raw, { requester: c.get('requester'), use: c.get('use'), metrics, operation });
    if (response.headers.get('content-type')?.startsWith('text/html')) {
      for (const [name, value] of Object.entries(BROWSER_PAGE_HEADERS)) response.headers.set(name, value);
    }
    return metrics.observeGraphQL(operation, response);
  });

  app.route('/api/billing/webhook', webhookRoutes());
  app.route('/api/billing', billingRoutes());
  app.route('/api/balance', balanceRoutes());
  if (sandboxServed) {
    app.route('/sandbox', sandboxRoutes({ sandbox: resolve(container, SANDBOX_PROVIDER), clock: resolve(container, SANDBOX_CLOCK), lifecycle: resolve(container, SANDBOX_LIFECYCLE) }));
    // The sandbox's events go to this app's own webhook routes, in process: the same route, checks and inbox as a provider's.
    resolve(container, SANDBOX_EVENTS).connect(async (path, headers, body) => (await app.request(path, { method: 'POST', headers, body })).status);
  }

  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}`, code: 'NOT_FOUND' }, 404));
  app.onError((error, c) => {
    logRequestError(c.get('log'), error, { method: c.req.method, path: c.req.path });
    if (error instanceof OverloadedError) c.header('retry-after', String(OVERLOAD_RETRY_AFTER_SECONDS));
    if (error instanceof BillingError) return c.json(restErrorBody(error), HTTP_STATUS_BY_CODE[error.code]);
    return c.json({ error: 'internal error', code: 'INTERNAL_SERVER_ERROR', requestId: c.get('requestId') }, 500);
  });

  return app;
}

/**
 * 413 for a body over MAX_BODY_BYTES. A declared length is judged from the header alone: Hono's
 * bodyLimit reads `request.body` first, which makes the Node adapter build a full web Request and
 * a stream around the socket for every request, where `text()` would otherwise read the body
 * straight off it. A body without a length (chunked) is counted by bodyLimit as it arrives.
 */
function limitBodySize(): MiddlewareHandler<AppEnv> {
  const tooLarge = (c: Context<AppEnv>) => c.json({ error: `request body is larger than ${MAX_BODY_BYTES} bytes`, code: 'PAYLOAD_TOO_LARGE' }, 413);
  const counted = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: tooLarge });
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const declared = c.req.header('content-length');
    if (declared === undefined || c.req.header('transfer-encoding') !== undefined) return counted(c, next);
    return Number(declared) > MAX_BODY_BYTES ? tooLarge(c) : next();
  };
}
