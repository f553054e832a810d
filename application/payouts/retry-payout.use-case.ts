import type { Payout } from '../../domain/payouts/payout.entity.ts';
import { ConflictError, NotFoundError } from '../../domain/shared/errors.ts';
import { parseIdentifier } from '../../domain/shared/text.ts';
import { requireRole } from '../shared/authorization.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { Requester } from '../shared/requester.ts';
import type { PayoutRepository } from './payout.repository.ts';
import { RESEND_WINDOW_MS, type PayoutTransfers } from './payout-transfers.service.ts';

/** `retryPayout(id)` as the edge received it. */
export interface RetryPayoutRequest {
  readonly requester: Requester;
  readonly id: unknown;
}

export interface RetryPayoutInput {
  readonly requester: Requester;
  readonly payoutId: string;
}

export function parseRetryPayoutInput(request: RetryPayoutRequest): RetryPayoutInput {
  return { requester: request.requester, payoutId: parseIdentifier(request.id, 'id') };
}

/**
 * Admin `retryPayout(id)`: a payout the provider never answered about is sent again with the same
 * id (the provider's idempotency makes that safe while it keeps the key); a failed one is paid
 * anew from the balance, once, as a new payout that names the one it retries.
 */
export class RetryPayout {
  private readonly deps: { transfers: PayoutTransfers; payouts: PayoutRepository; clock: Clock };

  constructor(deps: RetryPayout['deps']) {
    this.deps = deps;
  }

  async execute(request: RetryPayoutRequest): Promise<Payout> {
    requireRole(request.requester, 'admin');
    const { payoutId: id } = parseRetryPayoutInput(request);
    const payout = await this.deps.payouts.find(id);
    if (!payout) throw new NotFoundError(`no payout ${id}`);
    if (payout.status === 'pending') {
      if (this.deps.clock.now().getTime() - payout.createdAt.getTime() > RESEND_WINDOW_MS) {
        throw new ConflictError(
          `payout ${id} has waited for ${payout.gateway} longer than its idempotency key lasts: look the transfer up at the provider before paying it again`,
        );
      }
      return this.deps.transfers.send(payout);
    }
    if (payout.status !== 'failed') throw new ConflictError(`payout ${id} is ${payout.status}: only a pending or failed payout can be retried`);
    const retry = await this.deps.transfers.take(payout.creatorId, payout.gateway, payout.amount, { retryOf: payout.id });
    if (!retry) throw new ConflictError(`payout ${id} was retried already`);
    return this.deps.transfers.send(retry);
  }
}
