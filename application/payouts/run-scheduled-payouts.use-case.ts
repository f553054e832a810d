import type { PayoutFrequency } from '../../domain/payouts/payout-account.entity.ts';
import { payoutPeriod } from '../../domain/payouts/payout-rules.ts';
import { ConflictError, InvalidInputError } from '../../domain/shared/errors.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { PayoutRepository } from './payout.repository.ts';
import type { PayoutTransfers } from './payout-transfers.service.ts';

const CREATORS_PER_BATCH = 100;
/**
 * Batches of creators one run pays at most (100,000 creators). The creators past it are left for
 * the next run, which goes on with them: a run lists only creators with no payout for the period
 * yet, so a run again in the same period (the embedded service's hourly check, `npm run
 * payouts:run`) starts where this one stopped, and a creator it never reaches is paid their whole
 * balance in the next period. The report's `unfinished` says a run stopped here.
 */
const MAX_BATCHES_PER_RUN = 1_000;

export interface ScheduledRunReport {
  readonly frequency: Exclude<PayoutFrequency, 'manual'>;
  readonly period: string;
  /** Creators paid in this run, by payout status. */
  readonly payouts: Record<string, number>;
  /** Creators skipped: below the minimum, not verified, or paid this period by a run beside this one. */
  readonly skipped: number;
  /** Creators whose payout could not be taken for another reason; the run went on with the others. */
  readonly errors: readonly { readonly creatorId: string; readonly message: string }[];
  /** The run stopped at its limit of creators with more on the schedule, left for the next run. */
  readonly unfinished: boolean;
}

/**
 * One pass of a weekly or monthly schedule. Safe to run again and from any number of processes at
 * once: the period is part of the payout and unique per creator, so a creator is paid at most once
 * in it.
 */
export class RunScheduledPayouts {
  private readonly deps: { transfers: PayoutTransfers; payouts: PayoutRepository; clock: Clock };

  constructor(deps: RunScheduledPayouts['deps']) {
    this.deps = deps;
  }

  async execute(frequency: Exclude<PayoutFrequency, 'manual'>): Promise<ScheduledRunReport> {
    const period = payoutPeriod(frequency, this.deps.clock.now());
    const counts: Record<string, number> = {};
    const errors: { creatorId: string; message: string }[] = [];
    let skipped = 0;
    let after: string | null = null;
    for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
      const creators = await this.deps.payouts.scheduledCreators(frequency, period, after, CREATORS_PER_BATCH);
      for (const creatorId of creators) {
        try {
          const status = await this.payOne(creatorId, period);
          if (status) counts[status] = (counts[status] ?? 0) + 1;
          else skipped++;
        } catch (error) {
          errors.push({ creatorId, message: error instanceof Error ? error.message : String(error) });
        }
      }
      if (creators.length < CREATORS_PER_BATCH) return { frequency, period, payouts: counts, skipped, errors, unfinished: false };
      after = creators.at(-1)!;
    }
    return { frequency, period, payouts: counts, skipped, errors, unfinished: true };
  }

  /** The status of the creator's payout for the period, or null when there is nothing to pay them now. */
  private async payOne(creatorId: string, period: string): Promise<string | null> {
    const account = await this.deps.payouts.findAccount(creatorId);
    if (!account || account.payoutBlocker) return null;
    try {
      const payout = await this.deps.transfers.take(creatorId, account.gateway, null, { period });
      return payout ? (await this.deps.transfers.send(payout)).status : null;
    } catch (error) {
      // Below the minimum, or the account changed since the look above: nothing to pay now.
      if (error instanceof InvalidInputError || error instanceof ConflictError) return null;
      throw error;
    }
  }
}
