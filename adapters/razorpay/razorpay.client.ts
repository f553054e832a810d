import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import type Razorpay from 'razorpay';
import type { z } from 'zod';
import { PayoutRefusedError, ProviderError } from '../../domain/shared/errors.ts';
import { parseAnswer } from '../shared/wire.ts';
import {
  razorpayDisputeWire,
  razorpayInvoiceListWire,
  razorpayLinkedAccountWire,
  razorpayPaymentLinkWire,
  razorpayPaymentWire,
  razorpayPlanListWire,
  razorpayPlanWire,
  razorpayProductWire,
  razorpayRefundWire,
  razorpayStakeholderWire,
  razorpaySubscriptionWire,
  razorpayTransferWire,
  type RazorpayPaymentLink,
  type RazorpayPlan,
  type RazorpaySubscription,
  type RazorpayRefund,
  type RazorpayTransfer,
} from './razorpay.wire.ts';

type RazorpayProduct = z.infer<typeof razorpayProductWire>;

export const RAZORPAY_PROVIDER = 'razorpay';
const DEFAULT_TIMEOUT_MS = 10_000;
/** Razorpay's header making a direct transfer idempotent (it is honoured on no other endpoint). */
export const TRANSFER_IDEMPOTENCY_HEADER = 'X-Transfer-Idempotency';
/** Razorpay's header making a refund idempotent: the same key and body make one refund. */
export const REFUND_IDEMPOTENCY_HEADER = 'X-Refund-Idempotency';

/**
 * 4xx answers that are not a verdict on the request itself: our credentials or permissions (401,
 * 403), an endpoint or feature not there (404), a timeout (408), the same idempotency key still
 * being processed (409: Razorpay says to retry) and rate limiting (429). Repeating may succeed.
 */
const RETRYABLE_CLIENT_STATUSES = new Set([401, 403, 404, 408, 409, 429]);

export interface RazorpayClientOptions {
  readonly keyId: string;
  readonly keySecret: string;
  /** Where the API is; only tests point it elsewhere (a local fake speaking Razorpay's wire format). */
  readonly apiBaseUrl?: string;
  readonly timeoutMs?: number;
}

/** The axios instance inside the SDK, as far as we touch it. */
interface SdkHttp {
  defaults: { baseURL?: string; timeout?: number };
  interceptors: { request: { use(onRequest: (config: { headers: Record<string, unknown> }) => unknown): unknown } };
}

/**
 * The official SDK, wrapped so that none of its quirks reaches the rest of the service: it
 * hard-codes the API address (re-pointed here through its axios instance, for tests only; the
 * SDK's paths carry their own `/v1` or `/v2`, so one base URL serves both), sets no timeout,
 * rejects with plain objects rather than Errors, on a network failure rejects with a TypeError
 * from inside its own error handler, and cannot send a header on one call. Every call becomes a
 * ProviderError, or the refusal error the caller names when Razorpay answers no for good.
 */
export class RazorpayClient {
  private readonly sdk: Razorpay;
  /** The idempotency key of the transfer being created in this async context, if any. */
  private readonly transferKey = new AsyncLocalStorage<string>();
  /** The idempotency key of the refund being made in this async context, if any. */
  private readonly refundKey = new AsyncLocalStorage<string>();

  constructor(options: RazorpayClientOptions) {
    // Loaded with the first client, not at start: the SDK and its HTTP stack are over a hundred
    // modules that a service without Razorpay keys never uses.
    const Sdk = createRequire(import.meta.url)('razorpay') as typeof Razorpay;
    this.sdk = new Sdk({ key_id: options.keyId, key_secret: options.keySecret });
    const http = (this.sdk as unknown as { api: { rq: SdkHttp } }).api.rq;
    http.defaults.timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (options.apiBaseUrl) http.defaults.baseURL = options.apiBaseUrl;
    // The SDK lets only X-Razorpay-Account through as a header, and only for every call. The key
    // rides in async context instead, so concurrent calls each carry their own, or none.
    http.interceptors.request.use((config) => {
      const key = this.transferKey.getStore();
      if (key !== undefined) config.headers[TRANSFER_IDEMPOTENCY_HEADER] = key;
      const refundKey = this.refundKey.getStore();
      if (refundKey !== undefined) config.headers[REFUND_IDEMPOTENCY_HEADER] = refundKey;
      return config;
    });
  }

  createPaymentLink(params: Record<string, unknown>): Promise<RazorpayPaymentLink> {
    return this.call('create a payment link', razorpayPaymentLinkWire, () => this.sdk.paymentLink.create(params as never));
  }

  fetchPaymentLink(id: string): Promise<RazorpayPaymentLink> {
    return this.call('fetch the payment link', razorpayPaymentLinkWire, () => this.sdk.paymentLink.fetch(id));
  }

  /** `POST /v1/payment_links/:id/cancel`: only a link not paid (in whole or part) can be cancelled. */
  cancelPaymentLink(id: string): Promise<RazorpayPaymentLink> {
    return this.call('cancel the payment link', razorpayPaymentLinkWire, () => this.sdk.paymentLink.cancel(id));
  }

  /** `POST /v1/payments/:id/refund` with `X-Refund-Idempotency`: repeated with the same key and body, Razorpay answers with the first refund. */
  refundPayment(paymentId: string, params: Record<string, unknown>, idempotencyKey: string): Promise<RazorpayRefund> {
    return this.call('refund the payment', razorpayRefundWire, () => this.refundKey.run(idempotencyKey, () => this.sdk.payments.refund(paymentId, params as never)));
  }

  fetchPayment(id: string): Promise<z.infer<typeof razorpayPaymentWire>> {
    return this.call('fetch the payment', razorpayPaymentWire, () => this.sdk.payments.fetch(id));
  }

  fetchSubscription(id: string): Promise<RazorpaySubscription> {
    return this.call('fetch the subscription', razorpaySubscriptionWire, () => this.sdk.subscriptions.fetch(id));
  }

  /** `POST /v1/plans`. */
  createPlan(params: Record<string, unknown>): Promise<RazorpayPlan> {
    return this.call('create a plan', razorpayPlanWire, () => this.sdk.plans.create(params as never));
  }

  fetchPlan(id: string): Promise<RazorpayPlan> {
    return this.call('fetch the plan', razorpayPlanWire, () => this.sdk.plans.fetch(id));
  }

  /** `GET /v1/plans`, newest first, `count` (at most 100) from `skip`. */
  listPlans(skip: number, count: number): Promise<z.infer<typeof razorpayPlanListWire>> {
    return this.call('list the plans', razorpayPlanListWire, () => this.sdk.plans.all({ skip, count }));
  }

  /** `POST /v1/subscriptions`. */
  createSubscription(params: Record<string, unknown>): Promise<RazorpaySubscription> {
    return this.call('create a subscription', razorpaySubscriptionWire, () => this.sdk.subscriptions.create(params as never));
  }

  /** `POST /v1/subscriptions/:id/cancel`, at once or at the end of the current cycle. */
  cancelSubscription(id: string, atCycleEnd: boolean): Promise<RazorpaySubscription> {
    return this.call('cancel the subscription', razorpaySubscriptionWire, () => this.sdk.subscriptions.cancel(id, atCycleEnd));
  }

  /** `PATCH /v1/subscriptions/:id`. */
  updateSubscription(id: string, params: Record<string, unknown>): Promise<RazorpaySubscription> {
    return this.call('update the subscription', razorpaySubscriptionWire, () => this.sdk.subscriptions.update(id, params as never));
  }

  /** `GET /v1/subscriptions/:id/retrieve_scheduled_changes`: the subscription as the update waiting for its cycle's end will make it. */
  fetchScheduledChanges(id: string): Promise<RazorpaySubscription> {
    return this.call('fetch the scheduled change', razorpaySubscriptionWire, () => this.sdk.subscriptions.pendingUpdate(id));
  }

  /** `GET /v1/invoices?subscription_id=…`: the subscription's invoices, newest first. */
  listSubscriptionInvoices(subscriptionId: string): Promise<z.infer<typeof razorpayInvoiceListWire>> {
    return this.call('list the subscription invoices', razorpayInvoiceListWire, () =>
      this.sdk.invoices.all({ subscription_id: subscriptionId, count: 100 } as never),
    );
  }

  fetchDispute(id: string): Promise<z.infer<typeof razorpayDisputeWire>> {
    return this.call('fetch the dispute', razorpayDisputeWire, () => this.sdk.disputes.fetch(id));
  }

  /** `POST /v2/accounts`. */
  createLinkedAccount(params: Record<string, unknown>): Promise<z.infer<typeof razorpayLinkedAccountWire>> {
    return this.call('create the linked account', razorpayLinkedAccountWire, () => this.sdk.accounts.create(params as never));
  }

  /** `POST /v2/accounts/:id/stakeholders`. */
  createStakeholder(accountId: string, params: Record<string, unknown>): Promise<z.infer<typeof razorpayStakeholderWire>> {
    return this.call('add the linked account stakeholder', razorpayStakeholderWire, () => this.sdk.stakeholders.create(accountId, params as never));
  }

  /** `POST /v2/accounts/:id/products`. */
  requestProductConfiguration(accountId: string, params: Record<string, unknown>): Promise<RazorpayProduct> {
    return this.call('request the Route product', razorpayProductWire, () => this.sdk.products.requestProductConfiguration(accountId, params as never));
  }

  /** `PATCH /v2/accounts/:id/products/:productId`. */
  updateProductConfiguration(accountId: string, productId: string, params: Record<string, unknown>): Promise<RazorpayProduct> {
    return this.call('update the Route product', razorpayProductWire, () => this.sdk.products.edit(accountId, productId, params as never));
  }

  /** `GET /v2/accounts/:id/products/:productId`. */
  fetchProductConfiguration(accountId: string, productId: string): Promise<RazorpayProduct> {
    return this.call('fetch the Route product', razorpayProductWire, () => this.sdk.products.fetch(accountId, productId));
  }

  /**
   * `POST /v1/transfers` (a direct transfer from our balance) with `X-Transfer-Idempotency`:
   * repeated with the same key and body, Razorpay answers with the first transfer. A refusal
   * becomes PayoutRefusedError carrying Razorpay's description.
   */
  createTransfer(params: Record<string, unknown>, idempotencyKey: string): Promise<RazorpayTransfer> {
    return this.call(
      'transfer the payout',
      razorpayTransferWire,
      () => this.transferKey.run(idempotencyKey, () => this.sdk.transfers.create(params as never)),
      PayoutRefusedError,
    );
  }

  fetchTransfer(id: string): Promise<RazorpayTransfer> {
    return this.call('fetch the transfer', razorpayTransferWire, () => this.sdk.transfers.fetch(id));
  }

  /**
   * `refusal` names the error a definite no from Razorpay becomes (the message is then its bare
   * description); without one, a refusal is a ProviderError like any other failure.
   */
  private async call<T>(action: string, schema: z.ZodType<T>, work: () => Promise<unknown>, refusal?: typeof PayoutRefusedError): Promise<T> {
    let answer: unknown;
    try {
      answer = await work();
    } catch (error) {
      if (refusal && isRazorpayRefusal(error)) throw new refusal(RAZORPAY_PROVIDER, action, refusalDescription(error));
      throw new ProviderError(RAZORPAY_PROVIDER, action, describeRazorpayFailure(error));
    }
    // An answer of a shape we do not read is Razorpay's failure to answer, like any other.
    return parseAnswer(schema, answer, (problem) => new ProviderError(RAZORPAY_PROVIDER, action, `an unexpected answer at ${problem}`));
  }
}

/** What the SDK rejects with when Razorpay answered: the HTTP status and Razorpay's error body, if JSON. */
interface SdkAnswerError {
  statusCode: number;
  error?: { description?: string; code?: string; reason?: string } | null;
}

function isAnswer(error: unknown): error is SdkAnswerError {
  return typeof error === 'object' && error !== null && 'statusCode' in error && typeof error.statusCode === 'number';
}

/**
 * Whether Razorpay answered the request with a definite no (a 4xx carrying its error body, such
 * as BAD_REQUEST_ERROR), so that repeating it will not help; anything else (no answer, a timeout,
 * a 5xx, an HTML page from a proxy, a retryable 4xx) may turn out differently next time.
 */
export function isRazorpayRefusal(error: unknown): boolean {
  return (
    isAnswer(error) &&
    error.statusCode >= 400 &&
    error.statusCode < 500 &&
    !RETRYABLE_CLIENT_STATUSES.has(error.statusCode) &&
    typeof error.error?.code === 'string'
  );
}

function refusalDescription(error: unknown): string {
  const body = isAnswer(error) ? error.error : null;
  return body?.description || body?.reason || body?.code || 'Razorpay refused the request';
}

/** What went wrong, from whatever the SDK rejected with. */
export function describeRazorpayFailure(error: unknown): string {
  if (isAnswer(error)) {
    const { statusCode, error: body } = error;
    return `${body?.description ?? 'request failed'} (HTTP ${statusCode}${body?.code ? `, ${body.code}` : ''})`;
  }
  // A network failure or timeout: the SDK's handler reads `err.response.status` of a response that
  // never came, and rejects with the TypeError that causes.
  if (error instanceof TypeError) return 'Razorpay could not be reached (network error or timeout)';
  return error instanceof Error ? error.message : 'unknown failure';
}
