import type { CheckoutSessionRepository } from './checkout-session.repository.ts';
import { findPlanChangeSession } from './plan-change-session.service.ts';
import { withSessionId } from './return-url.ts';
import { parseSessionReference } from './verify-checkout-session.use-case.ts';

/** `POST /api/billing/plan-change/cancel` as the edge received it. */
export interface DeclinePlanChangeRequest {
  readonly sessionId: unknown;
}

export interface DeclinePlanChangeInput {
  readonly sessionId: string;
}

export function parseDeclinePlanChangeInput(request: DeclinePlanChangeRequest): DeclinePlanChangeInput {
  return { sessionId: parseSessionReference(request.sessionId) };
}

/**
 * The cancel button of this server's own plan change page (DescribePlanChange): the user kept
 * their plan, so the session closes and they go back to the cancel URL.
 */
export class DeclinePlanChange {
  private readonly sessions: CheckoutSessionRepository;

  constructor(sessions: CheckoutSessionRepository) {
    this.sessions = sessions;
  }

  /** Answers where to send the browser. */
  async execute(request: DeclinePlanChangeRequest): Promise<{ readonly redirectTo: string }> {
    const { sessionId } = parseDeclinePlanChangeInput(request);
    const session = await findPlanChangeSession(this.sessions, sessionId);
    if (session.status === 'open') {
      session.close('canceled');
      await this.sessions.save(session);
    }
    return { redirectTo: session.status === 'completed' ? withSessionId(session.successUrl, session.id) : session.cancelUrl };
  }
}
