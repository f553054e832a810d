import { describe, expect, it } from 'vitest';
import { HeaderCountryResolver } from '../../../adapters/country/header.country-resolver.ts';
import { InMemoryAccountPlanRepository } from '../../../adapters/in-memory/in-memory.account-plan.repository.ts';
import { AccountOpener } from '../../../application/billing/account-opener.service.ts';
import { GetBillingState } from '../../../application/billing/get-billing-state.use-case.ts';
import { RegisterAccount } from '../../../application/billing/register-account.use-case.ts';
import { ConflictError } from '../../../domain/shared/errors.ts';
import { aUserId, FixedClock } from '../../support/builders.ts';

function services(options: { trustCfIpCountry?: boolean } = {}) {
  const accounts = new InMemoryAccountPlanRepository();
  const clock = new FixedClock(new Date('2026-11-22T09:00:00Z'));
  const opener = new AccountOpener({ accounts, countries: new HeaderCountryResolver({ trustCfIpCountry: options.trustCfIpCountry ?? false }), clock });
  return { accounts, clock, register: new RegisterAccount(opener), getBillingState: new GetBillingState(opener) };
}

describe('RegisterAccount', () => {
  it('takes the stated country over every signal', async () => {
    const { register } = services({ trustCfIpCountry: true });

    const state = await register.execute({ userId: aUserId(), country: 'IN', signals: { claimedCountry: 'US', cfIpCountry: 'US' } });

    expect(state.paymentGateway).toBe('razorpay');
  });

  it('falls back from the claim to a trusted CF-IPCountry to the United States', async () => {
    const { register } = services({ trustCfIpCountry: true });

    expect((await register.execute({ userId: aUserId(), signals: { claimedCountry: 'IN' } })).country).toBe('IN');
    expect((await register.execute({ userId: aUserId(), signals: { claimedCountry: 'nowhere', cfIpCountry: 'IN' } })).country).toBe('IN');
    expect((await register.execute({ userId: aUserId(), signals: { cfIpCountry: 'XX' } })).country).toBe('US');
  });

  it('stamps the account with the clock, not the wall time', async () => {
    const { register, accounts } = services();
    const userId = aUserId();

    await register.execute({ userId, signals: {} });

    expect((await accounts.findByUserId(userId))?.createdAt.toISOString()).toBe('2026-11-22T09:00:00.000Z');
  });

  it('refuses with a conflict to change the country of an existing account', async () => {
    const { register } = services();
    const userId = aUserId();
    await register.execute({ userId, country: 'IN', signals: {} });

    await expect(register.execute({ userId, country: 'GB', signals: {} })).rejects.toThrow(ConflictError);
  });
});

describe('GetBillingState', () => {
  it('opens the account once when 50 first requests arrive together', async () => {
    const { getBillingState, accounts } = services();
    const userId = aUserId();

    const states = await Promise.all(
      Array.from({ length: 50 }, (_, i) => getBillingState.execute({ userId, signals: { claimedCountry: i === 0 ? 'IN' : 'US' } })),
    );

    const stored = await accounts.findByUserId(userId);
    expect(new Set(states.map((state) => state.paymentGateway))).toEqual(new Set([stored?.paymentGateway]));
  });
});
