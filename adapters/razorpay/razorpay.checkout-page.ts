import type { Money } from '../../domain/shared/money.value-object.ts';
import { escapeHtml, moneyHtml } from '../shared/html.ts';
import { withQueryParam } from '../shared/redirect-url.ts';

export interface RazorpayCheckoutPageOptions {
  /** The public key id Checkout is opened with (never the secret). */
  readonly keyId: string;
  /** Standard Checkout's script (RAZORPAY_CHECKOUT_SCRIPT_URL). */
  readonly scriptUrl: string;
  /** This server's callback that Checkout posts the result to; `session_id` is added. */
  readonly callbackUrl: string;
}

/**
 * The small page of ours that opens Razorpay Standard Checkout for a subscription, with
 * `redirect: true` so that Checkout posts its result to our callback (the browser's POST carries
 * no cookies, so the callback URL names our session). Everything it writes into the page is
 * JSON with `<` escaped, so no value can end the script.
 */
export function renderRazorpayCheckoutPage(
  options: RazorpayCheckoutPageOptions,
  checkout: { readonly sessionId: string; readonly subscriptionId: string; readonly description: string; readonly amount: Money },
): string {
  const checkoutOptions = {
    key: options.keyId,
    subscription_id: checkout.subscriptionId,
    name: 'Subscription',
    description: checkout.description,
    callback_url: withQueryParam(new URL(options.callbackUrl), 'session_id', checkout.sessionId),
    redirect: true,
  };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Subscribe: ${escapeHtml(checkout.description)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}button{font-size:1rem;padding:.6rem 1.2rem}</style>
</head>
<body>
<h1>${escapeHtml(checkout.description)}</h1>
<p>${moneyHtml(checkout.amount)} per period, renewed automatically through Razorpay until you cancel.</p>
<p><button id="pay" type="button">Pay with Razorpay</button></p>
<noscript><p>Razorpay Checkout needs JavaScript.</p></noscript>
<script src="${escapeHtml(options.scriptUrl)}"></script>
<script>
(function () {
  var options = ${scriptJson(checkoutOptions)};
  function open() { new Razorpay(options).open(); }
  document.getElementById('pay').addEventListener('click', open);
  open();
})();
</script>
</body>
</html>`;
}

function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
