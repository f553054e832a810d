import { Hono, type Context } from 'hono';
import type { z } from 'zod';
import { escapeHtml, moneyHtml } from '../../adapters/shared/html.ts';
import type { SandboxClock } from '../../adapters/sandbox/sandbox.clock.ts';
import type { SandboxProvider, SandboxState } from '../../adapters/sandbox/sandbox.provider.ts';
import { refundedMinor, type SandboxAmount } from '../../adapters/sandbox/sandbox.store.ts';
import { InvalidInputError, NotFoundError } from '../../domain/shared/errors.ts';
import type { AppEnv } from '../http/app-env.ts';
import { hostedPage } from '../http/hosted-pages.ts';
import type { SandboxLifecycle } from '../sandbox-lifecycle.ts';
import { readJsonObject } from './json-body.ts';
import { parseRequest } from './request-schema.ts';
import {
  AdvanceOptions,
  AmountOptions,
  CancelOptions,
  NoOptions,
  ReasonOptions,
  RequiredReasonOptions,
  SandboxIdParams,
  UserOptions,
} from './sandbox.schemas.ts';

type Input = Record<string, unknown>;

/**
 * The sandbox provider's hosted pages and its control surface. Per the operating contract: the
 * checkout URL shows a page; `POST <url>/pay` pays and answers 303 to the success URL with
 * `session_id`; `POST <url>/cancel` answers 303 to the cancel URL; the payout onboarding URL shows a
 * page whose `POST <url>/complete` verifies the account and answers 303 to `returnUrl`;
 * `POST /sandbox/clock/advance` `{"seconds": N}` answers `{"now": "<ISO>"}` once everything due up
 * to then has happened; `POST /sandbox/subscriptions/fail-next-renewal` `{"user_id": "<id>"}` makes
 * that user's next renewal fail. `GET /sandbox` shows every object with its actions; each action is
 * a `POST /sandbox/…` route that answers JSON (a JSON body, or none) or, posted from the page's
 * forms, 303 back to the page. Like a provider's hosted pages, none needs a token.
 */
export function sandboxRoutes(deps: { sandbox: SandboxProvider; clock: SandboxClock; lifecycle: SandboxLifecycle }): Hono<AppEnv> {
  const { sandbox, clock, lifecycle } = deps;
  const routes = new Hono<AppEnv>();

  /** An action: answers its result as JSON, or 303 to the sandbox page when a form of the page posted it. */
  const action = <S extends z.ZodObject>(path: string, options: S, run: (input: z.output<S>, c: Context<AppEnv>) => Promise<unknown>) =>
    routes.post(path, async (c) => {
      const form = isForm(c);
      const result = await run(parseRequest(options, form ? await formBody(c) : await optionalJson(c.req.raw)), c);
      return form ? c.redirect(`/sandbox#${c.req.path.split('/')[2] ?? ''}`, 303) : c.json(result as object);
    });

  routes.get('/', async (c) => hostedPage(c, page('Sandbox provider', overview(await sandbox.state()))));
  routes.get('/state', async (c) => c.json(await sandbox.state()));
  // Another process may have moved the clock; every action reads it again before it changes anything.
  routes.get('/clock', async (c) => c.json({ now: (await clock.refresh()).toISOString() }));
  action('/clock/advance', AdvanceOptions, async (input) => ({ now: (await lifecycle.advance(input.seconds)).toISOString() }));

  action('/subscriptions/fail-next-renewal', UserOptions, async (input) => ({ subscription: await sandbox.failNextRenewalOfUser(input.user_id) }));
  action('/subscriptions/:id/fail-next-renewal', NoOptions, async (_input, c) => ({ subscription: await sandbox.failNextRenewal(idIn(c)) }));
  action('/subscriptions/:id/renew', NoOptions, async (_input, c) => settled({ subscription: await sandbox.renewNow(idIn(c)) }));
  action('/subscriptions/:id/cancel', CancelOptions, async (input, c) =>
    settled({ subscription: await sandbox.cancelSubscription(idIn(c), { atPeriodEnd: input.at_period_end }) }),
  );
  action('/payments/:id/refund', AmountOptions, async (input, c) => settled({ payment: await sandbox.refund(idIn(c), input.amount_minor) }));
  action('/payments/:id/dispute', AmountOptions, async (input, c) => settled({ dispute: await sandbox.openDispute(idIn(c), input.amount_minor) }));
  action('/disputes/:id/win', NoOptions, async (_input, c) => settled({ dispute: await sandbox.closeDispute(idIn(c), 'won') }));
  action('/disputes/:id/lose', NoOptions, async (_input, c) => settled({ dispute: await sandbox.closeDispute(idIn(c), 'lost') }));
  action('/accounts/:id/verify', NoOptions, async (_input, c) => settled({ account: await sandbox.setAccountStatus(idIn(c), 'verified', null) }));
  action('/accounts/:id/restrict', ReasonOptions, async (input, c) => settled({ account: await sandbox.setAccountStatus(idIn(c), 'restricted', input.reason) }));
  action('/transfers/hold-next', NoOptions, async () => ({ next: await sandbox.setNextTransfer({ hold: true }) }));
  action('/transfers/refuse-next', RequiredReasonOptions, async (input) => ({ next: await sandbox.setNextTransfer({ refuseWith: input.reason }) }));
  action('/transfers/:id/settle', NoOptions, async (_input, c) => settled({ transfer: await sandbox.settleTransfer(idIn(c), 'paid') }));
  action('/transfers/:id/fail', ReasonOptions, async (input, c) => settled({ transfer: await sandbox.settleTransfer(idIn(c), 'failed', input.reason) }));
  action('/transfers/:id/reverse', AmountOptions, async (input, c) => settled({ transfer: await sandbox.reverseTransfer(idIn(c), input.amount_minor) }));
  action('/checkout/:id/expire', NoOptions, async (_input, c) => settled({ checkout: await sandbox.expire(idIn(c)) }));

  /** An action answers once the events it sent have been applied, as an advance does. */
  async function settled<T>(result: T): Promise<T> {
    await lifecycle.settle();
    return result;
  }

  routes.get('/checkout/:id', async (c) => {
    const checkout = await sandbox.checkout(idIn(c));
    if (!checkout) throw new NotFoundError('no such sandbox checkout');
    const action = sandbox.checkoutUrl(checkout.id);
    return hostedPage(c,
      page(
        'Sandbox checkout',
        `<p class="what">${escapeHtml(checkout.description)}</p>
         <p class="amount" data-testid="amount">${moneyHtml(checkout.amount)}</p>
         <p class="status">Status: <span data-testid="status">${checkout.status}</span></p>
         ${
           checkout.status === 'open'
             ? `<form method="post" action="${action}/pay"><button type="submit" id="pay">Pay ${moneyHtml(checkout.amount)}</button></form>
                <form method="post" action="${action}/cancel"><button type="submit" id="cancel" class="secondary">Cancel</button></form>`
             : ''
         }
         <p class="note">This is the local sandbox: no money moves. <a href="/sandbox">Everything it holds</a></p>`,
      ),
    );
  });

  // The contract's redirects: these answer 303 whoever posts them, as a hosted checkout does.
  routes.post('/checkout/:id/pay', async (c) => c.redirect(await sandbox.pay(idIn(c)), 303));
  routes.post('/checkout/:id/cancel', async (c) => c.redirect(await sandbox.cancel(idIn(c)), 303));

  routes.get('/plan-change/:id', async (c) => {
    const planChange = await sandbox.planChange(idIn(c));
    if (!planChange) throw new NotFoundError('no such sandbox plan change');
    const subscription = await sandbox.subscription(planChange.subscriptionId);
    const action = sandbox.planChangeUrl(planChange.id);
    const when =
      planChange.timing === 'now'
        ? 'Takes effect now: the remaining part of this period is charged at the difference in price.'
        : `Takes effect when this period ends${subscription ? ` (${time(subscription.currentPeriodEnd)})` : ''}; the plan stays as it is until then.`;
    return hostedPage(c,
      page(
        'Sandbox plan change',
        `<p class="what">${subscription ? `${escapeHtml(subscription.tier)} ${escapeHtml(subscription.billingInterval)}` : 'Your plan'} → <strong>${escapeHtml(planChange.tier)} ${escapeHtml(planChange.billingInterval)}</strong></p>
         <p class="amount" data-testid="amount">${moneyHtml(planChange.amount)} / ${planChange.billingInterval === 'yearly' ? 'year' : 'month'}</p>
         <p data-testid="timing">${when}</p>
         <p class="status">Status: <span data-testid="status">${planChange.status}</span></p>
         ${
           planChange.status === 'open'
             ? `<form method="post" action="${action}/confirm"><button type="submit" id="confirm">Confirm the change</button></form>
                <form method="post" action="${action}/cancel"><button type="submit" id="cancel" class="secondary">Keep my plan</button></form>`
             : ''
         }
         <p class="note">This is the local sandbox: no money moves. <a href="/sandbox">Everything it holds</a></p>`,
      ),
    );
  });

  // Like the checkout's: 303 to the success URL (with our session id) once confirmed, or to the cancel URL.
  routes.post('/plan-change/:id/confirm', async (c) => c.redirect(await sandbox.confirmPlanChange(idIn(c)), 303));
  // The operating contract's `POST <url>/pay` works on this page too: a client scripting checkouts scripts plan changes alike.
  routes.post('/plan-change/:id/pay', async (c) => c.redirect(await sandbox.confirmPlanChange(idIn(c)), 303));
  routes.post('/plan-change/:id/cancel', async (c) => c.redirect(await sandbox.cancelPlanChange(idIn(c)), 303));

  routes.get('/onboarding/:id', async (c) => {
    const account = await sandbox.account(idIn(c));
    if (!account) throw new NotFoundError('no such sandbox payout account');
    return hostedPage(c,
      page(
        'Sandbox payout onboarding',
        `<p>Payout account <code>${escapeHtml(account.id)}</code> for creator <code>${escapeHtml(account.creatorId)}</code>.</p>
         <p class="status">Status: <span data-testid="status">${account.status}</span></p>
         <p>Stripe Connect or Razorpay Route would check identity and bank details here.</p>
         <form method="post" action="${sandbox.onboardingUrl(account.id)}/complete"><button type="submit" id="complete">Complete onboarding</button></form>
         <p class="note">This is the local sandbox: no identity check is made.</p>`,
      ),
    );
  });

  // A receipt page per payment, as a provider hosts one: what the service records as the payment's receipt URL.
  routes.get('/receipts/:id', async (c) => {
    const payment = await sandbox.payment(idIn(c));
    if (!payment) throw new NotFoundError('no such sandbox payment');
    const refunded = refundedMinor(payment);
    const period = payment.periodStart && payment.periodEnd ? `<p>For the period ${time(payment.periodStart)} to ${time(payment.periodEnd)} UTC</p>` : '';
    return hostedPage(c,
      page(
        'Sandbox receipt',
        `<p class="what">${payment.purpose === 'deposit' ? 'Wallet deposit' : payment.purpose === 'renewal' ? 'Plan renewal' : 'Plan'}, paid ${time(payment.createdAt)} UTC</p>
         <p class="amount" data-testid="amount">${moneyHtml(payment.amount)}</p>
         ${period}
         <p>Payment <code>${escapeHtml(payment.id)}</code> by <code>${escapeHtml(payment.userId)}</code>${refunded > 0 ? `; <span data-testid="refunded">${moneyHtml({ amountMinor: refunded, currency: payment.amount.currency })} refunded</span>` : ''}.</p>
         <p class="note">This is the local sandbox: no money moved. <a href="/sandbox">Everything it holds</a></p>`,
      ),
    );
  });

  routes.post('/onboarding/:id/complete', async (c) => c.redirect(await sandbox.completeOnboarding(idIn(c)), 303));

  routes.get('/portal/:id', async (c) => {
    const portal = await sandbox.portal(idIn(c));
    if (!portal) throw new NotFoundError('no such sandbox portal session');
    return hostedPage(c,
      page(
        'Sandbox billing portal',
        `<p>Customer <code>${escapeHtml(portal.customerId)}</code>.</p>
         <p>Stripe's Customer Portal would show invoices, payment methods and plan changes here.</p>
         <p><a id="return" href="${escapeHtml(portal.returnUrl)}">Return to the app</a></p>`,
      ),
    );
  });

  return routes;
}

/** The object's id from the path. */
function idIn(c: Context<AppEnv>): string {
  return parseRequest(SandboxIdParams, { id: c.req.param('id') ?? '' }).id;
}

function isForm(c: Context<AppEnv>): boolean {
  return /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(c.req.header('content-type') ?? '');
}

/** The fields a form posted; a body that is not the form it says it is (a multipart without its boundary) is bad input. */
async function formBody(c: Context<AppEnv>): Promise<Input> {
  try {
    return await c.req.parseBody();
  } catch {
    throw new InvalidInputError('body', 'the form body cannot be read as its Content-Type says');
  }
}

/** A JSON object body, or none at all (an action without options). */
async function optionalJson(request: Request): Promise<Input> {
  if (!request.headers.get('content-type') && (request.headers.get('content-length') ?? '0') === '0') return {};
  return readJsonObject(request);
}

/** One button posting an action of the page. */
function button(path: string, label: string, fields = ''): string {
  return `<form method="post" action="/sandbox${path}">${fields}<button type="submit" data-action="${escapeHtml(path)}">${label}</button></form>`;
}

function table(id: string, title: string, headings: readonly string[], rows: readonly string[][], empty: string): string {
  const body = rows.length === 0 ? `<tr><td colspan="${headings.length}" class="note">${empty}</td></tr>` : rows.map((cells) => `<tr>${cells.map((cell) => `<td>${cell}</td>`).join('')}</tr>`).join('');
  return `<section id="${id}"><h2>${title}</h2><table><thead><tr>${headings.map((heading) => `<th>${heading}</th>`).join('')}</tr></thead><tbody>${body}</tbody></table></section>`;
}

const amountField = `<input name="amount_minor" inputmode="numeric" placeholder="all" size="6" aria-label="amount in minor units">`;
const code = (text: string) => `<code>${escapeHtml(text)}</code>`;
const time = (iso: string | null) => (iso ? `<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')}</time>` : '');

/** Every object the sandbox holds, newest first, with the actions each takes. */
function overview(state: SandboxState): string {
  const subscriptions = state.subscriptions.map((subscription) => {
    const path = `/subscriptions/${encodeURIComponent(subscription.id)}`;
    const live = subscription.status !== 'canceled';
    return [
      code(subscription.id),
      code(subscription.userId),
      `${subscription.tier} ${subscription.billingInterval}, ${moneyHtml(subscription.amount)}` +
        (subscription.scheduledChange ? ` <span data-testid="scheduled-change">(${subscription.scheduledChange.tier} ${subscription.scheduledChange.billingInterval} from the period's end)</span>` : ''),
      `<span data-testid="subscription-status">${subscription.status}</span>${subscription.cancelAtPeriodEnd ? ' (ends at period end)' : ''}${subscription.failNextRenewal ? ' (next renewal fails)' : ''}`,
      `<span data-testid="period-end">${time(subscription.currentPeriodEnd)}</span>`,
      live
        ? button(`${path}/renew`, 'Renew now') +
          button(`${path}/fail-next-renewal`, 'Fail next renewal') +
          button(`${path}/cancel`, 'Cancel at period end', '<input type="hidden" name="at_period_end" value="true">') +
          button(`${path}/cancel`, 'Cancel now')
        : '',
    ];
  });
  const payments = state.payments.map((payment) => {
    const path = `/payments/${encodeURIComponent(payment.id)}`;
    return [
      `<a href="/sandbox/receipts/${encodeURIComponent(payment.id)}">${code(payment.id)}</a>`,
      code(payment.userId),
      payment.purpose,
      moneyHtml(payment.amount),
      `<span data-testid="refunded">${moneyHtml({ amountMinor: refundedMinor(payment), currency: payment.amount.currency })}</span>`,
      time(payment.createdAt),
      button(`${path}/refund`, 'Refund', amountField) + button(`${path}/dispute`, 'Dispute', amountField),
    ];
  });
  const disputes = state.disputes.map((dispute) => {
    const path = `/disputes/${encodeURIComponent(dispute.id)}`;
    return [
      code(dispute.id),
      code(dispute.paymentId),
      moneyHtml(dispute.amount),
      `<span data-testid="dispute-status">${dispute.status}</span>`,
      dispute.status === 'open' ? button(`${path}/win`, 'Win') + button(`${path}/lose`, 'Lose') : '',
    ];
  });
  const accounts = state.accounts.map((account) => {
    const path = `/accounts/${encodeURIComponent(account.id)}`;
    return [code(account.id), code(account.creatorId), account.region, `${account.status}${account.reason ? `: ${escapeHtml(account.reason)}` : ''}`, button(`${path}/verify`, 'Verify') + button(`${path}/restrict`, 'Restrict')];
  });
  const transfers = state.transfers.map((transfer) => {
    const path = `/transfers/${encodeURIComponent(transfer.id)}`;
    const actions = transfer.status === 'pending' ? button(`${path}/settle`, 'Settle') + button(`${path}/fail`, 'Fail') : transfer.status === 'paid' ? button(`${path}/reverse`, 'Reverse', amountField) : '';
    return [code(transfer.id), code(transfer.payoutId), moneyHtml(transfer.amount), `${transfer.status}${transfer.reversedMinor > 0 ? `, ${moneyHtml({ amountMinor: transfer.reversedMinor, currency: transfer.amount.currency })} reversed` : ''}`, actions];
  });
  const checkouts = state.checkouts.map((checkout) => [
    `<a href="/sandbox/checkout/${encodeURIComponent(checkout.id)}">${code(checkout.id)}</a>`,
    code(checkout.userId),
    escapeHtml(checkout.description),
    moneyHtml(checkout.amount),
    checkout.status,
    checkout.status === 'open' ? button(`/checkout/${encodeURIComponent(checkout.id)}/expire`, 'Expire') : '',
  ]);
  return `<section id="clock"><p>Sandbox time: <strong data-testid="now">${time(state.now)}</strong> UTC</p>
    ${button('/clock/advance', 'Advance 1 day', '<input type="hidden" name="seconds" value="86400">')}
    ${button('/clock/advance', 'Advance 1 month (30 days)', '<input type="hidden" name="seconds" value="2592000">')}
    <form method="post" action="/sandbox/clock/advance"><input name="seconds" inputmode="numeric" size="9" aria-label="seconds"> <button type="submit">Advance seconds</button></form></section>
    ${table('subscriptions', 'Subscriptions', ['id', 'user', 'plan', 'status', 'period ends', ''], subscriptions, 'none yet: pay a plan checkout')}
    ${table('payments', 'Payments', ['id', 'user', 'for', 'amount', 'refunded', 'taken', ''], payments, 'none yet')}
    ${table('disputes', 'Disputes', ['id', 'payment', 'amount', 'status', ''], disputes, 'none')}
    ${table('accounts', 'Creator accounts', ['id', 'creator', 'region', 'status', ''], accounts, 'none yet: start payout onboarding')}
    <section id="transfers-next">${button('/transfers/hold-next', 'Hold the next transfer in transit')}</section>
    ${table('transfers', 'Transfers', ['id', 'payout', 'amount', 'status', ''], transfers, 'none yet')}
    ${table('checkouts', 'Checkouts', ['id', 'user', 'what', 'amount', 'status', ''], checkouts, 'none yet')}
    <p class="note">This is the local sandbox: no money moves. Each button is also a <code>POST /sandbox/…</code> route answering JSON (see the README).</p>`;
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 64rem; margin: 3rem auto; padding: 0 1rem; color: #1f2328; }
  h1 { font-size: 1.25rem; } h2 { font-size: 1.05rem; margin-top: 2rem; } .amount { font-size: 2rem; font-weight: 600; margin: .5rem 0; }
  table { border-collapse: collapse; width: 100%; font-size: .875rem; } th, td { text-align: left; padding: .3rem .4rem; border-bottom: 1px solid #eaeef2; vertical-align: top; }
  form { display: inline-block; margin: .1rem .2rem .1rem 0; }
  button { font: inherit; padding: .5rem 1rem; border-radius: .4rem; border: 0; background: #635bff; color: #fff; cursor: pointer; margin: .25rem 0; }
  td button { padding: .2rem .6rem; } button.secondary { background: #eaeef2; color: #1f2328; } .note { color: #656d76; font-size: .875rem; }
</style></head>
<body><h1>${title}</h1>${body}</body></html>`;
}
