import { NotFoundError } from '../../domain/shared/errors.ts';
import type { CheckoutSessionRepository } from './checkout-session.repository.ts';
import type { PaymentGateways } from './payment-gateway.port.ts';
import { withSessionId } from './return-url.ts';
import { parseSessionReference } from './verify-checkout-session.use-case.ts';

/** What the browser is given for a checkout page: the page itself, or where to go instead. */
export type CheckoutPage = { readonly kind: 'page'; readonly html: string } | { readonly kind: 'redirect'; readonly url: string };

/** `GET /api/billing/razorpay/checkout` as the edge received it. */
export interface OpenCheckoutPageRequest {
  readonly sessionId: unknown;
}

export interface OpenCheckoutPageInput {
  readonly sessionId: string;
}

export function parseOpenCheckoutPageInput(request: OpenCheckoutPageRequest): OpenCheckoutPageInput {
  return { sessionId: parseSessionReference(request.sessionId) };
}

/**
 * The page of ours that opens a provider's checkout which hosts no page of its own with a way back
 * (Razorpay Standard Checkout for a subscription). It is reached by the browser, without a token,
 * by our session id alone; it shows only what the checkout charges. A session already paid goes on
 * to its success URL, one closed to its cancel URL.
 */
export class OpenCheckoutPage {
  private readonly sessions: CheckoutSessionRepository;
  private readonly gateways: PaymentGateways;

  constructor(deps: { readonly sessions: CheckoutSessionRepository; readonly gateways: PaymentGateways }) {
    this.sessions = deps.sessions;
    this.gateways = deps.gateways;
  }

  async execute(request: OpenCheckoutPageRequest): Promise<CheckoutPage> {
    const { sessionId } = parseOpenCheckoutPageInput(request);
    const session = await this.sessions.findByReference(sessionId);
    if (!session?.providerSessionId || session.id !== sessionId) throw new NotFoundError(`no checkout session ${sessionId}`);
    if (session.status === 'completed') return { kind: 'redirect', url: withSessionId(session.successUrl, session.id) };
    if (session.status !== 'open') return { kind: 'redirect', url: session.cancelUrl };
    const description = session.tier ? `${session.tier} plan, billed ${session.billingInterval}` : 'Wallet deposit';
    const html = this.gateways
      .for(session.gateway)
      .checkoutPage({ sessionId: session.id, providerSessionId: session.providerSessionId, description, amount: session.amount });
    if (html === null) throw new NotFoundError(`checkout session ${sessionId} is paid on the provider's own page`);
    return { kind: 'page', html };
  }
}
