import type { Payout } from '../../domain/payouts/payout.entity.ts';
import { parsePayoutAmount } from '../../domain/payouts/payout-rules.ts';
import type { CreatorRequest, PayoutTransfers } from './payout-transfers.service.ts';

/** `requestPayout(amountCents)`: a manual payout of the amount, or of everything available. */
export class RequestPayout {
  private readonly transfers: PayoutTransfers;

  constructor(transfers: PayoutTransfers) {
    this.transfers = transfers;
  }

  async execute(input: CreatorRequest & { amountCents?: unknown }): Promise<Payout> {
    const requested = parsePayoutAmount(input.amountCents);
    const account = await this.transfers.refresh(await this.transfers.account(input));
    const payout = await this.transfers.take(account.creatorId, account.gateway, requested);
    return this.transfers.send(payout!);
  }
}
