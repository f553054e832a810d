import { NotFoundError } from '../../domain/shared/errors.ts';
import type { AccountPlanRepository } from './account-plan.repository.ts';
import type { CheckoutCompletion } from './checkout-completion.service.ts';
import type { CheckoutSessionRepository } from './checkout-session.repository.ts';
import { parseSessionReference } from './verify-checkout-session.use-case.ts';

/** The outcome of a renewal payment, as its done page shows it. */
export interface RenewalOutcome {
  readonly status: 'completed' | 'open' | 'expired' | 'canceled';
  readonly tier: string | null;
  readonly currentPeriodEnd: Date | null;
}

/** `GET /api/billing/renewal/done` as the edge received it. */
export interface RenewalPaymentOutcomeRequest {
  readonly sessionId: unknown;
}

export interface RenewalPaymentOutcomeInput {
  readonly sessionId: string;
}

export function parseRenewalPaymentOutcomeInput(request: RenewalPaymentOutcomeRequest): RenewalPaymentOutcomeInput {
  return { sessionId: parseSessionReference(request.sessionId) };
}

/**
 * The page a renewal payment (OpenRenewalPayment) returns to, reached by the browser with the
 * session id alone: applies the payment if the provider says it is paid, and says what became of
 * the plan.
 */
export class RenewalPaymentOutcome {
  private readonly deps: Readonly<{ sessions: CheckoutSessionRepository; completion: CheckoutCompletion; accounts: AccountPlanRepository }>;

  constructor(deps: RenewalPaymentOutcome['deps']) {
    this.deps = deps;
  }

  async execute(request: RenewalPaymentOutcomeRequest): Promise<RenewalOutcome> {
    const { sessionId } = parseRenewalPaymentOutcomeInput(request);
    const session = await this.deps.sessions.findByReference(sessionId);
    if (!session || session.id !== sessionId || session.purpose !== 'renewal') throw new NotFoundError(`no renewal payment ${sessionId}`);
    const status = await this.deps.completion.settle(session);
    const account = await this.deps.accounts.findByUserId(session.userId);
    return { status, tier: account?.tier ?? null, currentPeriodEnd: account?.currentPeriodEnd ?? null };
  }
}
