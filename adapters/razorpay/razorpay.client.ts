import Razorpay from 'razorpay';
import { ProviderError } from '../../domain/shared/errors.ts';

export const RAZORPAY_PROVIDER = 'razorpay';
const DEFAULT_TIMEOUT_MS = 10_000;

export interface RazorpayClientOptions {
  readonly keyId: string;
  readonly keySecret: string;
  /** Where the API is; only tests point it elsewhere (a local fake speaking Razorpay's wire format). */
  readonly apiBaseUrl?: string;
  readonly timeoutMs?: number;
}

/** The shape of a payment link as Razorpay's API returns it (the fields we read). */
export interface RazorpayPaymentLink {
  readonly id: string;
  readonly short_url: string;
  readonly status: 'created' | 'partially_paid' | 'paid' | 'cancelled' | 'expired';
  readonly amount: number;
  readonly amount_paid: number;
  readonly currency: string;
  readonly reference_id?: string;
  readonly notes?: Record<string, string> | null;
  readonly customer?: { readonly id?: string } | null;
  readonly payments?: readonly { readonly payment_id: string }[] | null;
}

/**
 * The official SDK, wrapped so that none of its quirks reaches the rest of the service: it
 * hard-codes the API address (re-pointed here through its axios instance, for tests only), sets
 * no timeout, rejects with plain objects rather than Errors, and on a network failure rejects
 * with a TypeError from inside its own error handler. Every call becomes a ProviderError.
 */
export class RazorpayClient {
  private readonly sdk: Razorpay;

  constructor(options: RazorpayClientOptions) {
    this.sdk = new Razorpay({ key_id: options.keyId, key_secret: options.keySecret });
    const http = (this.sdk as unknown as { api: { rq: { defaults: { baseURL?: string; timeout?: number } } } }).api.rq;
    http.defaults.timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (options.apiBaseUrl) http.defaults.baseURL = options.apiBaseUrl;
  }

  createPaymentLink(params: Record<string, unknown>): Promise<RazorpayPaymentLink> {
    return this.call('create a payment link', () => this.sdk.paymentLink.create(params as never) as Promise<unknown>);
  }

  fetchPaymentLink(id: string): Promise<RazorpayPaymentLink> {
    return this.call('fetch the payment link', () => this.sdk.paymentLink.fetch(id) as Promise<unknown>);
  }

  private async call<T>(action: string, work: () => Promise<unknown>): Promise<T> {
    try {
      return (await work()) as T;
    } catch (error) {
      throw new ProviderError(RAZORPAY_PROVIDER, action, describeRazorpayFailure(error));
    }
  }
}

/** What went wrong, from whatever the SDK rejected with. */
export function describeRazorpayFailure(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'statusCode' in error) {
    const { statusCode, error: body } = error as { statusCode: number; error?: { description?: string; code?: string } };
    return `${body?.description ?? 'request failed'} (HTTP ${statusCode}${body?.code ? `, ${body.code}` : ''})`;
  }
  // A network failure or timeout: the SDK's handler reads `err.response.status` of a response that
  // never came, and rejects with the TypeError that causes.
  if (error instanceof TypeError) return 'Razorpay could not be reached (network error or timeout)';
  return error instanceof Error ? error.message : 'unknown failure';
}
