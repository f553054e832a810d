import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { RedirectAllowList } from '../../domain/billing/redirect-allow-list.policy.ts';
import { ForbiddenError } from '../../domain/shared/errors.ts';
import type { AppEnv } from './app-env.ts';

/** The request headers a browser may send to REST and GraphQL: what the routes and resolvers read. */
export const CORS_ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'X-Request-Id'] as const;
/** How long a browser may reuse a preflight's answer (Chromium caps it at two hours). */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * The one CORS policy of REST and GraphQL (Yoga's own is off). An origin on the allow-list
 * (CORS_ALLOWED_ORIGINS) gets its exact origin echoed, with credentials allowed; any other origin
 * gets no CORS header at all, and its preflight a 403 `FORBIDDEN` (the browser then refuses the
 * call). Every answer varies by `Origin`, so no cache hands one origin's answer to another.
 */
export function corsPolicy(allowList: RedirectAllowList): MiddlewareHandler<AppEnv> {
  const allowed = cors({
    origin: (origin) => origin,
    allowMethods: ['GET', 'POST'],
    allowHeaders: [...CORS_ALLOWED_HEADERS],
    exposeHeaders: ['X-Request-Id'],
    credentials: true,
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
  });
  return async (c, next) => {
    const origin = c.req.header('origin');
    if (origin !== undefined && allowList.allowsOrigin(origin)) return allowed(c, next);
    if (origin !== undefined && c.req.method === 'OPTIONS' && c.req.header('access-control-request-method') !== undefined) {
      throw new ForbiddenError(`the origin ${origin} may not call this API from a browser: it is not in CORS_ALLOWED_ORIGINS`);
    }
    await next();
    // Set on the finished Response's own headers: c.header() would copy it (see the request-id note in app.ts).
    c.res.headers.append('vary', 'Origin');
  };
}
