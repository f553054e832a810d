import type { Payout } from '../../domain/payouts/payout.entity.ts';
import { parsePayoutAmount } from '../../domain/payouts/payout-rules.ts';
import type { Money } from '../../domain/shared/money.value-object.ts';
import type { CreatorRequest, PayoutTransfers } from './payout-transfers.service.ts';

/** `requestPayout(amountCents)` as the edge received it. */
export interface RequestPayoutRequest extends CreatorRequest {
  readonly amountCents?: unknown;
}

export interface RequestPayoutInput extends CreatorRequest {
  /** Null for everything available. */
  readonly requested: Money | null;
}

export function parseRequestPayoutInput(request: RequestPayoutRequest): RequestPayoutInput {
  return { userId: request.userId, signals: request.signals, requested: parsePayoutAmount(request.amountCents) };
}

/** `requestPayout(amountCents)`: a manual payout of the amount, or of everything available. */
export class RequestPayout {
  private readonly transfers: PayoutTransfers;

  constructor(transfers: PayoutTransfers) {
    this.transfers = transfers;
  }

  async execute(request: RequestPayoutRequest): Promise<Payout> {
    const input = parseRequestPayoutInput(request);
    const account = await this.transfers.refresh(await this.transfers.account(input));
    const payout = await this.transfers.take(account.creatorId, account.gateway, input.requested);
    return this.transfers.send(payout!);
  }
}
