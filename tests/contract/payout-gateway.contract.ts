import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { OnboardingRequest, PayoutGateway, PayoutProfile } from '../../application/payouts/payout-gateway.port.ts';
import { PayoutRefusedError, ProviderError } from '../../domain/shared/errors.ts';
import { Money } from '../../domain/shared/money.value-object.ts';

export interface PayoutGatewayUnderTest {
  readonly gateway: PayoutGateway;
  /** The creator finishes the provider's checks: the account can be paid. */
  verify(accountId: string): void | Promise<void>;
  /** The provider restricts the account, giving `reason`. */
  restrict(accountId: string, reason: string): void | Promise<void>;
  /** The provider refuses the next transfer for good, giving `reason` (an account restriction, a minimum). */
  refuseNextTransfer(reason: string): void | Promise<void>;
  /** The provider fails the next call without an answer about it (a 500, a timeout): the caller may retry. */
  failNextCall(): void | Promise<void>;
}

export const A_PROFILE: PayoutProfile = {
  email: 'creator@example.in',
  phone: '9000090000',
  legalName: 'Asha Creator',
  bankAccountNumber: '1234567890',
  ifsc: 'HDFC0000001',
  pan: 'ABCPC1234F',
  street: '12 MG Road',
  city: 'Bengaluru',
  state: 'Karnataka',
  postalCode: '560001',
};

export function anOnboardingRequest(overrides: Partial<OnboardingRequest> = {}): OnboardingRequest {
  return {
    creatorId: `creator-${randomUUID()}`,
    accountId: null,
    returnUrl: new URL('https://app.aerostack.dev/settings/payouts?onboarding=done'),
    refreshUrl: new URL('https://app.aerostack.dev/settings/payouts?onboarding=retry'),
    profile: A_PROFILE,
    ...overrides,
  };
}

/**
 * What every PayoutGateway must do, seen from the application: run against the sandbox and the
 * Stripe and Razorpay adapters driving their official SDKs over HTTP to local fakes.
 */
export function runPayoutGatewayContract(name: string, setup: () => Promise<PayoutGatewayUnderTest>): void {
  describe(`PayoutGateway contract: ${name}`, () => {
    let subject: PayoutGatewayUnderTest;

    beforeEach(async () => {
      subject = await setup();
    });

    /** An onboarded creator's provider account, ready to be paid. */
    async function aVerifiedAccount(): Promise<string> {
      const { accountId } = await subject.gateway.startOnboarding(anOnboardingRequest());
      await subject.verify(accountId);
      return accountId;
    }

    function inPayoutCurrency(minor: number): Money {
      return Money.of(minor, subject.gateway.payoutCurrency);
    }

    it('starts onboarding with a provider account and a web URL, not yet verified', async () => {
      const started = await subject.gateway.startOnboarding(anOnboardingRequest());

      expect(started.accountId).toMatch(/\S/);
      expect(new URL(started.url).protocol).toMatch(/^https?:$/);
      expect(started.status).not.toBe('verified');
      expect((await subject.gateway.retrieveAccount(started.accountId)).status).toBe(started.status);
    });

    it('continues onboarding on the same provider account when started again', async () => {
      const request = anOnboardingRequest();
      const first = await subject.gateway.startOnboarding(request);

      const again = await subject.gateway.startOnboarding({ ...request, accountId: first.accountId });

      expect(again.accountId).toBe(first.accountId);
    });

    it('reports an account verified once the provider has checked it, and restricted with the reason it gives', async () => {
      const accountId = await aVerifiedAccount();
      expect(await subject.gateway.retrieveAccount(accountId)).toEqual({ accountId, status: 'verified', reason: null });

      await subject.restrict(accountId, 'identity document expired');

      const restricted = await subject.gateway.retrieveAccount(accountId);
      expect(restricted.status).toBe('restricted');
      expect(restricted.reason).toContain('identity document expired');
    });

    it('transfers to a verified account once per payout id, however often it is asked', async () => {
      const accountId = await aVerifiedAccount();
      const request = { payoutId: randomUUID(), accountId, amount: inPayoutCurrency(2_500) };

      const first = await subject.gateway.transfer(request);
      const again = await subject.gateway.transfer(request);

      expect(first.transferId).toMatch(/\S/);
      expect(again.transferId).toBe(first.transferId);
    });

    it('gives different payouts different transfers', async () => {
      const accountId = await aVerifiedAccount();

      const a = await subject.gateway.transfer({ payoutId: randomUUID(), accountId, amount: inPayoutCurrency(1_000) });
      const b = await subject.gateway.transfer({ payoutId: randomUUID(), accountId, amount: inPayoutCurrency(1_000) });

      expect(a.transferId).not.toBe(b.transferId);
    });

    it("turns the provider's refusal of a transfer into PayoutRefusedError carrying the provider's reason", async () => {
      const accountId = await aVerifiedAccount();
      await subject.refuseNextTransfer('below the minimum transfer amount for this country');

      const failure = await subject.gateway
        .transfer({ payoutId: randomUUID(), accountId, amount: inPayoutCurrency(1_000) })
        .catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(PayoutRefusedError);
      expect((failure as PayoutRefusedError).providerMessage).toContain('below the minimum transfer amount for this country');
    });

    it('turns a failure without an answer into a retryable ProviderError, not a refusal', async () => {
      const accountId = await aVerifiedAccount();
      await subject.failNextCall();

      const failure = await subject.gateway
        .transfer({ payoutId: randomUUID(), accountId, amount: inPayoutCurrency(1_000) })
        .catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(ProviderError);
      expect(failure).not.toBeInstanceOf(PayoutRefusedError);
    });
  });
}
