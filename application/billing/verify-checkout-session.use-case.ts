import type { CheckoutSession } from '../../domain/billing/checkout-session.entity.ts';
import { ConflictError, InvalidInputError, NotFoundError } from '../../domain/shared/errors.ts';
import { isPlainText } from '../../domain/shared/text.ts';
import type { AccountPlanRepository } from './account-plan.repository.ts';
import { toBillingState, type BillingState } from './billing-state.view.ts';
import type { CheckoutCompletion } from './checkout-completion.service.ts';
import type { PlanChangeCompletion } from './plan-change-completion.service.ts';

export const MAX_SESSION_REFERENCE_LENGTH = 255;

export function parseSessionReference(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_SESSION_REFERENCE_LENGTH) {
    throw new InvalidInputError('session_id', `session_id is required (at most ${MAX_SESSION_REFERENCE_LENGTH} characters)`);
  }
  // Ours and the providers' ids are printable; NUL would not even reach the store (PostgreSQL refuses it).
  if (!isPlainText(raw)) {
    throw new InvalidInputError('session_id', 'session_id must not contain control characters or unpaired surrogates');
  }
  return raw;
}

/** `verifyCheckoutSession` (GraphQL) or `GET /api/billing/verify-session` as the edge received it. */
export interface VerifyCheckoutSessionRequest {
  readonly userId: string;
  readonly sessionId: unknown;
}

export interface VerifyCheckoutSessionInput {
  readonly userId: string;
  readonly sessionId: string;
}

export function parseVerifyCheckoutSessionInput(request: VerifyCheckoutSessionRequest): VerifyCheckoutSessionInput {
  return { userId: request.userId, sessionId: parseSessionReference(request.sessionId) };
}

/**
 * Called after the provider redirects back: asks the provider whether the plan checkout was paid
 * and, if so, upgrades the plan at once. Idempotent; the webhook does the same for redundancy. A
 * plan change session completes once the provider's subscription shows the change confirmed: on
 * the new plan now (an upgrade), or with it scheduled for the period's end (a downgrade, which
 * billing state then shows as its scheduled change).
 */
export class VerifyCheckoutSession {
  private readonly accounts: AccountPlanRepository;
  private readonly completion: CheckoutCompletion;
  private readonly planChanges: PlanChangeCompletion;

  constructor(deps: { readonly accounts: AccountPlanRepository; readonly completion: CheckoutCompletion; readonly planChanges: PlanChangeCompletion }) {
    this.accounts = deps.accounts;
    this.completion = deps.completion;
    this.planChanges = deps.planChanges;
  }

  async execute(request: VerifyCheckoutSessionRequest): Promise<BillingState> {
    const input = parseVerifyCheckoutSessionInput(request);
    const session = await this.completion.findOwnSession(input.userId, input.sessionId);
    if (session.purpose === 'deposit') {
      throw new InvalidInputError('session_id', 'this is a wallet deposit session: verify it with GET /api/balance/verify');
    }
    if (session.purpose === 'plan_change') return this.verifyPlanChange(session);
    const status = await this.completion.settle(session);
    if (status === 'open') throw new ConflictError('the checkout is not paid yet: nothing was changed');
    if (status !== 'completed') throw new ConflictError(`the checkout was ${status} without payment: nothing was changed`);

    const account = await this.accounts.findByUserId(session.userId);
    if (!account) throw new NotFoundError(`no account for ${session.userId}`);
    return toBillingState(account);
  }

  private async verifyPlanChange(session: CheckoutSession): Promise<BillingState> {
    const { status, account: settled } = await this.planChanges.verify(session);
    if (status === 'open') throw new ConflictError('the plan change is not confirmed at the provider yet: nothing was changed');
    if (status !== 'completed') throw new ConflictError(`the plan change was ${status}: nothing was changed`);
    const account = settled ?? (await this.accounts.findByUserId(session.userId));
    if (!account) throw new NotFoundError(`no account for ${session.userId}`);
    return toBillingState(account);
  }
}
