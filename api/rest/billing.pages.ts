import type { PlanChangeToConfirm } from '../../application/billing/describe-plan-change.use-case.ts';
import type { RenewalOutcome } from '../../application/billing/renewal-payment-outcome.use-case.ts';
import type { PortalView } from '../../application/billing/view-own-portal.use-case.ts';
import { escapeHtml, moneyHtml } from '../../adapters/shared/html.ts';

/** The pages this server serves in place of a provider's (Razorpay hosts no plan change page, no portal). */
export { hostedPage } from '../http/hosted-pages.ts';

function document(title: string, body: string, width = '32rem'): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:${width};margin:3rem auto;padding:0 1rem;color:#222}td{padding:.2rem .6rem}button{font-size:1rem;padding:.5rem 1.1rem;margin-right:.5rem}</style></head>
<body>
${body}
</body>
</html>`;
}

const day = (date: Date | null) => (date ? date.toISOString().slice(0, 10) : '');
const plan = (tier: string, billingInterval: string | null) => escapeHtml(`${tier} (${billingInterval})`);

export function planChangePage(change: PlanChangeToConfirm): string {
  const { session } = change;
  const when =
    change.timing === 'now'
      ? 'It takes effect now; the difference for the rest of the current period is charged at once.'
      : `It takes effect when the current period ends${change.currentPeriodEnd ? ` (${day(change.currentPeriodEnd)})` : ''}; until then the plan stays as it is.`;
  const action = (path: string) => escapeHtml(`/api/billing/plan-change/${path}?session_id=${encodeURIComponent(session.id)}`);
  return document(
    'Change plan',
    `<h1>Change plan</h1>
<p>From <strong>${plan(change.from.tier, change.from.billingInterval)}</strong> to <strong>${plan(session.tier!, session.billingInterval)}</strong>, ${moneyHtml(session.amount)} per period.</p>
<p>${escapeHtml(when)}</p>
<form method="post" action="${action('confirm')}"><button id="confirm" type="submit">Confirm the change</button></form>
<form method="post" action="${action('cancel')}"><button id="cancel" type="submit">Keep my plan</button></form>`,
  );
}

export function renewalDonePage(outcome: RenewalOutcome): string {
  const message =
    outcome.status === 'completed'
      ? `Paid: your ${outcome.tier} plan runs until ${day(outcome.currentPeriodEnd) || 'the end of the period'}.`
      : outcome.status === 'open'
        ? 'The payment has not gone through yet. If you paid, this page will say so in a moment: reload it.'
        : `The payment was ${outcome.status}: nothing was charged. Open the renewal link again from the app to pay.`;
  return document('Plan renewal', `<h1>Plan renewal</h1><p id="outcome">${escapeHtml(message)}</p>`);
}

/** `query` is the page's own (its signed link and return URL), which every action posts back with. */
export function portalPage(view: PortalView, query: string): string {
  const { state } = view;
  const action = (path: string) => `/api/billing/portal/${path}${escapeHtml(query)}`;
  const current =
    state.planTier === 'free'
      ? '<p>You are on the free plan.</p>'
      : `<p>Plan: <strong id="plan">${plan(state.planTier, state.billingInterval)}</strong>, ${escapeHtml(state.status)}.</p>
<p>${state.status === 'canceled' ? 'Ends' : 'Renews'} on <strong id="renews">${day(state.currentPeriodEnd)}</strong>.</p>
${state.scheduledChange ? `<p>Changes to ${plan(state.scheduledChange.tier, state.scheduledChange.billingInterval)} on ${day(state.scheduledChange.effectiveAt)}.</p>` : ''}
${state.status === 'active' ? `<form method="post" action="${action('cancel')}"><button id="cancel" type="submit">Cancel at the end of the period</button></form>` : ''}`;
  const switchable = state.planTier !== 'free' && state.status === 'active';
  const plans = switchable
    ? `<h2>Switch plan</h2><ul id="plans">${view.plans
        .map(
          (quote) =>
            `<li><form method="post" action="${action('switch')}"><input type="hidden" name="tier" value="${quote.tier}"><input type="hidden" name="billing_interval" value="${quote.billingInterval}"><button type="submit" data-plan="${quote.tier}-${quote.billingInterval}">${plan(quote.tier, quote.billingInterval)}, ${moneyHtml(quote.price)}</button></form></li>`,
        )
        .join('')}</ul>`
    : '';
  const rows = view.invoices
    .map(
      (invoice) =>
        `<tr><td>${day(invoice.createdAt)}</td><td>${escapeHtml(invoice.kind)}</td><td>${moneyHtml(invoice)}</td><td>${escapeHtml(invoice.status)}</td><td>${invoice.receiptUrl ? `<a href="${escapeHtml(invoice.receiptUrl)}">receipt</a>` : ''}</td></tr>`,
    )
    .join('');
  return document(
    'Billing',
    `<h1>Billing</h1>${current}${plans}
<h2>Payments</h2>${rows ? `<table id="payments"><tr><th>Date</th><th>For</th><th>Amount</th><th>Status</th><th></th></tr>${rows}</table>` : '<p>No payments yet.</p>'}
<p><a id="return" href="${escapeHtml(view.returnUrl)}">Back to the app</a></p>`,
    '40rem',
  );
}
