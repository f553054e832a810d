import { Hono } from 'hono';
import { GetBillingState } from '../../application/billing/get-billing-state.use-case.ts';
import type { AppEnv } from '../http/app-env.ts';
import { signupSignals } from '../http/request-auth.ts';

/** The documented `/api/billing` routes: request and response shapes exactly as the spec's. */
export function billingRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get('/', async (c) => {
    const requester = await c.get('requester')();
    const state = await c.get('use')(GetBillingState).execute({
      userId: requester.userId,
      signals: signupSignals(requester, c.req.raw),
    });
    return c.json({ plan_tier: state.planTier, payment_gateway: state.paymentGateway, status: state.status });
  });

  return routes;
}
