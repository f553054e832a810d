import { Hono } from 'hono';
import type { SandboxProvider } from '../../adapters/sandbox/sandbox.provider.ts';
import type { Money } from '../../domain/shared/money.value-object.ts';
import type { AppEnv } from '../http/app-env.ts';

/**
 * The sandbox provider's hosted pages, per the operating contract: the checkout URL shows a page;
 * `POST <url>/pay` pays and answers 303 to the success URL with `session_id`; `POST <url>/cancel`
 * answers 303 to the cancel URL; the payout onboarding URL shows a page whose `POST <url>/complete`
 * verifies the account and answers 303 to `returnUrl`. Like a real hosted checkout, the pages need no token.
 */
export function sandboxRoutes(sandbox: SandboxProvider): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get('/checkout/:id', (c) => {
    const checkout = sandbox.find(c.req.param('id'));
    if (!checkout) return c.json({ error: 'no such sandbox checkout (the sandbox forgets them on restart)' }, 404);
    const action = sandbox.checkoutUrl(checkout.id);
    return c.html(
      page(
        'Sandbox checkout',
        `<p class="what">${escapeHtml(checkout.description)}</p>
         <p class="amount" data-testid="amount">${formatMoney(checkout.amount)}</p>
         <p class="status">Status: <span data-testid="status">${checkout.status}</span></p>
         ${
           checkout.status === 'open'
             ? `<form method="post" action="${action}/pay"><button type="submit" id="pay">Pay ${formatMoney(checkout.amount)}</button></form>
                <form method="post" action="${action}/cancel"><button type="submit" id="cancel" class="secondary">Cancel</button></form>`
             : ''
         }
         <p class="note">This is the local sandbox: no money moves.</p>`,
      ),
    );
  });

  routes.post('/checkout/:id/pay', (c) => {
    const next = sandbox.pay(c.req.param('id'));
    return next ? c.redirect(next, 303) : c.json({ error: 'this sandbox checkout cannot be paid (unknown or canceled)' }, 409);
  });

  routes.post('/checkout/:id/cancel', (c) => {
    const next = sandbox.cancel(c.req.param('id'));
    return next ? c.redirect(next, 303) : c.json({ error: 'this sandbox checkout cannot be canceled (unknown or paid)' }, 409);
  });

  routes.get('/onboarding/:id', (c) => {
    const account = sandbox.payoutAccount(c.req.param('id'));
    if (!account) return c.json({ error: 'no such sandbox payout account (the sandbox forgets them on restart)' }, 404);
    return c.html(
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

  routes.post('/onboarding/:id/complete', (c) => {
    const next = sandbox.completeOnboarding(c.req.param('id'));
    return next ? c.redirect(next, 303) : c.json({ error: 'no such sandbox payout account (the sandbox forgets them on restart)' }, 404);
  });

  routes.get('/portal/:id', (c) => {
    const portal = sandbox.findPortal(c.req.param('id'));
    if (!portal) return c.json({ error: 'no such sandbox portal session' }, 404);
    return c.html(
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

function formatMoney(money: Money): string {
  const major = (money.amountMinor / 100).toFixed(2);
  return money.currency === 'INR' ? `₹${major}` : `$${major}`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 28rem; margin: 4rem auto; padding: 0 1rem; color: #1f2328; }
  h1 { font-size: 1.25rem; } .amount { font-size: 2rem; font-weight: 600; margin: .5rem 0; }
  button { font: inherit; padding: .6rem 1.2rem; border-radius: .4rem; border: 0; background: #635bff; color: #fff; cursor: pointer; margin: .25rem 0; }
  button.secondary { background: #eaeef2; color: #1f2328; } .note { color: #656d76; font-size: .875rem; }
</style></head>
<body><h1>${title}</h1>${body}</body></html>`;
}
