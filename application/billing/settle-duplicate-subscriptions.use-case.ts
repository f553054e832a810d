import type { DuplicateSubscription, DuplicateSubscriptionStatus } from '../../domain/billing/duplicate-subscription.entity.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { UnitOfWork } from '../shared/unit-of-work.port.ts';
import type { DuplicateSubscriptionRepository } from './duplicate-subscription.repository.ts';
import type { PaymentGateway, PaymentGateways } from './payment-gateway.port.ts';

/** How long one attempt holds a settlement: longer than the provider calls can take with their retries. */
export const SETTLEMENT_LEASE_MS = 2 * 60 * 1000;
export const MAX_SETTLEMENTS_PER_RUN = 100;
/** Attempts before a settlement the provider keeps failing is left to a person: about a day and a half of backoff. */
export const MAX_SETTLEMENT_ATTEMPTS = 12;
const FIRST_RETRY_MS = 60 * 1000;
const MAX_RETRY_MS = 6 * 60 * 60 * 1000;

/** The wait before the next attempt, after `attempts` of them: doubling from a minute, at most six hours. */
export function settlementRetryDelayMs(attempts: number): number {
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attempts - 1));
}

/** The idempotency key of the refund of a canceled checkout's payment: the same however often, and from wherever, it is sent. */
export function refundIdempotencyKey(canceledSessionId: string): string {
  return `refund:${canceledSessionId}`;
}

/** A settlement no attempt can finish: nothing to refund automatically, or a payment that is not the one charged. */
class CannotSettle extends Error {}

export interface SettlementReport {
  readonly checked: number;
  readonly done: number;
  readonly pending: number;
  readonly failed: number;
}

/**
 * One live subscription per account, carried out: for each second subscription a completion
 * recorded (see DuplicateSubscription), cancels the earlier checkout's subscription at once and
 * refunds its payment in full through the provider, outside any transaction, then records what the
 * provider did. Each step is done once in effect: a canceled subscription stays canceled, and the
 * refund carries an idempotency key derived from the canceled checkout and refunds only what the
 * payment still holds, so a retry after a lost answer, a second runner or a second process refunds
 * nothing more. Runs after completions (verify-session, the inbox workers) and on the schedule,
 * which retries what a provider could not do, with backoff.
 */
export class SettleDuplicateSubscriptions {
  private readonly deps: Readonly<{
    duplicates: DuplicateSubscriptionRepository;
    gateways: PaymentGateways;
    uow: UnitOfWork;
    clock: Clock;
  }>;

  constructor(deps: SettleDuplicateSubscriptions['deps']) {
    this.deps = deps;
  }

  /** Every settlement due now (of one user, when given). */
  async execute(options: { readonly userId?: string } = {}): Promise<SettlementReport> {
    const report = { checked: 0, done: 0, pending: 0, failed: 0 };
    for (const id of await this.deps.duplicates.listDue(this.deps.clock.now(), MAX_SETTLEMENTS_PER_RUN, options.userId)) {
      const status = await this.settle(id);
      if (!status) continue;
      report.checked++;
      report[status]++;
    }
    return report;
  }

  /** One attempt at one settlement; null when it was not due, or another runner holds it. */
  private async settle(id: string): Promise<DuplicateSubscriptionStatus | null> {
    const { duplicates, uow, clock } = this.deps;
    const claimed = await uow.transactional(async () => {
      const record = await duplicates.findByIdForUpdate(id);
      const now = clock.now();
      if (!record || !record.claim(now, new Date(now.getTime() + SETTLEMENT_LEASE_MS))) return null;
      await duplicates.save(record);
      return record;
    });
    if (!claimed) return null;

    const gateway = this.deps.gateways.for(claimed.gateway);
    let canceled = false;
    let refund: { refundId: string | null; refundedMinor: number } | null = null;
    let failure: { error: string; retryAt: Date | null } | null = null;
    try {
      if (!claimed.subscriptionCanceledAt) {
        await gateway.cancelSubscriptionNow(claimed.subscriptionId);
        canceled = true;
      }
      if (!claimed.refundedAt) refund = await this.refund(gateway, claimed);
    } catch (error) {
      const now = clock.now();
      const giveUp = error instanceof CannotSettle || claimed.attempts + 1 >= MAX_SETTLEMENT_ATTEMPTS;
      failure = { error: error instanceof Error ? error.message : String(error), retryAt: giveUp ? null : new Date(now.getTime() + settlementRetryDelayMs(claimed.attempts + 1)) };
    }

    return uow.transactional(async () => {
      const record = await duplicates.findByIdForUpdate(id);
      if (!record) return null;
      const now = clock.now();
      if (canceled) record.subscriptionCanceled(now);
      if (refund) record.refunded(refund, now);
      record.finishAttempt(now, failure);
      await duplicates.save(record);
      return record.status;
    });
  }

  /**
   * Refunds what the payment still holds, in full: nothing, when it was all given back already
   * (by an earlier attempt whose answer was lost, or by hand).
   */
  private async refund(gateway: PaymentGateway, record: DuplicateSubscription): Promise<{ refundId: string | null; refundedMinor: number }> {
    if (!record.paymentId) throw new CannotSettle(`the provider named no payment for checkout ${record.canceledSessionId}: refund it by hand`);
    const payment = await gateway.retrievePayment(record.paymentId);
    if (payment.amount.currency !== record.currency) {
      throw new CannotSettle(`payment ${record.paymentId} is in ${payment.amount.currency}, not the ${record.currency} checkout ${record.canceledSessionId} charged: nothing was refunded`);
    }
    if (payment.refunded.currency !== record.currency) {
      throw new CannotSettle(`payment ${record.paymentId} reports its refunds in ${payment.refunded.currency}, not the ${record.currency} it was charged in: nothing was refunded`);
    }
    const left = payment.amount.amountMinor - payment.refunded.amountMinor;
    if (left <= 0) return { refundId: null, refundedMinor: payment.refunded.amountMinor };
    const made = await gateway.refundPayment({
      paymentId: record.paymentId,
      amount: { amountMinor: left, currency: record.currency },
      idempotencyKey: refundIdempotencyKey(record.canceledSessionId),
    });
    return { refundId: made.refundId, refundedMinor: made.amount.amountMinor };
  }
}
