import { isOneOf, PAYMENT_GATEWAY_NAMES, type PaymentGatewayName } from '../billing/plan.value-objects.ts';
import { ConflictError, invariant, restoring } from '../shared/errors.ts';

export const ONBOARDING_STATUSES = ['not_started', 'pending', 'verified', 'restricted'] as const;
export type OnboardingStatus = (typeof ONBOARDING_STATUSES)[number];

export const PAYOUT_FREQUENCIES = ['manual', 'weekly', 'monthly'] as const;
export type PayoutFrequency = (typeof PAYOUT_FREQUENCIES)[number];
/** The frequencies a schedule pays on (manual payouts are asked for by hand). */
export const SCHEDULED_FREQUENCIES = ['weekly', 'monthly'] as const;
export type ScheduledFrequency = (typeof SCHEDULED_FREQUENCIES)[number];

export interface PayoutAccountFields {
  readonly creatorId: string;
  readonly gateway: PaymentGatewayName;
  readonly frequency: PayoutFrequency;
  readonly onboardingStatus: OnboardingStatus;
  readonly providerAccountId: string | null;
  readonly restrictionReason: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/**
 * A creator's standing with their payout provider and the schedule they chose. One per creator;
 * its row is locked while a payout is taken from the creator's balance, so two payouts of one
 * creator never both spend the same money.
 */
export class PayoutAccount {
  readonly creatorId: string;
  readonly gateway: PaymentGatewayName;
  readonly createdAt: Date;
  private _frequency: PayoutFrequency;
  private _onboardingStatus: OnboardingStatus;
  private _providerAccountId: string | null;
  private _restrictionReason: string | null;
  private _updatedAt: Date;

  private constructor(fields: PayoutAccountFields) {
    this.creatorId = fields.creatorId;
    this.gateway = fields.gateway;
    this.createdAt = fields.createdAt;
    this._frequency = fields.frequency;
    this._onboardingStatus = fields.onboardingStatus;
    this._providerAccountId = fields.providerAccountId;
    this._restrictionReason = fields.restrictionReason;
    this._updatedAt = fields.updatedAt;
  }

  /** A creator who has not onboarded yet: paid by hand until they choose a schedule. */
  static open(creatorId: string, gateway: PaymentGatewayName, now: Date): PayoutAccount {
    const account = new PayoutAccount({
      creatorId,
      gateway,
      frequency: 'manual',
      onboardingStatus: 'not_started',
      providerAccountId: null,
      restrictionReason: null,
      createdAt: now,
      updatedAt: now,
    });
    account.assertInvariants();
    return account;
  }

  /** As it was stored; its invariants are checked again, since a row may break them (CorruptRecordError). */
  static restore(fields: PayoutAccountFields): PayoutAccount {
    return restoring('PayoutAccount', fields.creatorId, () => {
      const account = new PayoutAccount(fields);
      account.assertInvariants();
      return account;
    });
  }

  get frequency(): PayoutFrequency {
    return this._frequency;
  }
  get onboardingStatus(): OnboardingStatus {
    return this._onboardingStatus;
  }
  get providerAccountId(): string | null {
    return this._providerAccountId;
  }
  get restrictionReason(): string | null {
    return this._restrictionReason;
  }
  get updatedAt(): Date {
    return this._updatedAt;
  }

  /** The provider account onboarding goes through; started once, continued on every later start. */
  linkProviderAccount(accountId: string, status: OnboardingStatus, now: Date): void {
    if (this._providerAccountId !== null && this._providerAccountId !== accountId) {
      throw new ConflictError('this creator already has a payout account at the provider');
    }
    this._providerAccountId = accountId;
    this.applyProviderState({ status, reason: null }, now);
  }

  /** The provider's word on the account (an event, or a fetch on return). Returns whether anything changed. */
  applyProviderState(state: { status: OnboardingStatus; reason: string | null }, now: Date): boolean {
    const reason = state.status === 'restricted' ? state.reason : null;
    if (state.status === this._onboardingStatus && reason === this._restrictionReason) return false;
    this._onboardingStatus = state.status;
    this._restrictionReason = reason;
    this._updatedAt = now;
    return true;
  }

  setFrequency(frequency: PayoutFrequency, now: Date): void {
    this._frequency = frequency;
    this._updatedAt = now;
  }

  /** Why this creator cannot be paid now, or null when they can. */
  get payoutBlocker(): string | null {
    switch (this._onboardingStatus) {
      case 'verified':
        return null;
      case 'restricted':
        return `the payout account is restricted by ${this.gateway}${this._restrictionReason ? `: ${this._restrictionReason}` : ''}`;
      case 'pending':
        return `payout onboarding is not verified yet: ${this.gateway} is still checking the account`;
      case 'not_started':
        return 'payout onboarding is not complete: start it with startPayoutOnboarding';
    }
  }

  /** Checked before an account is written and after it is read. */
  assertInvariants(): void {
    invariant(this.creatorId.length > 0, 'a payout account names its creator');
    invariant(isOneOf(PAYMENT_GATEWAY_NAMES, this.gateway), `unknown gateway ${this.gateway}`);
    invariant(isOneOf(PAYOUT_FREQUENCIES, this._frequency), `unknown payout frequency ${this._frequency}`);
    invariant(isOneOf(ONBOARDING_STATUSES, this._onboardingStatus), `unknown onboarding status ${this._onboardingStatus}`);
    // Only the provider moves an account past not_started, and it speaks of an account it holds.
    if (this._onboardingStatus !== 'not_started') invariant(this._providerAccountId !== null, `an account ${this._onboardingStatus} at its provider names the provider account`);
    invariant(this._restrictionReason === null || this._onboardingStatus === 'restricted', 'only a restricted account keeps a restriction reason');
  }
}
