import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StripePayoutGateway } from '../../adapters/stripe/stripe.payout-gateway.ts';
import { PayoutRefusedError, ProviderError } from '../../domain/shared/errors.ts';
import { Money } from '../../domain/shared/money.value-object.ts';
import { DESTINATION_CANNOT_RECEIVE_TRANSFERS, StripeFake } from '../fakes/stripe-fake.ts';
import { anOnboardingRequest, runPayoutGatewayContract } from './payout-gateway.contract.ts';

const SECRET_KEY = 'sk_test_fake_payouts';
const fake = new StripeFake({ secretKey: SECRET_KEY, prices: [] });
let api: { host: string; port: number; protocol: 'http' };

beforeAll(async () => {
  api = await fake.start();
});

afterAll(async () => {
  await fake.stop();
});

function aGateway(options: { timeoutMs?: number; secretKey?: string } = {}): StripePayoutGateway {
  return new StripePayoutGateway({ secretKey: options.secretKey ?? SECRET_KEY, api, timeoutMs: options.timeoutMs ?? 2000 });
}

const SOMETHING_WENT_WRONG = { status: 500, type: 'api_error', message: 'Something went wrong on Stripe’s end.' } as const;

runPayoutGatewayContract('Stripe (official SDK against a local fake)', async () => ({
  gateway: aGateway(),
  verify: (accountId) => fake.verifyAccount(accountId),
  restrict: (accountId, reason) => fake.restrictAccount(accountId, reason),
  refuseNextTransfer: (reason) => fake.failNext({ status: 400, type: 'invalid_request_error', message: reason }),
  // The SDK retries a 500 twice itself: only three in a row leave the call without an answer.
  failNextCall: () => fake.failNext(SOMETHING_WENT_WRONG, 3),
}));

describe('Stripe payout gateway', () => {
  let gateway: StripePayoutGateway;

  beforeEach(() => {
    gateway = aGateway();
  });

  async function aVerifiedAccount(): Promise<string> {
    const { accountId } = await gateway.startOnboarding(anOnboardingRequest());
    fake.verifyAccount(accountId);
    return accountId;
  }

  const usd = (cents: number) => Money.of(cents, 'USD');

  describe('onboarding', () => {
    it('creates an Express account that can receive transfers, tagged with the creator, once per creator', async () => {
      const request = anOnboardingRequest();

      const started = await gateway.startOnboarding(request);

      const sent = fake.requestsTo('POST', '/v1/accounts').at(-1)!;
      expect(sent.authorization).toBe(`Bearer ${SECRET_KEY}`);
      expect(sent.body).toEqual({ type: 'express', capabilities: { transfers: { requested: 'true' } }, metadata: { creator_id: request.creatorId } });
      expect(sent.idempotencyKey).toBe(`connect-account:${request.creatorId}`);
      expect(fake.account(started.accountId)).toMatchObject({ type: 'express', metadata: { creator_id: request.creatorId } });
    });

    it('sends the creator to an onboarding Account Link that returns to our page, or restarts at our refresh page', async () => {
      const request = anOnboardingRequest();

      const started = await gateway.startOnboarding(request);

      expect(fake.requestsTo('POST', '/v1/account_links').at(-1)!.body).toEqual({
        account: started.accountId,
        type: 'account_onboarding',
        return_url: request.returnUrl.href,
        refresh_url: request.refreshUrl.href,
      });
      expect(started.url).toMatch(new RegExp(`^https://connect\\.stripe\\.com/setup/e/${started.accountId}/`));
      expect(started.status).toBe('pending');
    });

    it('makes a new link for the existing account when onboarding is started again, creating no account', async () => {
      const request = anOnboardingRequest();
      const first = await gateway.startOnboarding(request);
      const accountsBefore = fake.requestsTo('POST', '/v1/accounts').length;

      const again = await gateway.startOnboarding({ ...request, accountId: first.accountId });

      expect(fake.requestsTo('POST', '/v1/accounts')).toHaveLength(accountsBefore);
      expect(again).toMatchObject({ accountId: first.accountId, status: 'pending' });
      expect(again.url).not.toBe(first.url);
    });

    it('creates one account when the same creator starts twice before saving the first account', async () => {
      const request = anOnboardingRequest();

      const [a, b] = await Promise.all([gateway.startOnboarding(request), gateway.startOnboarding(request)]);

      expect(b.accountId).toBe(a.accountId);
    });

    it('reports the status of an account already verified when onboarding is started again', async () => {
      const accountId = await aVerifiedAccount();

      expect((await gateway.startOnboarding(anOnboardingRequest({ accountId }))).status).toBe('verified');
    });

    it('turns any onboarding failure into a retryable ProviderError', async () => {
      fake.failNext({ status: 400, type: 'invalid_request_error', message: 'You must request at least one capability.' });

      const failure = await gateway.startOnboarding(anOnboardingRequest()).catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(ProviderError);
      expect(failure).not.toBeInstanceOf(PayoutRefusedError);
    });
  });

  describe('reading an account', () => {
    it('reads an account whose details are submitted but still being verified as pending', async () => {
      const { accountId } = await gateway.startOnboarding(anOnboardingRequest());
      fake.submitAccountDetails(accountId);

      expect(await gateway.retrieveAccount(accountId)).toEqual({ accountId, status: 'pending', reason: null });
    });

    it('gives Stripe’s disabled reason with its requirement errors for a restricted account', async () => {
      const accountId = await aVerifiedAccount();
      fake.restrictAccount(accountId, 'The document is expired.', 'rejected.other');

      expect(await gateway.retrieveAccount(accountId)).toEqual({ accountId, status: 'restricted', reason: 'rejected.other: The document is expired.' });
    });

    it('turns an account this key cannot see into a ProviderError carrying Stripe’s message', async () => {
      await expect(gateway.retrieveAccount('acct_nope')).rejects.toThrow(/does not have access to account 'acct_nope'/);
      await expect(gateway.retrieveAccount('acct_nope')).rejects.not.toBeInstanceOf(PayoutRefusedError);
    });
  });

  describe('transferring a payout', () => {
    it('moves the amount in US cents to the connected account, tagged with our payout id, keyed by it', async () => {
      const accountId = await aVerifiedAccount();
      const payoutId = randomUUID();

      const transfer = await gateway.transfer({ payoutId, accountId, amount: usd(2_550) });

      const sent = fake.requestsTo('POST', '/v1/transfers').at(-1)!;
      expect(sent.body).toEqual({
        amount: '2550',
        currency: 'usd',
        destination: accountId,
        transfer_group: `payout:${payoutId}`,
        metadata: { payout_id: payoutId },
      });
      expect(sent.idempotencyKey).toBe(`payout:${payoutId}`);
      expect(transfer).toEqual({ transferId: fake.transfers().at(-1)!['id'], settled: true });
      expect(fake.transfers().at(-1)).toMatchObject({ amount: 2_550, currency: 'usd', destination: accountId });
    });

    it('is refused for good, in Stripe’s words, when the account cannot receive transfers yet', async () => {
      const { accountId } = await gateway.startOnboarding(anOnboardingRequest());

      const failure = await gateway.transfer({ payoutId: randomUUID(), accountId, amount: usd(1_000) }).catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(PayoutRefusedError);
      expect((failure as PayoutRefusedError).providerMessage).toBe(DESTINATION_CANNOT_RECEIVE_TRANSFERS);
      expect((failure as PayoutRefusedError).provider).toBe('stripe');
    });

    it('is refused for good when the account is restricted after verification', async () => {
      const accountId = await aVerifiedAccount();
      fake.restrictAccount(accountId, 'The document is expired.');

      await expect(gateway.transfer({ payoutId: randomUUID(), accountId, amount: usd(1_000) })).rejects.toBeInstanceOf(PayoutRefusedError);
    });

    it("leaves the platform's own short Stripe balance retryable, so no creator's payout fails for it", async () => {
      const accountId = await aVerifiedAccount();
      fake.failNext({ status: 400, type: 'invalid_request_error', code: 'balance_insufficient', message: 'You have insufficient available funds in your Stripe account.' });

      const failure = await gateway.transfer({ payoutId: randomUUID(), accountId, amount: usd(1_000) }).catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(ProviderError);
      expect(failure).not.toBeInstanceOf(PayoutRefusedError);
    });

    it('retries a 500 with the same idempotency key and makes one transfer', async () => {
      const accountId = await aVerifiedAccount();
      const payoutId = randomUUID();
      const sentBefore = fake.requestsTo('POST', '/v1/transfers').length;
      fake.failNext(SOMETHING_WENT_WRONG);

      const transfer = await gateway.transfer({ payoutId, accountId, amount: usd(1_000) });

      const attempts = fake.requestsTo('POST', '/v1/transfers').slice(sentBefore);
      expect(attempts).toHaveLength(2);
      expect(new Set(attempts.map((attempt) => attempt.idempotencyKey))).toEqual(new Set([`payout:${payoutId}`]));
      expect(fake.transfers().filter((created) => created['id'] === transfer.transferId)).toHaveLength(1);
    });

    it('makes one transfer when Stripe did the work but the answer was lost in a timeout', async () => {
      const accountId = await aVerifiedAccount();
      const payoutId = randomUUID();
      fake.delayNext(1_000);

      const transfer = await aGateway({ timeoutMs: 300 }).transfer({ payoutId, accountId, amount: usd(1_000) });

      const made = fake.transfers().filter((created) => (created['metadata'] as Record<string, string>)['payout_id'] === payoutId);
      expect(made.map((created) => created['id'])).toEqual([transfer.transferId]);
    });

    it('leaves a Stripe that never answers, a rate limit or a wrong key retryable rather than refused', async () => {
      const accountId = await aVerifiedAccount();
      const attempt = (candidate = gateway) =>
        candidate.transfer({ payoutId: randomUUID(), accountId, amount: usd(1_000) }).catch((error: unknown) => error);

      fake.hangNext();
      fake.hangNext();
      fake.hangNext();
      const timedOut = await attempt(aGateway({ timeoutMs: 200 }));
      // The SDK retries 409 and 5xx, not 429 (unless Stripe says to): one is enough.
      fake.failNext({ status: 429, type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests.' });
      const rateLimited = await attempt();
      const wrongKey = await attempt(aGateway({ secretKey: 'sk_test_wrong' }));

      for (const failure of [timedOut, rateLimited, wrongKey]) {
        expect(failure).toBeInstanceOf(ProviderError);
        expect(failure).not.toBeInstanceOf(PayoutRefusedError);
      }
    });

    it('does not fail the payout when its idempotency key was used with other parameters, since a transfer may exist', async () => {
      const accountId = await aVerifiedAccount();
      const payoutId = randomUUID();
      await gateway.transfer({ payoutId, accountId, amount: usd(1_000) });

      const failure = await gateway.transfer({ payoutId, accountId, amount: usd(1_500) }).catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(ProviderError);
      expect(failure).not.toBeInstanceOf(PayoutRefusedError);
    });
  });

  describe('reading a transfer a provider event points at', () => {
    it('reads a transfer as paid to its account, a partial reversal as paid with what was taken back, a whole one as failed', async () => {
      const accountId = await aVerifiedAccount();
      const payoutId = `payout-${accountId}`;
      const { transferId } = await gateway.transfer({ payoutId, accountId, amount: usd(2_500) });

      const paid = await gateway.retrieveTransfer(transferId, accountId);
      fake.reverseTransfer(transferId, 1_000);
      const partly = await gateway.retrieveTransfer(transferId, accountId);
      fake.reverseTransfer(transferId);
      const whole = await gateway.retrieveTransfer(transferId, accountId);

      expect(paid).toEqual({ transferId, toAccount: true, amount: { amountMinor: 2_500, currency: 'USD' }, payoutId, outcome: 'paid', reversed: { amountMinor: 0, currency: 'USD' }, reason: null });
      expect(partly).toMatchObject({ outcome: 'paid', reversed: { amountMinor: 1_000, currency: 'USD' }, reason: expect.stringContaining('1000 of 2500') });
      expect(whole).toMatchObject({ outcome: 'failed', reversed: { amountMinor: 0, currency: 'USD' } });
      expect((await gateway.retrieveTransfer(transferId, 'acct_someone_else')).toAccount).toBe(false);
    });
  });
});
