import { Hono } from 'hono';
import { GetBillingState } from '../../application/billing/get-billing-state.use-case.ts';
import { CreatePortalSession } from '../../application/billing/manage-subscription.use-cases.ts';
import { StartPlanCheckout } from '../../application/billing/start-plan-checkout.use-case.ts';
import { VerifyCheckoutSession } from '../../application/billing/verify-checkout-session.use-case.ts';
import type { AppEnv } from '../http/app-env.ts';
import { signupSignals } from '../http/request-auth.ts';
import { readJsonObject } from './json-body.ts';

/** The documented `/api/billing` routes: request and response shapes exactly as the spec's. */
export function billingRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get('/', async (c) => {
    const requester = await c.get('requester')();
    const state = await c.get('use')(GetBillingState).execute({
      userId: requester.userId,
      signals: signupSignals(requester, c.req.raw),
    });
    const scheduled = state.scheduledChange;
    return c.json({
      plan_tier: state.planTier,
      payment_gateway: state.paymentGateway,
      status: state.status,
      // Only while a downgrade waits for the period's end, so the spec's shape stays as it is otherwise.
      ...(scheduled ? { scheduled_change: { tier: scheduled.tier, billing_interval: scheduled.billingInterval, effective_at: scheduled.effectiveAt.toISOString() } } : {}),
    });
  });

  routes.post('/checkout', async (c) => {
    const requester = await c.get('requester')();
    const body = await readJsonObject(c.req.raw);
    const started = await c.get('use')(StartPlanCheckout).execute({
      userId: requester.userId,
      signals: signupSignals(requester, c.req.raw),
      tier: body['tier'],
      billingInterval: body['billing_interval'],
      successUrl: body['success_url'],
      cancelUrl: body['cancel_url'],
    });
    // A subscriber's change of plan is confirmed at the provider and verified with our session id, which it answers too.
    return c.json(started.planChange ? { url: started.url, session_id: started.sessionId } : { url: started.url });
  });

  routes.get('/verify-session', async (c) => {
    const requester = await c.get('requester')();
    const state = await c.get('use')(VerifyCheckoutSession).execute({ userId: requester.userId, sessionId: c.req.query('session_id') });
    return c.json({ tier: state.planTier });
  });

  routes.get('/portal', async (c) => {
    const requester = await c.get('requester')();
    const portal = await c.get('use')(CreatePortalSession).execute({
      userId: requester.userId,
      signals: signupSignals(requester, c.req.raw),
      returnUrl: c.req.query('return_url'),
    });
    return c.json({ url: portal.url });
  });

  return routes;
}
