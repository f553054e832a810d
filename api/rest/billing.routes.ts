import { Hono } from 'hono';
import { GetBillingState } from '../../application/billing/get-billing-state.use-case.ts';
import { OpenCheckoutPage } from '../../application/billing/open-checkout-page.use-case.ts';
import { ReturnFromCheckout } from '../../application/billing/return-from-checkout.use-case.ts';
import { CreatePortalSession } from '../../application/billing/manage-subscription.use-cases.ts';
import { StartPlanCheckout } from '../../application/billing/start-plan-checkout.use-case.ts';
import { VerifyCheckoutSession } from '../../application/billing/verify-checkout-session.use-case.ts';
import type { AppEnv } from '../http/app-env.ts';
import { signupSignals } from '../http/request-auth.ts';
import { readFormFields, readJsonObject } from './json-body.ts';

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
    return c.json({ url: started.url });
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

  // Razorpay subscriptions: our page opening Standard Checkout, and the callback it posts the result
  // to. The browser reaches both without a token: the session id in the query names the checkout.
  routes.get('/razorpay/checkout', async (c) => {
    const page = await c.get('use')(OpenCheckoutPage).execute({ sessionId: c.req.query('session_id') });
    if (page.kind === 'redirect') return c.redirect(page.url, 303);
    c.header('cache-control', 'no-store');
    c.header('x-content-type-options', 'nosniff');
    c.header('x-frame-options', 'DENY');
    c.header('referrer-policy', 'no-referrer');
    return c.html(page.html);
  });

  routes.post('/razorpay/callback', async (c) => {
    const fields = await readFormFields(c.req.raw);
    const { redirectTo } = await c.get('use')(ReturnFromCheckout).execute({ sessionId: c.req.query('session_id'), fields });
    return c.redirect(redirectTo, 303);
  });

  return routes;
}
