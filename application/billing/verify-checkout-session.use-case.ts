import { ConflictError, InvalidInputError, NotFoundError } from '../../domain/shared/errors.ts';
import type { AccountPlanRepository } from './account-plan.repository.ts';
import { toBillingState, type BillingState } from './billing-state.ts';
import type { CheckoutCompletion } from './checkout-completion.ts';
import type { CheckoutSessionRepository } from './checkout-session.repository.ts';
import type { PaymentGateways } from './payment-gateway.port.ts';

export const MAX_SESSION_REFERENCE_LENGTH = 255;

export interface VerifyCheckoutSessionInput {
  readonly userId: string;
  readonly sessionId: unknown;
}

/**
 * Called after the provider redirects back: asks the provider whether the checkout was paid and,
 * if so, upgrades the plan at once. Idempotent; the webhook does the same for redundancy.
 */
export class VerifyCheckoutSession {
  private readonly sessions: CheckoutSessionRepository;
  private readonly accounts: AccountPlanRepository;
  private readonly gateways: PaymentGateways;
  private readonly completion: CheckoutCompletion;

  constructor(deps: {
    sessions: CheckoutSessionRepository;
    accounts: AccountPlanRepository;
    gateways: PaymentGateways;
    completion: CheckoutCompletion;
  }) {
    this.sessions = deps.sessions;
    this.accounts = deps.accounts;
    this.gateways = deps.gateways;
    this.completion = deps.completion;
  }

  async execute(input: VerifyCheckoutSessionInput): Promise<BillingState> {
    const reference = input.sessionId;
    if (typeof reference !== 'string' || reference.length === 0 || reference.length > MAX_SESSION_REFERENCE_LENGTH) {
      throw new InvalidInputError('session_id', `session_id is required (at most ${MAX_SESSION_REFERENCE_LENGTH} characters)`);
    }
    const session = await this.sessions.findByReference(reference);
    // Another user's session is answered exactly like a missing one: ids are not to be probed.
    if (!session || session.userId !== input.userId) throw new NotFoundError(`no checkout session ${reference}`);
    if (session.purpose !== 'plan') {
      throw new InvalidInputError('session_id', 'this is a wallet deposit session: verify it with GET /api/balance/verify');
    }

    if (session.status === 'open') {
      if (!session.providerSessionId) throw new ConflictError('this checkout was never opened at the provider; start a new one');
      const provider = await this.gateways.for(session.gateway).retrieveCheckout(session.providerSessionId);
      if (provider.status === 'paid') {
        await this.completion.completePlanCheckout(session.id, provider);
      } else if (provider.status === 'open') {
        throw new ConflictError('the checkout is not paid yet: nothing was changed');
      } else {
        await this.completion.closeCheckout(session.id, provider.status);
        throw new ConflictError(`the checkout was ${provider.status} without payment: nothing was changed`);
      }
    } else if (session.status !== 'completed') {
      throw new ConflictError(`the checkout was ${session.status} without payment: nothing was changed`);
    }

    const account = await this.accounts.findByUserId(session.userId);
    if (!account) throw new NotFoundError(`no account for ${session.userId}`);
    return toBillingState(account);
  }
}
