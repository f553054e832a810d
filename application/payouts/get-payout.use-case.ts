import type { Payout } from '../../domain/payouts/payout.entity.ts';
import { NotFoundError } from '../../domain/shared/errors.ts';
import { parseIdentifier } from '../../domain/shared/text.ts';
import type { PayoutRepository } from './payout.repository.ts';

/** `payout(id)`: one of the creator's payouts; another creator's is not found. */
export class GetPayout {
  private readonly deps: { payouts: PayoutRepository };

  constructor(deps: GetPayout['deps']) {
    this.deps = deps;
  }

  async execute(input: { creatorId: string; id: unknown }): Promise<Payout> {
    const payoutId = parseIdentifier(input.id, 'id');
    const payout = await this.deps.payouts.find(payoutId);
    if (!payout || payout.creatorId !== input.creatorId) throw new NotFoundError(`no payout ${payoutId}`);
    return payout;
  }
}
