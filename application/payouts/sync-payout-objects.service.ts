import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { UntrustedProviderStateError } from '../../domain/shared/errors.ts';
import { applied, ignored, type PreparedSync } from '../shared/applied-outcome.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { PayoutGateways } from './payout-gateway.port.ts';
import type { PayoutRepository } from './payout.repository.ts';
import type { PayoutTransfers } from './payout-transfers.service.ts';

/** How long a payout may stay in transit before the provider is asked about its transfer: its settle event may have been lost. */
export const IN_TRANSIT_POLL_AFTER_MS = 60 * 60 * 1000;
const MAX_POLLED_PER_RUN = 100;

/**
 * Provider events about a creator's account or a payout's transfer: the account or payout of ours
 * is found by the provider's id we stored (or, for a transfer whose answer was lost, the payout id
 * it carries, checked against the transfer), and gets the object's state as the provider holds it now.
 */
export class SyncPayoutObjects {
  private readonly deps: Readonly<{ payouts: PayoutRepository; payoutGateways: PayoutGateways; transfers: PayoutTransfers; clock: Clock }>;

  constructor(deps: SyncPayoutObjects['deps']) {
    this.deps = deps;
  }

  async prepareAccount(provider: PaymentGatewayName, subject: { readonly id: string }): Promise<PreparedSync> {
    if (!(await this.deps.payouts.findAccountByProviderId(provider, subject.id))) return ignored(`no creator's payout account is ${subject.id}`);
    const state = await this.deps.payoutGateways.for(provider).retrieveAccount(subject.id);
    return async () => ((await this.deps.transfers.applyAccountState(provider, state)) ? applied() : ignored(`no creator's payout account is ${subject.id}`));
  }

  async prepareTransfer(provider: PaymentGatewayName, subject: { readonly id: string; readonly hint: string | null }): Promise<PreparedSync> {
    const payout = (await this.deps.payouts.findByTransfer(provider, subject.id)) ?? (subject.hint ? await this.deps.payouts.find(subject.hint) : null);
    if (!payout) return ignored(`no payout of ours was sent as transfer ${subject.id}`);
    if (payout.gateway !== provider) throw new UntrustedProviderStateError(`transfer ${subject.id} at ${provider} names payout ${payout.id}, which was sent through ${payout.gateway}`);
    const state = await this.deps.payoutGateways.for(provider).retrieveTransfer(subject.id, payout.providerAccountId);
    return () => this.deps.transfers.applyTransferState(payout.id, state);
  }

  /**
   * Asks the provider about payouts in transit for over an hour and applies what it says, so a lost
   * settle event does not leave a payout (and its money) in flight for ever. One that cannot be
   * read now is asked about on the next run.
   */
  async pollInTransit(): Promise<{ polled: number; settled: number; failed: number }> {
    const waiting = await this.deps.payouts.inTransitIds(new Date(this.deps.clock.now().getTime() - IN_TRANSIT_POLL_AFTER_MS), MAX_POLLED_PER_RUN);
    const report = { polled: waiting.length, settled: 0, failed: 0 };
    for (const id of waiting) {
      // One payout that cannot be read or asked about (a corrupt row, the provider down) does not stop the others.
      try {
        const payout = await this.deps.payouts.find(id);
        if (!payout) continue;
        const state = await this.deps.payoutGateways.for(payout.gateway).retrieveTransfer(payout.providerTransferId!, payout.providerAccountId);
        if ((await this.deps.transfers.applyTransferState(payout.id, state)).status === 'applied') report.settled++;
      } catch {
        report.failed++;
      }
    }
    return report;
  }
}
