import type { CheckoutSession } from '../../domain/billing/checkout-session.entity.ts';
import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { NotFoundError, UntrustedProviderStateError } from '../../domain/shared/errors.ts';
import { Money } from '../../domain/shared/money.value-object.ts';
import { depositReversalTransfer } from '../../domain/wallet/wallet-rules.ts';
import type { CheckoutSessionRepository } from '../billing/checkout-session.repository.ts';
import type { InvoiceRepository } from '../billing/invoice.repository.ts';
import type { PaymentGateways, ProviderAmount } from '../billing/payment-gateway.port.ts';
import { followDepositReversal } from '../billing/record-invoice.service.ts';
import type { SyncCheckout } from '../billing/sync-checkout.service.ts';
import { applied, ignored, type AppliedOutcome, type PreparedSync } from '../shared/applied-outcome.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { IdGenerator } from '../shared/id-generator.port.ts';
import type { UnitOfWork } from '../shared/unit-of-work.port.ts';
import type { WalletLedger } from './wallet-ledger.port.ts';

/**
 * A provider event about a payment (a refund, Stripe's disputes) or a dispute (Razorpay's, read one
 * at a time): the deposit it paid takes back from the wallet what the provider holds back now, by
 * a compensating transfer of the difference, so the same state read twice moves nothing and a won
 * dispute gives the money back whatever order the events came in. The wallet may go below zero
 * only here, and is then flagged. Payments of plans change nothing here: the subscription's state
 * carries what happens to the plan.
 */
export class SyncDepositReversals {
  private readonly deps: Readonly<{
    sessions: CheckoutSessionRepository;
    invoices: InvoiceRepository;
    ledger: WalletLedger;
    gateways: PaymentGateways;
    checkouts: SyncCheckout;
    uow: UnitOfWork;
    ids: IdGenerator;
    clock: Clock;
  }>;

  constructor(deps: SyncDepositReversals['deps']) {
    this.deps = deps;
  }

  /** `hint`: the session a payment's notes name (Razorpay's payment.captured), for a payment no deposit holds yet. */
  async preparePayment(provider: PaymentGatewayName, subject: { readonly id: string; readonly hint: string | null }): Promise<PreparedSync> {
    const session = await this.deps.sessions.findByPaymentId(provider, subject.id);
    if (!session) {
      return subject.hint ? this.deps.checkouts.prepareForPayment(provider, subject.id, subject.hint) : ignored(`no checkout of ours was paid by ${subject.id}`);
    }
    if (session.purpose !== 'deposit') return ignored(`payment ${subject.id} paid a plan: its subscription says what happens to the plan`);
    const payment = await this.deps.gateways.for(provider).retrievePayment(subject.id);
    inChargeCurrency(session, payment.amount);
    const refunded = inChargeCurrency(session, payment.refunded, `the refunds of payment ${subject.id}`);
    const disputed = payment.disputed && inChargeCurrency(session, payment.disputed, `the disputes of payment ${subject.id}`);
    return () => this.apply(session.id, { refunded, ...(disputed ? { disputed } : {}) }, `payment ${subject.id}`);
  }

  /** `hint`: the payment the dispute is about, as the event names it: checked against the dispute as the provider reports it. */
  async prepareDispute(provider: PaymentGatewayName, subject: { readonly id: string; readonly hint: string | null }): Promise<PreparedSync> {
    if (subject.hint && !(await this.deps.sessions.findByPaymentId(provider, subject.hint))) return ignored(`no checkout of ours was paid by ${subject.hint}`);
    const dispute = await this.deps.gateways.for(provider).retrieveDispute(subject.id);
    const session = await this.deps.sessions.findByPaymentId(provider, dispute.paymentId);
    if (!session) return ignored(`no checkout of ours was paid by ${dispute.paymentId}`);
    if (session.purpose !== 'deposit') return ignored(`payment ${dispute.paymentId} paid a plan: its subscription says what happens to the plan`);
    const amount = inChargeCurrency(session, dispute.amount);
    return () => this.apply(session.id, { dispute: { id: dispute.disputeId, held: dispute.holdsMoney ? amount : Money.zero(session.currency) } }, `dispute ${dispute.disputeId}`);
  }

  private apply(sessionId: string, state: Parameters<CheckoutSession['recordReversal']>[0], source: string): Promise<AppliedOutcome> {
    const { sessions, ledger, uow, ids, clock } = this.deps;
    return uow.transactional(async () => {
      const session = await sessions.findByIdForUpdate(sessionId);
      if (!session) throw new NotFoundError(`checkout session ${sessionId} does not exist`);
      const takenBackCents = session.recordReversal(state);
      // Saved even when the wallet does not move: what each dispute holds counts for later reads.
      await sessions.save(session);
      await followDepositReversal(this.deps, session, clock.now());
      if (takenBackCents === 0) return ignored('the wallet already reflects what the provider holds back');
      await ledger.post(
        depositReversalTransfer({
          transferId: ids.next(),
          userId: session.userId,
          provider: session.gateway,
          takenBackCents,
          checkoutSessionId: session.id,
          reason: `${takenBackCents > 0 ? 'taken back' : 'given back'} after reading ${source}`,
          now: clock.now(),
        }),
        { allowNegativeWallet: true },
      );
      return applied();
    });
  }
}

/**
 * What the provider took, gave back or holds of the charge (`what`, when it is not the payment
 * itself), as Money of the charge's currency. An amount in another is not this deposit's, and is
 * never taken as a number of its minor units.
 */
function inChargeCurrency(session: CheckoutSession, amount: ProviderAmount, what?: string): Money {
  if (amount.currency !== session.currency) {
    throw new UntrustedProviderStateError(
      `the provider reports ${what ? `${what} in ` : ''}${amount.currency} for checkout session ${session.id}, which was charged in ${session.currency}: nothing was applied`,
    );
  }
  return Money.of(amount.amountMinor, session.currency);
}
