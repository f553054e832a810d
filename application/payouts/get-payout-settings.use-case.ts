import type { PayoutGateways } from './payout-gateway.port.ts';
import { payoutSettingsView, type PayoutSettingsView } from './payout-settings.view.ts';
import type { CreatorRequest, PayoutTransfers } from './payout-transfers.service.ts';

/** `payoutSettings`: the creator's schedule and onboarding; an account under review is asked about on the way. */
export class GetPayoutSettings {
  private readonly deps: { transfers: PayoutTransfers; payoutGateways: PayoutGateways };

  constructor(deps: GetPayoutSettings['deps']) {
    this.deps = deps;
  }

  async execute(input: CreatorRequest): Promise<PayoutSettingsView> {
    const account = await this.deps.transfers.refresh(await this.deps.transfers.account(input));
    return payoutSettingsView(account, this.deps.payoutGateways.for(account.gateway).payoutCurrency);
  }
}
