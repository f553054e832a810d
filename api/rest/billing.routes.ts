import { Hono } from 'hono';
import { ConfirmPlanChange, type PlanChangeToConfirm } from '../../application/billing/confirm-plan-change.use-case.ts';
import { GetBillingState } from '../../application/billing/get-billing-state.use-case.ts';
import { OpenCheckoutPage } from '../../application/billing/open-checkout-page.use-case.ts';
import { OwnBillingPortal, type PortalView } from '../../application/billing/own-billing-portal.use-case.ts';
import { RenewalPayments, type RenewalOutcome } from '../../application/billing/renewal-payments.use-case.ts';
import { ReturnFromCheckout } from '../../application/billing/return-from-checkout.use-case.ts';
import { CreatePortalSession } from '../../application/billing/manage-subscription.use-cases.ts';
import { StartPlanCheckout } from '../../application/billing/start-plan-checkout.use-case.ts';
import { VerifyCheckoutSession } from '../../application/billing/verify-checkout-session.use-case.ts';
import { escapeHtml } from '../../adapters/shared/html.ts';
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

  // This server's billing page for providers that host none (Razorpay), opened by the signed link
  // GET /portal hands out; each action checks the link again and comes back here.
  routes.get('/portal/page', async (c) => {
    const view = await c.get('use')(OwnBillingPortal).view({ link: c.req.query('link'), returnUrl: c.req.query('return_url') });
    c.header('cache-control', 'no-store');
    c.header('x-content-type-options', 'nosniff');
    c.header('x-frame-options', 'DENY');
    c.header('referrer-policy', 'no-referrer');
    return c.html(portalPage(view, new URL(c.req.url).search));
  });

  routes.post('/portal/cancel', async (c) => {
    const query = { link: c.req.query('link'), returnUrl: c.req.query('return_url') };
    await c.get('use')(OwnBillingPortal).cancelRenewal(query);
    return c.redirect(`/api/billing/portal/page${new URL(c.req.url).search}`, 303);
  });

  routes.post('/portal/switch', async (c) => {
    const fields = await readFormFields(c.req.raw);
    const { url } = await c.get('use')(OwnBillingPortal).switchPlan({
      link: c.req.query('link'),
      returnUrl: c.req.query('return_url'),
      tier: fields['tier'],
      billingInterval: fields['billing_interval'],
    });
    return c.redirect(url, 303);
  });

  // A past-due plan's renewal link (billing state's renewalUrl): it signs in by itself, opens a
  // one-time payment of the next period, and returns to a page of ours saying what became of it.
  routes.get('/renewal', async (c) => {
    const { redirectTo } = await c.get('use')(RenewalPayments).open({ link: c.req.query('link') });
    return c.redirect(redirectTo, 303);
  });

  routes.get('/renewal/done', async (c) => {
    const outcome = await c.get('use')(RenewalPayments).outcome({ sessionId: c.req.query('session_id') });
    c.header('cache-control', 'no-store');
    return c.html(renewalDonePage(outcome));
  });

  // This server's page confirming a change of plan, for providers that host none (Razorpay). Like
  // the provider's own page, it is reached by the plan change session's id alone.
  routes.get('/plan-change', async (c) => {
    const change = await c.get('use')(ConfirmPlanChange).describe({ sessionId: c.req.query('session_id') });
    c.header('cache-control', 'no-store');
    c.header('x-content-type-options', 'nosniff');
    c.header('x-frame-options', 'DENY');
    c.header('referrer-policy', 'no-referrer');
    return c.html(planChangePage(change));
  });

  routes.post('/plan-change/confirm', async (c) => {
    const { redirectTo } = await c.get('use')(ConfirmPlanChange).confirm({ sessionId: c.req.query('session_id') });
    return c.redirect(redirectTo, 303);
  });

  routes.post('/plan-change/cancel', async (c) => {
    const { redirectTo } = await c.get('use')(ConfirmPlanChange).decline({ sessionId: c.req.query('session_id') });
    return c.redirect(redirectTo, 303);
  });

  return routes;
}

function planChangePage(change: PlanChangeToConfirm): string {
  const { session } = change;
  const price = `${session.currency === 'INR' ? '₹' : '$'}${(session.amountMinor / 100).toFixed(2)}`;
  const when =
    change.timing === 'now'
      ? 'It takes effect now; the difference for the rest of the current period is charged at once.'
      : `It takes effect when the current period ends${change.currentPeriodEnd ? ` (${change.currentPeriodEnd.toISOString().slice(0, 10)})` : ''}; until then the plan stays as it is.`;
  const action = (path: string) => `/api/billing/plan-change/${path}?session_id=${encodeURIComponent(session.id)}`;
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Change plan</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}button{font-size:1rem;padding:.6rem 1.2rem;margin-right:.5rem}</style></head>
<body>
<h1>Change plan</h1>
<p>From <strong>${escapeHtml(`${change.from.tier} (${change.from.billingInterval})`)}</strong> to <strong>${escapeHtml(`${session.tier} (${session.billingInterval})`)}</strong>, ${escapeHtml(price)} per period.</p>
<p>${escapeHtml(when)}</p>
<form method="post" action="${escapeHtml(action('confirm'))}"><button id="confirm" type="submit">Confirm the change</button></form>
<form method="post" action="${escapeHtml(action('cancel'))}"><button id="cancel" type="submit">Keep my plan</button></form>
</body>
</html>`;
}

function renewalDonePage(outcome: RenewalOutcome): string {
  const message =
    outcome.status === 'completed'
      ? `Paid: your ${outcome.tier} plan runs until ${outcome.currentPeriodEnd?.toISOString().slice(0, 10) ?? 'the end of the period'}.`
      : outcome.status === 'open'
        ? 'The payment has not gone through yet. If you paid, this page will say so in a moment: reload it.'
        : `The payment was ${outcome.status}: nothing was charged. Open the renewal link again from the app to pay.`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Plan renewal</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}</style></head>
<body><h1>Plan renewal</h1><p id="outcome">${escapeHtml(message)}</p></body></html>`;
}

function portalPage(view: PortalView, query: string): string {
  const { state } = view;
  const money = (minor: number, currency: string) => `${currency === 'INR' ? '₹' : currency === 'USD' ? '$' : `${currency} `}${(minor / 100).toFixed(2)}`;
  const day = (date: Date | null) => (date ? date.toISOString().slice(0, 10) : '');
  const plan =
    state.planTier === 'free'
      ? '<p>You are on the free plan.</p>'
      : `<p>Plan: <strong id="plan">${escapeHtml(`${state.planTier} (${state.billingInterval})`)}</strong>, ${escapeHtml(state.status)}.</p>
<p>${state.status === 'canceled' ? 'Ends' : 'Renews'} on <strong id="renews">${day(state.currentPeriodEnd)}</strong>.</p>
${state.scheduledChange ? `<p>Changes to ${escapeHtml(`${state.scheduledChange.tier} (${state.scheduledChange.billingInterval})`)} on ${day(state.scheduledChange.effectiveAt)}.</p>` : ''}
${state.status === 'active' ? `<form method="post" action="/api/billing/portal/cancel${escapeHtml(query)}"><button id="cancel" type="submit">Cancel at the end of the period</button></form>` : ''}`;
  const switchable = state.planTier !== 'free' && state.status === 'active';
  const plans = switchable
    ? `<h2>Switch plan</h2><ul id="plans">${view.plans
        .map(
          (quote) =>
            `<li><form method="post" action="/api/billing/portal/switch${escapeHtml(query)}"><input type="hidden" name="tier" value="${quote.tier}"><input type="hidden" name="billing_interval" value="${quote.billingInterval}"><button type="submit" data-plan="${quote.tier}-${quote.billingInterval}">${escapeHtml(`${quote.tier} (${quote.billingInterval}), ${money(quote.price.amountMinor, quote.price.currency)}`)}</button></form></li>`,
        )
        .join('')}</ul>`
    : '';
  const rows = view.invoices
    .map(
      (invoice) =>
        `<tr><td>${day(invoice.createdAt)}</td><td>${escapeHtml(invoice.kind)}</td><td>${escapeHtml(money(invoice.amountMinor, invoice.currency))}</td><td>${escapeHtml(invoice.status)}</td><td>${invoice.receiptUrl ? `<a href="${escapeHtml(invoice.receiptUrl)}">receipt</a>` : ''}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Billing</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#222}td{padding:.2rem .6rem}button{font-size:1rem;padding:.4rem 1rem}</style></head>
<body><h1>Billing</h1>${plan}${plans}
<h2>Payments</h2>${rows ? `<table id="payments"><tr><th>Date</th><th>For</th><th>Amount</th><th>Status</th><th></th></tr>${rows}</table>` : '<p>No payments yet.</p>'}
<p><a id="return" href="${escapeHtml(view.returnUrl)}">Back to the app</a></p></body></html>`;
}
