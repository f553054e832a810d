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
import { ConflictError, InvalidInputError, NotFoundError, PayoutRefusedError, ProviderError } from '../../domain/shared/errors.ts';
import { Money } from '../../domain/shared/money.value-object.ts';
import { parseIdentifier, WALLET_CURRENCY } from '../../domain/wallet/wallet-rules.ts';
import type { AccountOpener } from '../billing/account-opener.ts';
import type { FxRates } from '../billing/fx-rates.port.ts';
import { requireRole } from '../shared/authorization.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { IdGenerator } from '../shared/id-generator.port.ts';
import type { Requester, SignupSignals } from '../shared/requester.ts';
import type { UnitOfWork } from '../shared/unit-of-work.port.ts';
import { parsePage } from '../wallet/wallet-queries.use-cases.ts';
import type { Page, WalletLedger } from '../wallet/wallet-ledger.port.ts';
import type { ProviderEffect } from '../webhooks/provider-event.ts';
import type { PayoutGateways, PayoutProfile, ProviderAccountState } from './payout-gateway.port.ts';
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
/** How long a payout may wait for the provider's answer before a scheduled run sends it again (same id). */
const UNANSWERED_AFTER_MS = 10 * 60 * 1000;
const SCHEDULE_BATCH = 100;

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
   * written) when onboarding is not verified, below the minimum or above the balance. With a
   * period, returns null when the creator already has a payout for it.
   */
  async take(creatorId: string, gateway: PaymentGatewayName, requestedCents: unknown, options: { period?: string; retryOf?: string } = {}): Promise<Payout | null> {
    const { payouts, ledger, payoutGateways, rates, uow, ids, clock } = this.deps;
    const payoutCurrency = payoutGateways.for(gateway).payoutCurrency;
    const fx = payoutCurrency === WALLET_CURRENCY ? null : await rates.quote(WALLET_CURRENCY, payoutCurrency);
    return uow.transactional(async () => {
      const now = clock.now();
      const account = await payouts.lockAccount(creatorId, gateway, now);
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
    try {
      const transfer = await gateway.transfer({ payoutId: payout.id, accountId: payout.providerAccountId, amount: payout.payoutAmount });
      return (await this.applyTransfer(payout.id, { transferId: transfer.transferId, outcome: transfer.settled ? 'paid' : 'sent', reason: null })) ?? payout;
    } catch (error) {
      if (error instanceof PayoutRefusedError) {
        return (await this.applyTransfer(payout.id, { transferId: null, outcome: 'failed', reason: error.providerMessage })) ?? payout;
      }
      if (error instanceof ProviderError) return payout;
      throw error;
    }
  }

  /** A provider event about a transfer: found by the transfer id, or by our payout id the transfer carries. */
  async applyTransferEvent(gateway: PaymentGatewayName, effect: Extract<ProviderEffect, { kind: 'payout_transfer_changed' }>): Promise<boolean> {
    const payout =
      (await this.deps.payouts.findByTransferForUpdate(gateway, effect.transferId)) ??
      (effect.payoutId ? await this.deps.payouts.findForUpdate(effect.payoutId) : null);
    if (!payout || payout.gateway !== gateway) return false;
    return this.applyLocked(payout, { transferId: effect.transferId, outcome: effect.outcome, reason: effect.reason });
  }

  private applyTransfer(payoutId: string, answer: TransferAnswer): Promise<Payout | null> {
    return this.deps.uow.transactional(async () => {
      const payout = await this.deps.payouts.findForUpdate(payoutId);
      if (!payout) return null;
      await this.applyLocked(payout, answer);
      return payout;
    });
  }

  /** Inside the caller's transaction, with the payout locked. Returns whether anything changed. */
  private async applyLocked(payout: Payout, answer: TransferAnswer): Promise<boolean> {
    const { payouts, ledger, ids, clock } = this.deps;
    const now = clock.now();
    if (answer.outcome === 'failed') {
      const from = payout.fail(answer.reason ?? `${payout.gateway} failed the transfer`, now);
      if (!from) return false;
      await payouts.save(payout);
      await ledger.post(payoutReturnedTransfer(payout, from, ids.next(), now));
      return true;
    }
    // Only a pending or in-transit payout changes here, so one that is paid now was not before.
    const changed = answer.transferId
      ? payout.recordTransfer(answer.transferId, answer.outcome === 'paid', now)
      : answer.outcome === 'paid' && payout.settle(now);
    if (!changed) return false;
    await payouts.save(payout);
    if (payout.status === 'paid') await ledger.post(payoutPaidTransfer(payout, ids.next(), now));
    return true;
  }
}

interface TransferAnswer {
  readonly transferId: string | null;
  /** `sent`: the provider took it and will say later whether it arrived. */
  readonly outcome: 'sent' | 'paid' | 'failed';
  readonly reason: string | null;
}

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
 * id (the provider's idempotency makes that safe); a failed one is paid anew from the balance, as
 * a new payout that names the one it retries.
 */
export class RetryPayout {
  private readonly deps: { movements: PayoutMovements; payouts: PayoutRepository };

  constructor(deps: RetryPayout['deps']) {
    this.deps = deps;
  }

  async execute(input: { requester: Requester; id: unknown }): Promise<Payout> {
    requireRole(input.requester, 'admin');
    const id = parseIdentifier(input.id, 'id');
    const payout = await this.deps.payouts.find(id);
    if (!payout) throw new NotFoundError(`no payout ${id}`);
    if (payout.status === 'pending') return this.deps.movements.send(payout);
    if (payout.status !== 'failed') throw new ConflictError(`payout ${id} is ${payout.status}: only a pending or failed payout can be retried`);
    const retry = await this.deps.movements.take(payout.creatorId, payout.gateway, payout.amount.amountMinor, { retryOf: payout.id });
    return this.deps.movements.send(retry!);
  }
}

export interface ScheduledRunReport {
  readonly frequency: Exclude<PayoutFrequency, 'manual'>;
  readonly period: string;
  /** Creators paid in this run, by payout status. */
  readonly payouts: Record<string, number>;
  /** Creators skipped: paid already this period, below the minimum, or no longer verified. */
  readonly skipped: number;
  /** Payouts from earlier runs sent again because the provider never answered. */
  readonly resent: number;
}

/**
 * One pass of a weekly or monthly schedule. Safe to run again and from any number of processes at
 * once: the period is part of the payout and unique per creator, so a creator is paid at most once
 * in it; payouts left unanswered by a provider are sent again with their own id.
 */
export class RunScheduledPayouts {
  private readonly deps: { movements: PayoutMovements; payouts: PayoutRepository; ledger: WalletLedger; clock: Clock };

  constructor(deps: RunScheduledPayouts['deps']) {
    this.deps = deps;
  }

  async execute(frequency: Exclude<PayoutFrequency, 'manual'>): Promise<ScheduledRunReport> {
    const { movements, payouts, clock } = this.deps;
    const period = payoutPeriod(frequency, clock.now());
    const counts: Record<string, number> = {};
    let skipped = 0;
    for (let after: string | null = null; ; ) {
      const creators = await payouts.scheduledCreators(frequency, after, SCHEDULE_BATCH);
      for (const creatorId of creators) {
        const outcome = await this.payOne(creatorId, period);
        if (outcome) counts[outcome] = (counts[outcome] ?? 0) + 1;
        else skipped++;
      }
      if (creators.length < SCHEDULE_BATCH) break;
      after = creators.at(-1)!;
    }
    const unanswered = await payouts.unanswered(new Date(clock.now().getTime() - UNANSWERED_AFTER_MS), SCHEDULE_BATCH);
    for (const payout of unanswered) await movements.send(payout);
    return { frequency, period, payouts: counts, skipped, resent: unanswered.length };
  }

  private async payOne(creatorId: string, period: string): Promise<string | null> {
    const { movements, payouts, ledger } = this.deps;
    const account = await payouts.findAccount(creatorId);
    if (!account || account.payoutBlocker) return null;
    if ((await ledger.balance(LedgerAccount.creatorBalance(creatorId))) < MIN_PAYOUT_CENTS) return null;
    try {
      const payout = await movements.take(creatorId, account.gateway, null, { period });
      return payout ? (await movements.send(payout)).status : null;
    } catch (error) {
      // The balance or the account changed since the look above (another process paid it): skip.
      if (error instanceof InvalidInputError || error instanceof ConflictError) return null;
      throw error;
    }
  }
}
