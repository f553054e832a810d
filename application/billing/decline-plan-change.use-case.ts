import type { CheckoutSessionRepository } from './checkout-session.repository.ts';
import { findPlanChangeSession, parsePlanChangePageInput, type PlanChangePageRequest } from './plan-change-session.service.ts';
import { withSessionId } from './return-url.ts';

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
  async execute(request: PlanChangePageRequest): Promise<{ readonly redirectTo: string }> {
    const { sessionId } = parsePlanChangePageInput(request);
    const session = await findPlanChangeSession(this.sessions, sessionId);
    if (session.status === 'open') {
      session.close('canceled');
      await this.sessions.save(session);
    }
    return { redirectTo: session.status === 'completed' ? withSessionId(session.successUrl, session.id) : session.cancelUrl };
  }
}
