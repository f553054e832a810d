import type { RedirectAllowList } from '../../domain/billing/redirect-allow-list.policy.ts';
import type { OnboardingStatus } from '../../domain/payouts/payout-account.entity.ts';
import { ConflictError, InvalidInputError } from '../../domain/shared/errors.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { UnitOfWork } from '../shared/unit-of-work.port.ts';
import type { PayoutGateways, PayoutProfile } from './payout-gateway.port.ts';
import type { PayoutRepository } from './payout.repository.ts';
import type { CreatorRequest, PayoutTransfers } from './payout-transfers.service.ts';

const MAX_PROFILE_FIELD_LENGTH = 200;

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

/** `startPayoutOnboarding` as the edge received it. */
export interface StartPayoutOnboardingRequest extends CreatorRequest {
  readonly returnUrl: unknown;
  readonly refreshUrl: unknown;
  readonly profile?: unknown;
}

export interface StartPayoutOnboardingInput extends CreatorRequest {
  readonly returnUrl: URL;
  readonly refreshUrl: URL;
  /** Null when none was given. */
  readonly profile: PayoutProfile | null;
}

/** `redirects`: the deployment's allow-list the two URLs must be on. */
export function parseStartPayoutOnboardingInput(request: StartPayoutOnboardingRequest, redirects: RedirectAllowList): StartPayoutOnboardingInput {
  const returnUrl = redirects.check(request.returnUrl, 'returnUrl');
  const refreshUrl = redirects.check(request.refreshUrl, 'refreshUrl');
  const profile = parseProfile(request.profile);
  return { userId: request.userId, signals: request.signals, returnUrl, refreshUrl, profile };
}

/** `startPayoutOnboarding`: the creator's provider account and where to send them to finish it. */
export class StartPayoutOnboarding {
  private readonly deps: { transfers: PayoutTransfers; payouts: PayoutRepository; payoutGateways: PayoutGateways; redirects: RedirectAllowList; uow: UnitOfWork; clock: Clock };

  constructor(deps: StartPayoutOnboarding['deps']) {
    this.deps = deps;
  }

  async execute(request: StartPayoutOnboardingRequest): Promise<{ url: string; status: OnboardingStatus }> {
    const input = parseStartPayoutOnboardingInput(request, this.deps.redirects);
    const account = await this.deps.transfers.account(input);
    if (account.onboardingStatus === 'verified') throw new ConflictError('payout onboarding is already complete: this creator can be paid');
    const started = await this.deps.payoutGateways.for(account.gateway).startOnboarding({
      creatorId: account.creatorId,
      accountId: account.providerAccountId,
      returnUrl: input.returnUrl,
      refreshUrl: input.refreshUrl,
      profile: input.profile,
    });
    await this.deps.uow.transactional(async () => {
      const locked = await this.deps.payouts.lockAccount(account.creatorId, account.gateway, this.deps.clock.now());
      locked.linkProviderAccount(started.accountId, started.status, this.deps.clock.now());
      await this.deps.payouts.saveAccount(locked);
    });
    return { url: started.url, status: started.status };
  }
}
