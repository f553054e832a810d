import type { Payout } from '../../domain/payouts/payout.entity.ts';
import { parsePage, type Page } from '../shared/pagination.ts';
import type { PayoutRepository } from './payout.repository.ts';

/** `payouts(first, after)`: the creator's payouts, newest first. */
export class ListPayouts {
  private readonly deps: { payouts: PayoutRepository };

  constructor(deps: ListPayouts['deps']) {
    this.deps = deps;
  }

  execute(input: { creatorId: string; first: unknown; after: unknown }): Promise<Page<Payout>> {
    return this.deps.payouts.list(input.creatorId, parsePage(input.first, input.after));
  }
}
