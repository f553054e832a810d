import { InvalidInputError, NotFoundError } from '../../domain/shared/errors.ts';
import type { CheckoutCompletion } from './checkout-completion.service.ts';
import type { CheckoutSessionRepository } from './checkout-session.repository.ts';
import { withSessionId } from './return-url.ts';
import type { PaymentGateways } from './payment-gateway.port.ts';
import { parseSessionReference } from './verify-checkout-session.use-case.ts';

const MAX_FIELDS = 20;
const MAX_FIELD_LENGTH = 1_000;

/** The callback `POST /api/billing/razorpay/callback` as the edge received it: the query's session id and the form's fields. */
export interface ReturnFromCheckoutRequest {
  readonly sessionId: unknown;
  readonly fields: Readonly<Record<string, string>>;
}

export interface ReturnFromCheckoutInput {
  readonly sessionId: string;
  readonly fields: Readonly<Record<string, string>>;
}

export function parseReturnFromCheckoutInput(request: ReturnFromCheckoutRequest): ReturnFromCheckoutInput {
  const sessionId = parseSessionReference(request.sessionId);
  const entries = Object.entries(request.fields);
  if (entries.length > MAX_FIELDS || entries.some(([name, value]) => name.length > MAX_FIELD_LENGTH || value.length > MAX_FIELD_LENGTH)) {
    throw new InvalidInputError('body', `the callback carries more than ${MAX_FIELDS} fields or a field longer than ${MAX_FIELD_LENGTH} characters`);
  }
  return { sessionId, fields: request.fields };
}

/**
 * The provider's checkout posting its result to our callback (Razorpay Standard Checkout with
 * `redirect: true`): the browser's POST carries no cookies or token, so it names our session in the
 * query and proves itself by the provider's signature. A proven payment is applied at once when
 * the provider confirms it (the subscription's state at the provider is what completes the
 * checkout, as for verify-session and the webhooks), and the user goes on to the success URL with
 * `session_id`; a failure or a cancel goes to the cancel URL. A forged or missing signature is
 * refused with nothing written.
 */
export class ReturnFromCheckout {
  private readonly sessions: CheckoutSessionRepository;
  private readonly gateways: PaymentGateways;
  private readonly completion: CheckoutCompletion;

  constructor(deps: { readonly sessions: CheckoutSessionRepository; readonly gateways: PaymentGateways; readonly completion: CheckoutCompletion }) {
    this.sessions = deps.sessions;
    this.gateways = deps.gateways;
    this.completion = deps.completion;
  }

  /** Answers where to send the browser. */
  async execute(request: ReturnFromCheckoutRequest): Promise<{ readonly redirectTo: string }> {
    const { sessionId, fields } = parseReturnFromCheckoutInput(request);
    const session = await this.sessions.findByReference(sessionId);
    if (!session?.providerSessionId || session.id !== sessionId) throw new NotFoundError(`no checkout session ${sessionId}`);
    const outcome = this.gateways.for(session.gateway).verifyCheckoutReturn({ providerSessionId: session.providerSessionId, fields });
    if (outcome === 'abandoned') return { redirectTo: session.cancelUrl };
    // The provider may not have recorded the charge yet: verify-session and the webhooks apply it then.
    await this.completion.settle(session).catch(() => undefined);
    return { redirectTo: withSessionId(session.successUrl, session.id) };
  }
}
