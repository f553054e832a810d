import type { Payout } from '../../domain/payouts/payout.entity.ts';
import { parsePage, type Page, type PageRequest } from '../shared/pagination.ts';
import type { PayoutRepository } from './payout.repository.ts';

/** `payouts(first, after)` as the edge received it. */
export interface ListPayoutsRequest {
  readonly creatorId: string;
  readonly first: unknown;
  readonly after: unknown;
}

export interface ListPayoutsInput {
  readonly creatorId: string;
  readonly page: PageRequest;
}

export function parseListPayoutsInput(request: ListPayoutsRequest): ListPayoutsInput {
  return { creatorId: request.creatorId, page: parsePage(request.first, request.after) };
}

/** `payouts(first, after)`: the creator's payouts, newest first. */
export class ListPayouts {
  private readonly deps: { payouts: PayoutRepository };

  constructor(deps: ListPayouts['deps']) {
    this.deps = deps;
  }

  execute(request: ListPayoutsRequest): Promise<Page<Payout>> {
    const input = parseListPayoutsInput(request);
    return this.deps.payouts.list(input.creatorId, input.page);
  }
}
