import type { CheckoutSession } from '../../domain/billing/checkout-session.entity.ts';
import { NotFoundError } from '../../domain/shared/errors.ts';
import type { CheckoutSessionRepository } from './checkout-session.repository.ts';
import { parseSessionReference } from './verify-checkout-session.use-case.ts';

/** A request from the plan change page, as the edge received it: the session it is about. */
export interface PlanChangePageRequest {
  readonly sessionId: unknown;
}

/** The input of every action of the page: the session's id, parsed. */
export function parsePlanChangePageInput(request: PlanChangePageRequest): { readonly sessionId: string } {
  return { sessionId: parseSessionReference(request.sessionId) };
}

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
