import { PAYOUT_FREQUENCIES, type PayoutFrequency } from '../../domain/payouts/payout-account.entity.ts';
import { parseOneOf } from '../../domain/billing/plan.value-objects.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { UnitOfWork } from '../shared/unit-of-work.port.ts';
import type { PayoutGateways } from './payout-gateway.port.ts';
import type { PayoutRepository } from './payout.repository.ts';
import { payoutSettingsView, type PayoutSettingsView } from './payout-settings.view.ts';
import type { CreatorRequest, PayoutTransfers } from './payout-transfers.service.ts';

/** `updatePayoutSettings(frequency)` as the edge received it. */
export interface UpdatePayoutSettingsRequest extends CreatorRequest {
  readonly frequency: unknown;
}

export interface UpdatePayoutSettingsInput extends CreatorRequest {
  readonly frequency: PayoutFrequency;
}

export function parseUpdatePayoutSettingsInput(request: UpdatePayoutSettingsRequest): UpdatePayoutSettingsInput {
  return { userId: request.userId, signals: request.signals, frequency: parseOneOf(PAYOUT_FREQUENCIES, request.frequency, 'frequency') };
}

/** `updatePayoutSettings(frequency)`. */
export class UpdatePayoutSettings {
  private readonly deps: { transfers: PayoutTransfers; payouts: PayoutRepository; payoutGateways: PayoutGateways; uow: UnitOfWork; clock: Clock };

  constructor(deps: UpdatePayoutSettings['deps']) {
    this.deps = deps;
  }

  async execute(request: UpdatePayoutSettingsRequest): Promise<PayoutSettingsView> {
    const input = parseUpdatePayoutSettingsInput(request);
    const { gateway } = await this.deps.transfers.account(input);
    const account = await this.deps.uow.transactional(async () => {
      const locked = await this.deps.payouts.lockAccount(input.userId, gateway, this.deps.clock.now());
      locked.setFrequency(input.frequency, this.deps.clock.now());
      await this.deps.payouts.saveAccount(locked);
      return locked;
    });
    return payoutSettingsView(account, this.deps.payoutGateways.for(account.gateway).payoutCurrency);
  }
}
