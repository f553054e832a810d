import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { LedgerAccount } from '../../domain/ledger/ledger-account.ts';
import type { PayoutAccount } from '../../domain/payouts/payout-account.entity.ts';
import { payoutAmount, payoutPaidTransfer, payoutReturnedTransfer, payoutStartedTransfer } from '../../domain/payouts/payout-rules.ts';
import { Payout } from '../../domain/payouts/payout.entity.ts';
import { ConflictError, NotFoundError, PayoutRefusedError, ProviderError, UntrustedProviderStateError } from '../../domain/shared/errors.ts';
import type { Money } from '../../domain/shared/money.value-object.ts';
import { WALLET_CURRENCY } from '../../domain/wallet/wallet-rules.ts';
import type { AccountOpener } from '../billing/account-opener.service.ts';
import type { FxRates } from '../billing/fx-rates.port.ts';
import { applied, ignored, type AppliedOutcome } from '../shared/applied-outcome.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { IdGenerator } from '../shared/id-generator.port.ts';
import type { SignupSignals } from '../shared/requester.ts';
import type { UnitOfWork } from '../shared/unit-of-work.port.ts';
import type { WalletLedger } from '../wallet/wallet-ledger.port.ts';
import type { PayoutGateways, ProviderAccountState, ProviderTransferState } from './payout-gateway.port.ts';
import type { PayoutRepository } from './payout.repository.ts';

export interface PayoutTransfersDeps {
  readonly payouts: PayoutRepository;
  readonly ledger: WalletLedger;
  readonly payoutGateways: PayoutGateways;
  readonly opener: AccountOpener;
  readonly rates: FxRates;
  readonly uow: UnitOfWork;
  readonly ids: IdGenerator;
  readonly clock: Clock;
}

/** A creator as the caller: their id and what opens their account at the right gateway. */
export interface CreatorRequest {
  readonly userId: string;
  readonly signals: SignupSignals;
}

/**
 * How long the payout id keeps working as the provider's idempotency key (Stripe keeps keys for
 * 24 hours): only inside this window is sending again safe without asking the provider first.
 */
export const RESEND_WINDOW_MS = 23 * 60 * 60 * 1000;

/**
 * Everything that moves a payout along, shared by the use cases: taking it from the balance,
 * sending it to the provider, and applying what the provider answered. Every change is one
 * transaction with its ledger transfer, and happens once whichever path sees it first.
 */
export class PayoutTransfers {
  private readonly deps: PayoutTransfersDeps;

  constructor(deps: PayoutTransfersDeps) {
    this.deps = deps;
  }

  /** The creator's account at their gateway, created (not started) on first use. */
  async account(creator: CreatorRequest): Promise<PayoutAccount> {
    const existing = await this.deps.payouts.findAccount(creator.userId);
    if (existing) return existing;
    const plan = await this.deps.opener.open(creator.userId, creator.signals);
    return this.deps.uow.transactional(() => this.deps.payouts.lockAccount(creator.userId, plan.paymentGateway, this.deps.clock.now()));
  }

  /** Asks the provider where an account under review stands (on return from onboarding), and keeps its answer. */
  async refresh(account: PayoutAccount): Promise<PayoutAccount> {
    if (!account.providerAccountId || account.onboardingStatus === 'verified') return account;
    const state = await this.deps.payoutGateways.for(account.gateway).retrieveAccount(account.providerAccountId);
    return (await this.applyAccountState(account.gateway, state)) ?? account;
  }

  /** The provider's word on an account, from an event or a fetch; null when the account is not ours. */
  applyAccountState(gateway: PaymentGatewayName, state: ProviderAccountState): Promise<PayoutAccount | null> {
    return this.deps.uow.transactional(async () => {
      const account = await this.deps.payouts.findAccountByProviderIdForUpdate(gateway, state.accountId);
      if (!account) return null;
      if (account.applyProviderState(state, this.deps.clock.now())) await this.deps.payouts.saveAccount(account);
      return account;
    });
  }

  /**
   * Takes a payout from the creator's balance under the lock of their account: refused (nothing
   * written) when onboarding is not verified, below the minimum or above the balance, or (a retry)
   * when the payout it retries was retried already. `requested` is parsed by the caller (null for
   * everything available). With a period, returns null when the creator already has a payout for it.
   */
  async take(creatorId: string, gateway: PaymentGatewayName, requested: Money | null, options: { period?: string; retryOf?: string } = {}): Promise<Payout | null> {
    const { payouts, ledger, payoutGateways, rates, uow, ids, clock } = this.deps;
    const payoutCurrency = payoutGateways.for(gateway).payoutCurrency;
    const fx = payoutCurrency === WALLET_CURRENCY ? null : await rates.quote(WALLET_CURRENCY, payoutCurrency);
    return uow.transactional(async () => {
      const now = clock.now();
      const account = await payouts.lockAccount(creatorId, gateway, now);
      // Under the account's lock: a concurrent retry that took the balance first is seen here, and
      // its loser is told so rather than that the balance is too low.
      const earlier = options.retryOf ? await payouts.findRetryOf(options.retryOf) : null;
      if (earlier) throw new ConflictError(`payout ${options.retryOf} was retried already, as payout ${earlier.id}`);
      const blocker = account.payoutBlocker;
      if (blocker) throw new ConflictError(`no payout: ${blocker}`);
      const available = await ledger.balance(LedgerAccount.creatorBalance(creatorId));
      const amount = payoutAmount(requested, available);
      const payout = Payout.request({
        id: ids.next(),
        creatorId,
        gateway: account.gateway,
        providerAccountId: account.providerAccountId!,
        amount,
        payoutAmount: fx ? fx.convert(amount) : amount,
        fx: fx?.snapshot(amount) ?? null,
        period: options.period ?? null,
        retryOf: options.retryOf ?? null,
        createdAt: now,
      });
      if (!(await payouts.add(payout))) return null;
      await ledger.post(payoutStartedTransfer(payout, ids.next(), now));
      return payout;
    });
  }

  /**
   * Sends a pending payout to the provider (again, with the same id, when it never answered) and
   * applies the answer. A refusal fails it with the provider's reason and returns the money; a
   * failure without an answer leaves it pending, to be sent again.
   */
  async send(payout: Payout): Promise<Payout> {
    const gateway = this.deps.payoutGateways.for(payout.gateway);
    let answer: TransferAnswer;
    try {
      const transfer = await gateway.transfer({ payoutId: payout.id, accountId: payout.providerAccountId, amount: payout.payoutAmount });
      answer = { transferId: transfer.transferId, outcome: transfer.settled ? 'paid' : 'sent', reason: null };
    } catch (error) {
      if (error instanceof PayoutRefusedError) answer = { transferId: null, outcome: 'refused', reason: error.providerMessage };
      else if (error instanceof ProviderError) answer = { transferId: null, outcome: 'unanswered', reason: null };
      else throw error;
    }
    return this.deps.uow.transactional(async () => {
      const locked = await this.deps.payouts.findForUpdate(payout.id);
      if (!locked) return payout;
      await this.applyLocked(locked, answer);
      return locked;
    });
  }

  /**
   * The provider's state of a payout's transfer (read after an event, or by the poll of payouts in
   * transit), in the caller's unit of work or one of its own. A transfer of another account,
   * amount or currency than the payout's is refused. A partial reversal is left for a person: the
   * payout stays paid and the outcome says so.
   */
  applyTransferState(payoutId: string, state: ProviderTransferState): Promise<AppliedOutcome> {
    return this.deps.uow.transactional(async () => {
      const payout = await this.deps.payouts.findForUpdate(payoutId);
      if (!payout) throw new NotFoundError(`no payout ${payoutId}`);
      if (payout.providerTransferId !== null && payout.providerTransferId !== state.transferId) {
        throw new UntrustedProviderStateError(`transfer ${state.transferId} is not payout ${payout.id}'s (${payout.providerTransferId}): nothing was applied`);
      }
      if (!state.toAccount || state.amount.amountMinor !== payout.payoutAmount.amountMinor || state.amount.currency !== payout.payoutAmount.currency) {
        throw new UntrustedProviderStateError(
          `transfer ${state.transferId} of ${state.amount.amountMinor} ${state.amount.currency} minor units ${state.toAccount ? '' : 'to another account '}does not match payout ${payout.id}: nothing was applied`,
        );
      }
      const answer: TransferAnswer =
        state.outcome === 'failed'
          ? { transferId: state.transferId, outcome: 'failed', reason: state.reason }
          : { transferId: state.transferId, outcome: state.outcome === 'paid' ? 'paid' : 'sent', reason: null };
      const changed = await this.applyLocked(payout, answer);
      const review = state.reversed.amountMinor > 0 ? `flagged for review: ${state.reason ?? 'the transfer was partly reversed'}; the payout stays paid` : null;
      return changed ? applied(review) : review ? applied(review) : ignored(`payout ${payout.id} is ${payout.status} already`);
    });
  }

  /** Inside the caller's transaction, with the payout locked. Returns whether anything changed. */
  private async applyLocked(payout: Payout, answer: TransferAnswer): Promise<boolean> {
    const { payouts, ledger, ids, clock } = this.deps;
    const now = clock.now();
    switch (answer.outcome) {
      case 'unanswered':
        payout.recordUnansweredAttempt(now);
        await payouts.save(payout);
        return false;
      case 'refused':
        // A refusal of this send says nothing about a transfer the provider already made for it.
        if (payout.status !== 'pending' || payout.providerTransferId !== null) return false;
        return this.failLocked(payout, answer.reason);
      case 'failed':
        return this.failLocked(payout, answer.reason);
      case 'sent':
      case 'paid':
        // Only a pending or in-transit payout changes here, so one that is paid now was not before.
        if (!payout.recordTransfer(answer.transferId, answer.outcome === 'paid', now)) return false;
        await payouts.save(payout);
        if (payout.status === 'paid') await ledger.post(payoutPaidTransfer(payout, ids.next(), now));
        return true;
    }
  }

  private async failLocked(payout: Payout, reason: string | null): Promise<boolean> {
    const now = this.deps.clock.now();
    const from = payout.fail(reason ?? `${payout.gateway} failed the transfer`, now);
    if (!from) return false;
    await this.deps.payouts.save(payout);
    await this.deps.ledger.post(payoutReturnedTransfer(payout, from, this.deps.ids.next(), now));
    return true;
  }
}

/**
 * What the provider said about a payout: it took the transfer (`sent`: it says later whether it
 * arrived; `paid`: it arrived), failed or reversed it later (`failed`), refused this send
 * (`refused`), or gave no answer (`unanswered`: to be sent again).
 */
type TransferAnswer =
  | { readonly transferId: string; readonly outcome: 'sent' | 'paid'; readonly reason: null }
  | { readonly transferId: string | null; readonly outcome: 'failed' | 'refused' | 'unanswered'; readonly reason: string | null };
