import type { Clock } from '../shared/clock.port.ts';
import type { PayoutRepository } from './payout.repository.ts';
import { RESEND_WINDOW_MS, type PayoutTransfers } from './payout-transfers.service.ts';

/** How long a payout waits for the provider's answer before it is sent again (same id). */
const UNANSWERED_AFTER_MS = 5 * 60 * 1000;
/** Payouts sent again in one run; the rest wait for the next run, a few minutes later. */
const MAX_RESENT_PER_RUN = 100;

/**
 * Sends again the payouts a provider never answered about, with their own id, least recently
 * tried first; run with the reconciliation, every few minutes. Payouts older than the provider
 * keeps idempotency keys are left to an admin, who looks the transfer up first.
 */
export class ResendUnansweredPayouts {
  private readonly deps: { transfers: PayoutTransfers; payouts: PayoutRepository; clock: Clock };

  constructor(deps: ResendUnansweredPayouts['deps']) {
    this.deps = deps;
  }

  async execute(): Promise<{ resent: number; failed: number }> {
    const now = this.deps.clock.now().getTime();
    const unanswered = await this.deps.payouts.unansweredIds(new Date(now - UNANSWERED_AFTER_MS), new Date(now - RESEND_WINDOW_MS), MAX_RESENT_PER_RUN);
    let failed = 0;
    for (const id of unanswered) {
      // One payout that cannot be read or sent (a corrupt row, a bad account id, a database hiccup) does not stop the others.
      await this.resend(id).catch(() => failed++);
    }
    return { resent: unanswered.length - failed, failed };
  }

  private async resend(id: string): Promise<void> {
    const payout = await this.deps.payouts.find(id);
    if (payout) await this.deps.transfers.send(payout);
  }
}
