import type { AccountPlan } from '../../domain/billing/account-plan.entity.ts';
import type { CheckoutSession } from '../../domain/billing/checkout-session.entity.ts';
import { Invoice, MAX_PROVIDER_REFERENCE_LENGTH, type InvoicePayment } from '../../domain/billing/invoice.entity.ts';
import type { IdGenerator } from '../shared/id-generator.port.ts';
import type { InvoiceRepository } from './invoice.repository.ts';
import type { ProviderCheckout, ProviderReceipt, ProviderSubscription } from './payment-gateway.port.ts';

/**
 * Records the invoices of payments as they are applied, in the caller's unit of work. Each is kept
 * once per provider payment whatever path applies it (verify, a worker, reconciliation, another
 * process), so these only add, and adding again is a no-op.
 */
type Deps = { readonly invoices: InvoiceRepository; readonly ids: IdGenerator };

/**
 * The payment that completed a checkout, once it completed. Where the provider issued no receipt,
 * the checkout's own amount under its payment (or the checkout's) id is what was taken.
 */
export async function recordCheckoutInvoice(deps: Deps, session: CheckoutSession, provider: ProviderCheckout, now: Date): Promise<void> {
  const payment: InvoicePayment = (provider.receipt && paymentOf(provider.receipt)) ?? {
    paymentId: provider.paymentId ?? provider.providerSessionId,
    amountMinor: session.amountMinor,
    currency: session.currency,
    receiptUrl: null,
    periodStart: null,
    periodEnd: null,
  };
  await deps.invoices.add(Invoice.forCheckout({ id: deps.ids.next(), session, payment, now }));
}

/**
 * The subscription's latest payment, for the account that holds the subscription: a renewal
 * unless it is the checkout's first payment, recorded already under the same payment id. Gateway
 * neutral: it needs only the provider's `latestPayment`. Returns whether a new one was recorded.
 */
export async function recordSubscriptionPayment(deps: Deps, account: AccountPlan, state: ProviderSubscription, now: Date): Promise<boolean> {
  const latest = state.latestPayment && paymentOf(state.latestPayment);
  if (!latest || account.providerSubscriptionId !== state.subscriptionId) return false;
  const plan = state.plan ?? (account.tier !== 'free' && account.billingInterval ? { tier: account.tier, billingInterval: account.billingInterval } : null);
  return deps.invoices.add(
    Invoice.forRenewal({ id: deps.ids.next(), userId: account.userId, gateway: account.paymentGateway, plan, payment: latest, now }),
  );
}

/** A deposit's invoice follows what its session records of refunds and disputes now. */
export async function followDepositReversal(deps: Pick<Deps, 'invoices'>, session: CheckoutSession, now: Date): Promise<void> {
  const invoice = await deps.invoices.findByCheckoutSessionForUpdate(session.id);
  if (invoice && invoice.followReversal(session.depositReversal, now)) await deps.invoices.save(invoice);
}

/**
 * The receipt in our terms, or null when its amount is not one a receipt can show (the payment is
 * then applied all the same). A receipt URL that is not a web address is left out rather than shown.
 */
function paymentOf(receipt: ProviderReceipt): InvoicePayment | null {
  const { amount, paymentId } = receipt;
  if (!Number.isSafeInteger(amount.amountMinor) || amount.amountMinor < 0 || !/^[A-Z]{3}$/.test(amount.currency)) return null;
  if (paymentId.length === 0 || paymentId.length > MAX_PROVIDER_REFERENCE_LENGTH) return null;
  const ordered = !receipt.periodStart || !receipt.periodEnd || receipt.periodStart <= receipt.periodEnd;
  return {
    paymentId,
    amountMinor: amount.amountMinor,
    currency: amount.currency,
    receiptUrl: isWebAddress(receipt.receiptUrl) ? receipt.receiptUrl : null,
    periodStart: ordered ? receipt.periodStart : null,
    periodEnd: ordered ? receipt.periodEnd : null,
  };
}

function isWebAddress(url: string | null): url is string {
  if (url === null || url.length > MAX_PROVIDER_REFERENCE_LENGTH || !URL.canParse(url)) return false;
  return ['https:', 'http:'].includes(new URL(url).protocol);
}
