import type { AccountPlan } from '../../domain/billing/account-plan.entity.ts';
import { ConflictError, ProviderError } from '../../domain/shared/errors.ts';
import type { CheckoutCompletion } from './checkout-completion.service.ts';
import type { CheckoutSessionRepository } from './checkout-session.repository.ts';
import type { PaymentGateways } from './payment-gateway.port.ts';

/** The most earlier open plan checkouts closed before another is opened (a user opens one at a time; more is a loop or abuse). */
export const MAX_EARLIER_PLAN_CHECKOUTS = 20;

/**
 * One live subscription per account, the first half: before a plan checkout is opened, the
 * account's earlier open plan checkouts are closed at the provider, so they can no longer be paid,
 * and here (expired). One the provider says was paid first is completed instead, through the one
 * completion path; the account then has a subscription, and no new checkout is opened (CONFLICT).
 * Deposits are left alone: several open deposits are fine. The second half is CheckoutCompletion:
 * if two plan checkouts are paid all the same (both before the earlier could be closed), the
 * later-opened one stands and the other is canceled and refunded.
 *
 * The provider is asked outside any transaction. When it cannot be reached (or will not close the
 * checkout), the new checkout is refused with a PROVIDER_ERROR the caller can retry, rather than
 * opened anyway: the earlier checkout is at the same provider the new one would be opened at, so an
 * outage refuses little that would have worked, while two payable checkouts could take two payments
 * that only a refund undoes.
 */
export class CloseEarlierPlanCheckouts {
  private readonly deps: Readonly<{
    sessions: CheckoutSessionRepository;
    gateways: PaymentGateways;
    completion: CheckoutCompletion;
  }>;

  constructor(deps: CloseEarlierPlanCheckouts['deps']) {
    this.deps = deps;
  }

  async closeFor(account: AccountPlan): Promise<void> {
    const { sessions, gateways, completion } = this.deps;
    const paid: string[] = [];
    for (const session of await sessions.listOpenPlanCheckouts(account.userId, MAX_EARLIER_PLAN_CHECKOUTS)) {
      let state;
      try {
        state = await gateways.for(session.gateway).expireCheckout(session.providerSessionId!);
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        throw new ProviderError(error.provider, `close the plan checkout opened earlier (${session.id}), so no new one was opened; try again`, error.providerMessage);
      }
      if ((await completion.expireReplaced(session.id, state)) === 'completed') paid.push(`${session.tier} (${session.billingInterval}) checkout ${session.id}`);
    }
    if (paid.length === 0) return;
    await completion.settleDuplicatesOf(account.userId);
    throw new ConflictError(`the ${paid.join(' and the ')} opened earlier was paid meanwhile: the account is subscribed through it now, so no second subscription was started`);
  }
}
