import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import type { RedirectAllowList } from '../../domain/billing/redirect-allow-list.policy.ts';
import { LedgerAccount } from '../../domain/ledger/ledger-account.ts';
import { PAYOUT_FREQUENCIES, type OnboardingStatus, type PayoutAccount, type PayoutFrequency } from '../../domain/payouts/payout-account.entity.ts';
import {
  MIN_PAYOUT_CENTS,
  payoutAmountCents,
  payoutPaidTransfer,
  payoutPeriod,
  payoutReturnedTransfer,
  payoutStartedTransfer,
} from '../../domain/payouts/payout-rules.ts';
import { Payout } from '../../domain/payouts/payout.entity.ts';
import {
  ConflictError,
  InvalidInputError,
  NotFoundError,
  PayoutRefusedError,
  ProviderError,
  UntrustedProviderStateError,
} from '../../domain/shared/errors.ts';
import { Money } from '../../domain/shared/money.value-object.ts';
import { parseIdentifier } from '../../domain/shared/text.ts';
import { WALLET_CURRENCY } from '../../domain/wallet/wallet-rules.ts';
import type { AccountOpener } from '../billing/account-opener.ts';
import type { FxRates } from '../billing/fx-rates.port.ts';
import { requireRole } from '../shared/authorization.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { IdGenerator } from '../shared/id-generator.port.ts';
import type { Requester, SignupSignals } from '../shared/requester.ts';
import type { UnitOfWork } from '../shared/unit-of-work.port.ts';
import { parsePage, type Page } from '../shared/pagination.ts';
import type { WalletLedger } from '../wallet/wallet-ledger.port.ts';
import { applied, ignored, type AppliedOutcome } from '../shared/applied-outcome.ts';
import type { PayoutGateways, PayoutProfile, ProviderAccountState, ProviderTransferState } from './payout-gateway.port.ts';
import type { PayoutRepository } from './payout.repository.ts';

export interface PayoutDeps {
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

export interface PayoutSettingsView {
  readonly frequency: PayoutFrequency;
  readonly onboardingStatus: OnboardingStatus;
  readonly restrictionReason: string | null;
  readonly gateway: PaymentGatewayName;
  /** The currency payouts reach the bank in: USD through Stripe, INR through Razorpay. */
  readonly currency: string;
  readonly minimumCents: number;
}

const MAX_PROFILE_FIELD_LENGTH = 200;
/** How long a payout waits for the provider's answer before it is sent again (same id). */
const UNANSWERED_AFTER_MS = 5 * 60 * 1000;
/**
 * How long the payout id keeps working as the provider's idempotency key (Stripe keeps keys for
 * 24 hours): only inside this window is sending again safe without asking the provider first.
 */
export const RESEND_WINDOW_MS = 23 * 60 * 60 * 1000;
const BATCH = 100;

function settingsView(account: PayoutAccount, currency: string): PayoutSettingsView {
  return {
    frequency: account.frequency,
    onboardingStatus: account.onboardingStatus,
    restrictionReason: account.restrictionReason,
    gateway: account.gateway,
    currency,
    minimumCents: MIN_PAYOUT_CENTS,
  };
}

function parseProfile(raw: unknown): PayoutProfile | null {
  if (raw === undefined || raw === null) return null;
  const fields = raw as Record<string, unknown>;
  const text = (name: keyof PayoutProfile, pattern: RegExp, rule: string): string => {
    const value = typeof fields[name] === 'string' ? (fields[name] as string).trim() : '';
    if (!value || value.length > MAX_PROFILE_FIELD_LENGTH || !pattern.test(value)) throw new InvalidInputError(`profile.${name}`, `profile.${name} ${rule}`);
    return value;
  };
  return {
    email: text('email', /^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'must be an email address'),
    phone: text('phone', /^\+?\d{8,15}$/, 'must be a phone number of 8 to 15 digits'),
    legalName: text('legalName', /\S/, 'is required'),
    bankAccountNumber: text('bankAccountNumber', /^\d{6,18}$/, 'must be 6 to 18 digits'),
    ifsc: text('ifsc', /^[A-Z]{4}0[A-Z0-9]{6}$/, 'must be an IFSC code such as HDFC0000001'),
    pan: text('pan', /^[A-Z]{5}\d{4}[A-Z]$/, 'must be a PAN such as ABCPE1234F'),
    street: text('street', /\S/, 'is required'),
    city: text('city', /\S/, 'is required'),
    state: text('state', /\S/, 'is required'),
    postalCode: text('postalCode', /^\d{6}$/, 'must be a six-digit PIN code'),
  };
}

/**
 * Everything that moves a payout along, shared by the use cases: taking it from the balance,
 * sending it to the provider, and applying what the provider answered. Every change is one
 * transaction with its ledger transfer, and happens once whichever path sees it first.
 */
export class PayoutMovements {
  private readonly deps: PayoutDeps;

  constructor(deps: PayoutDeps) {
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
   * when the payout it retries was retried already. With a period, returns null when the creator
   * already has a payout for it.
   */
  async take(creatorId: string, gateway: PaymentGatewayName, requestedCents: unknown, options: { period?: string; retryOf?: string } = {}): Promise<Payout | null> {
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
      const amount = Money.of(payoutAmountCents(requestedCents, available), WALLET_CURRENCY);
      const payout = Payout.request({
        id: ids.next(),
        creatorId,
        gateway: account.gateway,
        providerAccountId: account.providerAccountId!,
        amount,
        payoutAmount: fx ? fx.convert(amount) : amount,
        fx: fx ? { rateMicros: fx.rateMicros, source: fx.source, quotedAt: fx.quotedAt, baseAmountMinor: amount.amountMinor } : null,
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
      const review = state.reversedMinor > 0 ? `flagged for review: ${state.reason ?? 'the transfer was partly reversed'}; the payout stays paid` : null;
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

/** `startPayoutOnboarding`: the creator's provider account and where to send them to finish it. */
export class StartPayoutOnboarding {
  private readonly deps: { movements: PayoutMovements; payouts: PayoutRepository; payoutGateways: PayoutGateways; redirects: RedirectAllowList; uow: UnitOfWork; clock: Clock };

  constructor(deps: StartPayoutOnboarding['deps']) {
    this.deps = deps;
  }

  async execute(input: CreatorRequest & { returnUrl: unknown; refreshUrl: unknown; profile?: unknown }): Promise<{ url: string; status: OnboardingStatus }> {
    const returnUrl = this.deps.redirects.check(input.returnUrl, 'returnUrl');
    const refreshUrl = this.deps.redirects.check(input.refreshUrl, 'refreshUrl');
    const profile = parseProfile(input.profile);
    const account = await this.deps.movements.account(input);
    if (account.onboardingStatus === 'verified') throw new ConflictError('payout onboarding is already complete: this creator can be paid');
    const started = await this.deps.payoutGateways.for(account.gateway).startOnboarding({
      creatorId: account.creatorId,
      accountId: account.providerAccountId,
      returnUrl,
      refreshUrl,
      profile,
    });
    await this.deps.uow.transactional(async () => {
      const locked = await this.deps.payouts.lockAccount(account.creatorId, account.gateway, this.deps.clock.now());
      locked.linkProviderAccount(started.accountId, started.status, this.deps.clock.now());
      await this.deps.payouts.saveAccount(locked);
    });
    return { url: started.url, status: started.status };
  }
}

/** The creator's payout settings, payouts and one payout; an account under review is asked about on the way. */
export class PayoutQueries {
  private readonly deps: { movements: PayoutMovements; payouts: PayoutRepository; payoutGateways: PayoutGateways };

  constructor(deps: PayoutQueries['deps']) {
    this.deps = deps;
  }

  async settings(creator: CreatorRequest): Promise<PayoutSettingsView> {
    const account = await this.deps.movements.refresh(await this.deps.movements.account(creator));
    return settingsView(account, this.deps.payoutGateways.for(account.gateway).payoutCurrency);
  }

  async payout(creatorId: string, id: unknown): Promise<Payout> {
    const payoutId = parseIdentifier(id, 'id');
    const payout = await this.deps.payouts.find(payoutId);
    if (!payout || payout.creatorId !== creatorId) throw new NotFoundError(`no payout ${payoutId}`);
    return payout;
  }

  list(creatorId: string, first: unknown, after: unknown): Promise<Page<Payout>> {
    return this.deps.payouts.list(creatorId, parsePage(first, after));
  }
}

/** `updatePayoutSettings(frequency)`. */
export class UpdatePayoutSettings {
  private readonly deps: { movements: PayoutMovements; payouts: PayoutRepository; payoutGateways: PayoutGateways; uow: UnitOfWork; clock: Clock };

  constructor(deps: UpdatePayoutSettings['deps']) {
    this.deps = deps;
  }

  async execute(input: CreatorRequest & { frequency: unknown }): Promise<PayoutSettingsView> {
    const frequency = input.frequency;
    if (typeof frequency !== 'string' || !(PAYOUT_FREQUENCIES as readonly string[]).includes(frequency)) {
      throw new InvalidInputError('frequency', `frequency must be one of ${PAYOUT_FREQUENCIES.join(', ')}`);
    }
    const { gateway } = await this.deps.movements.account(input);
    const account = await this.deps.uow.transactional(async () => {
      const locked = await this.deps.payouts.lockAccount(input.userId, gateway, this.deps.clock.now());
      locked.setFrequency(frequency as PayoutFrequency, this.deps.clock.now());
      await this.deps.payouts.saveAccount(locked);
      return locked;
    });
    return settingsView(account, this.deps.payoutGateways.for(account.gateway).payoutCurrency);
  }
}

/** `requestPayout(amountCents)`: a manual payout of the amount, or of everything available. */
export class RequestPayout {
  private readonly movements: PayoutMovements;

  constructor(movements: PayoutMovements) {
    this.movements = movements;
  }

  async execute(input: CreatorRequest & { amountCents?: unknown }): Promise<Payout> {
    const account = await this.movements.refresh(await this.movements.account(input));
    const payout = await this.movements.take(account.creatorId, account.gateway, input.amountCents);
    return this.movements.send(payout!);
  }
}

/**
 * Admin `retryPayout(id)`: a payout the provider never answered about is sent again with the same
 * id (the provider's idempotency makes that safe while it keeps the key); a failed one is paid
 * anew from the balance, once, as a new payout that names the one it retries.
 */
export class RetryPayout {
  private readonly deps: { movements: PayoutMovements; payouts: PayoutRepository; clock: Clock };

  constructor(deps: RetryPayout['deps']) {
    this.deps = deps;
  }

  async execute(input: { requester: Requester; id: unknown }): Promise<Payout> {
    requireRole(input.requester, 'admin');
    const id = parseIdentifier(input.id, 'id');
    const payout = await this.deps.payouts.find(id);
    if (!payout) throw new NotFoundError(`no payout ${id}`);
    if (payout.status === 'pending') {
      if (this.deps.clock.now().getTime() - payout.createdAt.getTime() > RESEND_WINDOW_MS) {
        throw new ConflictError(
          `payout ${id} has waited for ${payout.gateway} longer than its idempotency key lasts: look the transfer up at the provider before paying it again`,
        );
      }
      return this.deps.movements.send(payout);
    }
    if (payout.status !== 'failed') throw new ConflictError(`payout ${id} is ${payout.status}: only a pending or failed payout can be retried`);
    const retry = await this.deps.movements.take(payout.creatorId, payout.gateway, payout.amount.amountMinor, { retryOf: payout.id });
    if (!retry) throw new ConflictError(`payout ${id} was retried already`);
    return this.deps.movements.send(retry);
  }
}

/**
 * Sends again the payouts a provider never answered about, with their own id, least recently
 * tried first; run with the reconciliation, every few minutes. Payouts older than the provider
 * keeps idempotency keys are left to an admin, who looks the transfer up first.
 */
export class ResendUnansweredPayouts {
  private readonly deps: { movements: PayoutMovements; payouts: PayoutRepository; clock: Clock };

  constructor(deps: ResendUnansweredPayouts['deps']) {
    this.deps = deps;
  }

  async execute(): Promise<{ resent: number; failed: number }> {
    const now = this.deps.clock.now().getTime();
    const unanswered = await this.deps.payouts.unanswered(new Date(now - UNANSWERED_AFTER_MS), new Date(now - RESEND_WINDOW_MS), BATCH);
    let failed = 0;
    for (const payout of unanswered) {
      // One payout that cannot be sent (a bad account id, a database hiccup) does not stop the others.
      await this.deps.movements.send(payout).catch(() => failed++);
    }
    return { resent: unanswered.length - failed, failed };
  }
}

export interface ScheduledRunReport {
  readonly frequency: Exclude<PayoutFrequency, 'manual'>;
  readonly period: string;
  /** Creators paid in this run, by payout status. */
  readonly payouts: Record<string, number>;
  /** Creators skipped: paid already this period, below the minimum, or not verified. */
  readonly skipped: number;
  /** Creators whose payout could not be taken for another reason; the run went on with the others. */
  readonly errors: readonly { readonly creatorId: string; readonly message: string }[];
}

/**
 * One pass of a weekly or monthly schedule. Safe to run again and from any number of processes at
 * once: the period is part of the payout and unique per creator, so a creator is paid at most once
 * in it.
 */
export class RunScheduledPayouts {
  private readonly deps: { movements: PayoutMovements; payouts: PayoutRepository; clock: Clock };

  constructor(deps: RunScheduledPayouts['deps']) {
    this.deps = deps;
  }

  async execute(frequency: Exclude<PayoutFrequency, 'manual'>): Promise<ScheduledRunReport> {
    const period = payoutPeriod(frequency, this.deps.clock.now());
    const counts: Record<string, number> = {};
    const errors: { creatorId: string; message: string }[] = [];
    let skipped = 0;
    for (let after: string | null = null; ; ) {
      const creators = await this.deps.payouts.scheduledCreators(frequency, after, BATCH);
      for (const creatorId of creators) {
        try {
          const status = await this.payOne(creatorId, period);
          if (status) counts[status] = (counts[status] ?? 0) + 1;
          else skipped++;
        } catch (error) {
          errors.push({ creatorId, message: error instanceof Error ? error.message : String(error) });
        }
      }
      if (creators.length < BATCH) break;
      after = creators.at(-1)!;
    }
    return { frequency, period, payouts: counts, skipped, errors };
  }

  /** The status of the creator's payout for the period, or null when there is nothing to pay them now. */
  private async payOne(creatorId: string, period: string): Promise<string | null> {
    const account = await this.deps.payouts.findAccount(creatorId);
    if (!account || account.payoutBlocker) return null;
    try {
      const payout = await this.deps.movements.take(creatorId, account.gateway, null, { period });
      return payout ? (await this.deps.movements.send(payout)).status : null;
    } catch (error) {
      // Below the minimum, or the account changed since the look above: nothing to pay now.
      if (error instanceof InvalidInputError || error instanceof ConflictError) return null;
      throw error;
    }
  }
}
