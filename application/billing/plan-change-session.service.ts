import type { CheckoutSession } from '../../domain/billing/checkout-session.entity.ts';
import { NotFoundError } from '../../domain/shared/errors.ts';
import type { CheckoutSessionRepository } from './checkout-session.repository.ts';

/**
 * The plan change session this server's own plan change page (DescribePlanChange, ConfirmPlanChange,
 * DeclinePlanChange) is reached by: the browser names it by our session's id alone, as it would the
 * provider's page, so any other session, or a provider's reference to one, is not found.
 */
export async function findPlanChangeSession(sessions: CheckoutSessionRepository, sessionId: string): Promise<CheckoutSession> {
  const session = await sessions.findByReference(sessionId);
  if (!session || session.id !== sessionId || session.purpose !== 'plan_change') throw new NotFoundError(`no plan change ${sessionId}`);
  return session;
}
