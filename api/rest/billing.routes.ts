import { Hono } from 'hono';
import type { z } from 'zod';
import { CancelRenewalFromOwnPortal } from '../../application/billing/cancel-renewal-from-own-portal.use-case.ts';
import { ConfirmPlanChange } from '../../application/billing/confirm-plan-change.use-case.ts';
import { DeclinePlanChange } from '../../application/billing/decline-plan-change.use-case.ts';
import { DescribePlanChange } from '../../application/billing/describe-plan-change.use-case.ts';
import { GetBillingState } from '../../application/billing/get-billing-state.use-case.ts';
import { OpenCheckoutPage } from '../../application/billing/open-checkout-page.use-case.ts';
import { OpenRenewalPayment } from '../../application/billing/open-renewal-payment.use-case.ts';
import { RenewalPaymentOutcome } from '../../application/billing/renewal-payment-outcome.use-case.ts';
import { ReturnFromCheckout } from '../../application/billing/return-from-checkout.use-case.ts';
import { CreatePortalSession } from '../../application/billing/create-portal-session.use-case.ts';
import { StartPlanCheckout } from '../../application/billing/start-plan-checkout.use-case.ts';
import { SwitchPlanFromOwnPortal } from '../../application/billing/switch-plan-from-own-portal.use-case.ts';
import { VerifyCheckoutSession } from '../../application/billing/verify-checkout-session.use-case.ts';
import { ViewOwnPortal } from '../../application/billing/view-own-portal.use-case.ts';
import type { AppEnv } from '../http/app-env.ts';
import { signupSignals } from '../http/request-auth.ts';
import { hostedPage, planChangePage, portalPage, renewalDonePage } from './billing.pages.ts';
import {
  BillingStateResponse,
  CheckoutRequest,
  CheckoutResponse,
  PlanSwitchForm,
  PortalLinkQuery,
  RazorpayCallbackForm,
  RenewalLinkQuery,
  ReturnUrlQuery,
  SessionQuery,
  TierResponse,
  UrlResponse,
} from './billing.schemas.ts';
import { readFormFields, readJsonObject } from './json-body.ts';
import { parseRequest } from './request-schema.ts';

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
    } satisfies z.input<typeof BillingStateResponse>);
  });

  routes.post('/checkout', async (c) => {
    const requester = await c.get('requester')();
    const body = parseRequest(CheckoutRequest, await readJsonObject(c.req.raw));
    const started = await c.get('use')(StartPlanCheckout).execute({
      userId: requester.userId,
      signals: signupSignals(requester, c.req.raw),
      tier: body.tier,
      billingInterval: body.billing_interval,
      successUrl: body.success_url,
      cancelUrl: body.cancel_url,
    });
    // A subscriber's change of plan is confirmed at the provider and verified with our session id, which it answers too.
    return c.json((started.planChange ? { url: started.url, session_id: started.sessionId } : { url: started.url }) satisfies z.input<typeof CheckoutResponse>);
  });

  routes.get('/verify-session', async (c) => {
    const requester = await c.get('requester')();
    const query = parseRequest(SessionQuery, c.req.query());
    const state = await c.get('use')(VerifyCheckoutSession).execute({ userId: requester.userId, sessionId: query.session_id });
    return c.json({ tier: state.planTier } satisfies z.input<typeof TierResponse>);
  });

  routes.get('/portal', async (c) => {
    const requester = await c.get('requester')();
    const query = parseRequest(ReturnUrlQuery, c.req.query());
    const portal = await c.get('use')(CreatePortalSession).execute({
      userId: requester.userId,
      signals: signupSignals(requester, c.req.raw),
      returnUrl: query.return_url,
    });
    return c.json({ url: portal.url } satisfies z.input<typeof UrlResponse>);
  });

  // Razorpay subscriptions: our page opening Standard Checkout, and the callback it posts the result
  // to. The browser reaches both without a token: the session id in the query names the checkout.
  routes.get('/razorpay/checkout', async (c) => {
    const page = await c.get('use')(OpenCheckoutPage).execute({ sessionId: parseRequest(SessionQuery, c.req.query()).session_id });
    if (page.kind === 'redirect') return c.redirect(page.url, 303);
    return hostedPage(c, page.html);
  });

  routes.post('/razorpay/callback', async (c) => {
    const form = await readFormFields(c.req.raw);
    const query = parseRequest(SessionQuery, c.req.query());
    const fields = parseRequest(RazorpayCallbackForm, form);
    const { redirectTo } = await c.get('use')(ReturnFromCheckout).execute({ sessionId: query.session_id, fields });
    return c.redirect(redirectTo, 303);
  });

  // This server's billing page for providers that host none (Razorpay), opened by the signed link
  // GET /portal hands out; each action checks the link again and comes back here.
  routes.get('/portal/page', async (c) => {
    const query = parseRequest(PortalLinkQuery, c.req.query());
    const view = await c.get('use')(ViewOwnPortal).execute({ link: query.link, returnUrl: query.return_url });
    return hostedPage(c, portalPage(view, new URL(c.req.url).search));
  });

  routes.post('/portal/cancel', async (c) => {
    const query = parseRequest(PortalLinkQuery, c.req.query());
    await c.get('use')(CancelRenewalFromOwnPortal).execute({ link: query.link, returnUrl: query.return_url });
    return c.redirect(`/api/billing/portal/page${new URL(c.req.url).search}`, 303);
  });

  routes.post('/portal/switch', async (c) => {
    const form = await readFormFields(c.req.raw);
    const query = parseRequest(PortalLinkQuery, c.req.query());
    const fields = parseRequest(PlanSwitchForm, form);
    const { url } = await c.get('use')(SwitchPlanFromOwnPortal).execute({
      link: query.link,
      returnUrl: query.return_url,
      tier: fields.tier,
      billingInterval: fields.billing_interval,
    });
    return c.redirect(url, 303);
  });

  // A past-due plan's renewal link (billing state's renewalUrl): it signs in by itself, opens a
  // one-time payment of the next period, and returns to a page of ours saying what became of it.
  routes.get('/renewal', async (c) => {
    const { redirectTo } = await c.get('use')(OpenRenewalPayment).execute({ link: parseRequest(RenewalLinkQuery, c.req.query()).link });
    return c.redirect(redirectTo, 303);
  });

  routes.get('/renewal/done', async (c) => {
    const outcome = await c.get('use')(RenewalPaymentOutcome).execute({ sessionId: parseRequest(SessionQuery, c.req.query()).session_id });
    return hostedPage(c, renewalDonePage(outcome));
  });

  // This server's page confirming a change of plan, for providers that host none (Razorpay). Like
  // the provider's own page, it is reached by the plan change session's id alone.
  routes.get('/plan-change', async (c) => {
    const change = await c.get('use')(DescribePlanChange).execute({ sessionId: parseRequest(SessionQuery, c.req.query()).session_id });
    return hostedPage(c, planChangePage(change));
  });

  routes.post('/plan-change/confirm', async (c) => {
    const { redirectTo } = await c.get('use')(ConfirmPlanChange).execute({ sessionId: parseRequest(SessionQuery, c.req.query()).session_id });
    return c.redirect(redirectTo, 303);
  });

  routes.post('/plan-change/cancel', async (c) => {
    const { redirectTo } = await c.get('use')(DeclinePlanChange).execute({ sessionId: parseRequest(SessionQuery, c.req.query()).session_id });
    return c.redirect(redirectTo, 303);
  });

  return routes;
}
