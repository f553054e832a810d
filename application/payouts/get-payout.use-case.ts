import type { Payout } from '../../domain/payouts/payout.entity.ts';
import { NotFoundError } from '../../domain/shared/errors.ts';
import { parseIdentifier } from '../../domain/shared/text.ts';
import type { PayoutRepository } from './payout.repository.ts';

/** `payout(id)` as the edge received it. */
export interface GetPayoutRequest {
  readonly creatorId: string;
  readonly id: unknown;
}

export interface GetPayoutInput {
  readonly creatorId: string;
  readonly payoutId: string;
}

export function parseGetPayoutInput(request: GetPayoutRequest): GetPayoutInput {
  return { creatorId: request.creatorId, payoutId: parseIdentifier(request.id, 'id') };
}

/** `payout(id)`: one of the creator's payouts; another creator's is not found. */
export class GetPayout {
  private readonly deps: { payouts: PayoutRepository };

  constructor(deps: GetPayout['deps']) {
    this.deps = deps;
  }

  async execute(request: GetPayoutRequest): Promise<Payout> {
    const { creatorId, payoutId } = parseGetPayoutInput(request);
    const payout = await this.deps.payouts.find(payoutId);
    if (!payout || payout.creatorId !== creatorId) throw new NotFoundError(`no payout ${payoutId}`);
    return payout;
  }
}
