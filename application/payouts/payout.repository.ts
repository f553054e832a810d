import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import type { PayoutAccount, PayoutFrequency } from '../../domain/payouts/payout-account.entity.ts';
import type { Payout } from '../../domain/payouts/payout.entity.ts';
import { token } from '../shared/token.ts';
import type { Page, PageRequest } from '../shared/pagination.ts';

/** Creators' payout accounts and their payouts. The `ForUpdate` reads lock until the unit of work ends. */
export interface PayoutRepository {
  findAccount(creatorId: string): Promise<PayoutAccount | null>;
  /**
   * The creator's account, locked: payouts of one creator are taken from the balance one at a
   * time. Creates it (not started, manual) first when the creator has none.
   */
  lockAccount(creatorId: string, gateway: PaymentGatewayName, now: Date): Promise<PayoutAccount>;
  findAccountByProviderId(gateway: PaymentGatewayName, providerAccountId: string): Promise<PayoutAccount | null>;
  findAccountByProviderIdForUpdate(gateway: PaymentGatewayName, providerAccountId: string): Promise<PayoutAccount | null>;
  saveAccount(account: PayoutAccount): Promise<void>;

  /** Stores a new payout; false (nothing stored) when the creator already has one for its period, or its failed payout was retried already. */
  add(payout: Payout): Promise<boolean>;
  save(payout: Payout): Promise<void>;
  find(id: string): Promise<Payout | null>;
  findForUpdate(id: string): Promise<Payout | null>;
  /** The payout that retried a failed one, if an admin retried it. */
  findRetryOf(payoutId: string): Promise<Payout | null>;
  findByTransfer(gateway: PaymentGatewayName, transferId: string): Promise<Payout | null>;
  /** A creator's payouts, newest first. */
  list(creatorId: string, page: PageRequest): Promise<Page<Payout>>;
  /** Verified creators on a schedule with no payout for `period` yet, in id order after `afterCreatorId`, for the scheduled runs. */
  scheduledCreators(frequency: Exclude<PayoutFrequency, 'manual'>, period: string, afterCreatorId: string | null, limit: number): Promise<string[]>;
  /**
   * The ids of pending payouts last tried before `triedBefore` and created after `createdAfter`,
   * least recently tried first. Ids, not payouts: the upkeep loads each on its own, so one stored
   * payout that cannot be read (CorruptRecordError) does not hold up the others.
   */
  unansweredIds(triedBefore: Date, createdAfter: Date, limit: number): Promise<string[]>;
  /** The ids of payouts in transit since before `movedBefore`, longest waiting first: their settle event may never have come. */
  inTransitIds(movedBefore: Date, limit: number): Promise<string[]>;
}

export const PAYOUT_REPOSITORY = token<PayoutRepository>('PayoutRepository');
