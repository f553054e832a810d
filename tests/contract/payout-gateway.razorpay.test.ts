import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PayoutGateway } from '../../application/payouts/payout-gateway.port.ts';
import { RazorpayClient } from '../../adapters/razorpay/razorpay.client.ts';
import {
  parseRouteAccountId,
  RazorpayPayoutGateway,
  routeAccountId,
  routeProductState,
} from '../../adapters/razorpay/razorpay.payout-gateway.ts';
import { InvalidInputError, InvariantViolation, PayoutRefusedError, ProviderError } from '../../domain/shared/errors.ts';
import { Money } from '../../domain/shared/money.value-object.ts';
import { RazorpayFake } from '../fakes/razorpay-fake.ts';
import { A_PROFILE, anOnboardingRequest, runPayoutGatewayContract } from './payout-gateway.contract.ts';

const KEY_ID = 'rzp_test_fake_payouts';
const KEY_SECRET = 'secret';

const fake = new RazorpayFake({ keyId: KEY_ID, keySecret: KEY_SECRET });
let apiBaseUrl: string;

beforeAll(async () => {
  apiBaseUrl = await fake.start();
});

afterAll(async () => {
  await fake.stop();
});

afterEach(() => {
  fake.answerTransfersAs('processed');
});

function aClient(options: { baseUrl?: string; keySecret?: string; timeoutMs?: number } = {}): RazorpayClient {
  return new RazorpayClient({
    keyId: KEY_ID,
    keySecret: options.keySecret ?? KEY_SECRET,
    apiBaseUrl: options.baseUrl ?? apiBaseUrl,
    timeoutMs: options.timeoutMs ?? 2000,
  });
}

function aGateway(options: { baseUrl?: string; keySecret?: string; timeoutMs?: number } = {}): RazorpayPayoutGateway {
  return new RazorpayPayoutGateway(aClient(options));
}

/** The fake speaks Razorpay ids; the gateway's account id also carries the Route product's. */
const linkedAccountOf = (accountId: string) => parseRouteAccountId(accountId).accountId;

runPayoutGatewayContract('Razorpay (official SDK against a local fake)', async () => ({
  gateway: aGateway(),
  verify: (accountId) => fake.verifyAccount(linkedAccountOf(accountId)),
  restrict: (accountId, reason) => fake.restrictAccount(linkedAccountOf(accountId), reason),
  refuseNextTransfer: (reason) => fake.refuseNextTransfer(reason),
  failNextCall: () => fake.failNext({ status: 500 }),
}));

describe('Razorpay payout gateway', () => {
  /** Typed as the port, so every call is made the way the application makes it. */
  let gateway: PayoutGateway;

  beforeEach(() => {
    gateway = aGateway();
  });

  const inr = (paise: number) => Money.of(paise, 'INR');

  async function aVerifiedAccount(): Promise<string> {
    const { accountId } = await gateway.startOnboarding(anOnboardingRequest());
    fake.verifyAccount(linkedAccountOf(accountId));
    return accountId;
  }

  describe('onboarding', () => {
    it('creates a Route linked account for an individual from the profile, noting the creator, with Basic auth', async () => {
      const request = anOnboardingRequest();

      const started = await gateway.startOnboarding(request);

      const sent = fake.requestsTo('POST', '/v2/accounts').at(-1)!;
      expect(sent.basicAuth).toEqual({ username: KEY_ID, password: KEY_SECRET });
      expect(sent.body).toEqual({
        type: 'route',
        email: A_PROFILE.email,
        phone: A_PROFILE.phone,
        legal_business_name: A_PROFILE.legalName,
        business_type: 'individual',
        contact_name: A_PROFILE.legalName,
        profile: {
          category: 'it_and_software',
          subcategory: 'saas',
          addresses: { registered: { street1: A_PROFILE.street, city: A_PROFILE.city, state: A_PROFILE.state, postal_code: A_PROFILE.postalCode, country: 'IN' } },
        },
        notes: { creator_id: request.creatorId },
      });
      expect(fake.linkedAccount(linkedAccountOf(started.accountId))?.account).toMatchObject({ type: 'route', notes: { creator_id: request.creatorId } });
    });

    it('adds the creator as stakeholder, requests Route with its terms accepted, then gives it the bank account', async () => {
      const started = await gateway.startOnboarding(anOnboardingRequest());
      const { accountId, productId } = parseRouteAccountId(started.accountId);

      expect(fake.requestsTo('POST', `/v2/accounts/${accountId}/stakeholders`).map((r) => r.body)).toEqual([
        { name: A_PROFILE.legalName, email: A_PROFILE.email, kyc: { pan: A_PROFILE.pan } },
      ]);
      expect(fake.requestsTo('POST', `/v2/accounts/${accountId}/products`).map((r) => r.body)).toEqual([{ product_name: 'route', tnc_accepted: true }]);
      expect(fake.requestsTo('PATCH', `/v2/accounts/${accountId}/products/${productId}`).map((r) => r.body)).toEqual([
        { settlements: { account_number: A_PROFILE.bankAccountNumber, ifsc_code: A_PROFILE.ifsc, beneficiary_name: A_PROFILE.legalName }, tnc_accepted: true },
      ]);
      expect(fake.linkedAccount(accountId)?.product).toMatchObject({ id: productId, product_name: 'route', activation_status: 'under_review' });
    });

    it('sends the creator straight back to the return URL, pending while Razorpay checks the bank account', async () => {
      const request = anOnboardingRequest();

      const started = await gateway.startOnboarding(request);

      expect(started.url).toBe(request.returnUrl.href);
      expect(started.status).toBe('pending');
      expect(started.accountId).toMatch(/^acc_\w+:acc_prd_\w+$/);
    });

    it('refuses to start without a payout profile, creating nothing at Razorpay', async () => {
      const before = fake.requests.length;

      const error = await gateway.startOnboarding(anOnboardingRequest({ profile: null })).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).field).toBe('profile');
      expect(fake.requests.length).toBe(before);
    });

    it('sends corrected bank details to the same Route product when started again, creating no account', async () => {
      const request = anOnboardingRequest();
      const first = await gateway.startOnboarding(request);
      const { accountId, productId } = parseRouteAccountId(first.accountId);
      const accountsBefore = fake.requestsTo('POST', '/v2/accounts').length;

      const again = await gateway.startOnboarding({ ...request, accountId: first.accountId, profile: { ...A_PROFILE, ifsc: 'ICIC0000002' } });

      expect(again.accountId).toBe(first.accountId);
      expect(fake.requestsTo('POST', '/v2/accounts').length).toBe(accountsBefore);
      expect(fake.requestsTo('POST', `/v2/accounts/${accountId}/stakeholders`)).toHaveLength(1);
      expect(fake.requestsTo('PATCH', `/v2/accounts/${accountId}/products/${productId}`).at(-1)!.body).toMatchObject({
        settlements: { ifsc_code: 'ICIC0000002' },
      });
    });

    it('turns Razorpay refusing the profile into a ProviderError carrying its description', async () => {
      const error = await gateway.startOnboarding(anOnboardingRequest({ profile: { ...A_PROFILE, ifsc: 'NOT-AN-IFSC' } })).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).message).toMatch(/Invalid IFSC Code \(HTTP 400, BAD_REQUEST_ERROR\)/);
    });
  });

  describe('reading the account', () => {
    it('reports the Route product: under review is pending, activated is verified, needing clarification is restricted with the reason', async () => {
      const { accountId } = await gateway.startOnboarding(anOnboardingRequest());
      expect(await gateway.retrieveAccount(accountId)).toEqual({ accountId, status: 'pending', reason: null });

      fake.verifyAccount(linkedAccountOf(accountId));
      expect(await gateway.retrieveAccount(accountId)).toEqual({ accountId, status: 'verified', reason: null });

      fake.restrictAccount(linkedAccountOf(accountId), 'Max retry exceeded for bank account details.', 'settlements.ifsc_code');
      expect(await gateway.retrieveAccount(accountId)).toEqual({
        accountId,
        status: 'restricted',
        reason: 'Max retry exceeded for bank account details. (settlements.ifsc_code)',
      });
    });

    it('maps every activation status, and requirements without a description by their reason code', () => {
      const id = routeAccountId('acc_A', 'acc_prd_B');

      expect(routeProductState(id, { activation_status: 'requested' }).status).toBe('pending');
      expect(routeProductState(id, { activation_status: 'under_review' }).status).toBe('pending');
      expect(routeProductState(id, { activation_status: 'activated' })).toEqual({ accountId: id, status: 'verified', reason: null });
      expect(routeProductState(id, { activation_status: 'suspended' })).toEqual({ accountId: id, status: 'restricted', reason: 'Razorpay suspended the Route account' });
      expect(
        routeProductState(id, {
          activation_status: 'needs_clarification',
          requirements: [
            { field_reference: 'settlements.account_number', reason_code: 'field_missing' },
            { field_reference: 'settlements.ifsc_code', reason_code: 'field_missing' },
            { field_reference: 'kyc.pan', reason_code: 'kyc_failed', description: 'PAN could not be verified' },
          ],
        }).reason,
      ).toBe('field_missing (settlements.account_number, settlements.ifsc_code); PAN could not be verified (kyc.pan)');
    });

    it('treats an account id it did not make as a bug, not a Razorpay call', async () => {
      const before = fake.requests.length;

      await expect(gateway.retrieveAccount('acc_without_product')).rejects.toBeInstanceOf(InvariantViolation);
      expect(fake.requests.length).toBe(before);
    });
  });

  describe('transfers', () => {
    it('makes a direct transfer to the linked account in paise and INR, noting the payout, idempotent on the payout id', async () => {
      const accountId = await aVerifiedAccount();
      const payoutId = randomUUID();

      const transfer = await gateway.transfer({ payoutId, accountId, amount: inr(250_000) });

      const sent = fake.requestsTo('POST', '/v1/transfers').at(-1)!;
      expect(sent.body).toEqual({ account: linkedAccountOf(accountId), amount: 250_000, currency: 'INR', notes: { payout_id: payoutId } });
      expect(sent.idempotencyKey).toBe(payoutId);
      expect(sent.basicAuth).toEqual({ username: KEY_ID, password: KEY_SECRET });
      expect(transfer).toEqual({ transferId: expect.stringMatching(/^trf_/), settled: true });
      expect(fake.transfers().filter((made) => made.id === transfer.transferId)).toMatchObject([
        { status: 'processed', recipient: linkedAccountOf(accountId), amount: 250_000, notes: { payout_id: payoutId } },
      ]);
    });

    it('makes one transfer however often a payout is sent', async () => {
      const accountId = await aVerifiedAccount();
      const request = { payoutId: randomUUID(), accountId, amount: inr(10_000) };

      await gateway.transfer(request);
      await gateway.transfer(request);

      expect(fake.transfers().filter((made) => (made.notes as Record<string, unknown>)['payout_id'] === request.payoutId)).toHaveLength(1);
    });

    it('gives each of several concurrent transfers its own idempotency key, and other calls none', async () => {
      const accountId = await aVerifiedAccount();
      const payoutIds: string[] = Array.from({ length: 5 }, () => randomUUID());
      const client = aClient();

      await Promise.all([
        ...payoutIds.map((payoutId) => gateway.transfer({ payoutId, accountId, amount: inr(10_000) })),
        client.fetchProductConfiguration(linkedAccountOf(accountId), parseRouteAccountId(accountId).productId),
      ]);

      const sent = fake.requests.filter((request) => payoutIds.includes((request.body as { notes?: { payout_id?: string } } | null)?.notes?.payout_id ?? ''));
      expect(sent).toHaveLength(5);
      for (const request of sent) expect(request.idempotencyKey).toBe((request.body as { notes: { payout_id: string } }).notes.payout_id);
      expect(fake.requestsTo('GET', `/v2/accounts/${linkedAccountOf(accountId)}/products/${parseRouteAccountId(accountId).productId}`).at(-1)!.idempotencyKey).toBeNull();
    });

    it('reports a transfer Razorpay answers as pending unsettled, for transfer.processed to settle later', async () => {
      const accountId = await aVerifiedAccount();
      fake.answerTransfersAs('pending');

      expect(await gateway.transfer({ payoutId: randomUUID(), accountId, amount: inr(10_000) })).toMatchObject({ settled: false });
    });

    it('turns a transfer Razorpay answers as failed into PayoutRefusedError with its error description', async () => {
      const accountId = await aVerifiedAccount();
      fake.answerTransfersAs('failed');

      const error = await gateway.transfer({ payoutId: randomUUID(), accountId, amount: inr(10_000) }).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(PayoutRefusedError);
      expect((error as PayoutRefusedError).providerMessage).toBe('Transfer failed due to insufficient balance');
    });

    it('turns a transfer to a linked account Razorpay has not activated into PayoutRefusedError with its words', async () => {
      const { accountId } = await gateway.startOnboarding(anOnboardingRequest());

      const error = await gateway.transfer({ payoutId: randomUUID(), accountId, amount: inr(10_000) }).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(PayoutRefusedError);
      expect((error as PayoutRefusedError).providerMessage).toBe('Linked account is not activated');
      expect((error as PayoutRefusedError).provider).toBe('razorpay');
      expect((error as PayoutRefusedError).message).toBe('razorpay could not transfer the payout: Linked account is not activated');
    });

    it('turns a refusal into PayoutRefusedError carrying Razorpay’s description', async () => {
      const accountId = await aVerifiedAccount();
      fake.refuseNextTransfer('The amount must be atleast INR 1.00');

      const error = await gateway.transfer({ payoutId: randomUUID(), accountId, amount: inr(10_000) }).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(PayoutRefusedError);
      expect((error as PayoutRefusedError).providerMessage).toBe('The amount must be atleast INR 1.00');
    });

    it.each([
      ['a 500', { status: 500 }],
      ['a 502 HTML page from a proxy', { status: 502, rawBody: '<html><body>502 Bad Gateway</body></html>' }],
      ['a 409 while the same idempotency key is in process', { status: 409, description: 'Request is already being processed' }],
      ['a 429', { status: 429, description: 'Too many requests' }],
      ['a 401', { status: 401, description: 'Authentication failed' }],
    ])('turns %s into a retryable ProviderError, not a refusal', async (_, failure) => {
      const accountId = await aVerifiedAccount();
      fake.failNext(failure);

      const error = await gateway.transfer({ payoutId: randomUUID(), accountId, amount: inr(10_000) }).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(ProviderError);
      expect(error).not.toBeInstanceOf(PayoutRefusedError);
      expect((error as ProviderError).message).toMatch(new RegExp(`HTTP ${failure.status}`));
    });

    it('pays the payout once when it is sent again after a failure without an answer', async () => {
      const accountId = await aVerifiedAccount();
      const request = { payoutId: randomUUID(), accountId, amount: inr(10_000) };
      const first = await gateway.transfer(request);
      fake.failNext({ status: 500 });
      await expect(gateway.transfer(request)).rejects.toBeInstanceOf(ProviderError);

      const again = await gateway.transfer(request);

      expect(again.transferId).toBe(first.transferId);
    });

    it('turns a Razorpay that cannot be reached into a retryable ProviderError', async () => {
      const accountId = await aVerifiedAccount();
      const gone = new RazorpayFake({ keyId: KEY_ID, keySecret: KEY_SECRET });
      const goneUrl = await gone.start();
      await gone.stop();

      const error = await aGateway({ baseUrl: goneUrl })
        .transfer({ payoutId: randomUUID(), accountId, amount: inr(10_000) })
        .catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(ProviderError);
      expect(error).not.toBeInstanceOf(PayoutRefusedError);
      expect((error as ProviderError).message).toMatch(/could not be reached/);
    });

    it('refuses a payout that is not in INR before calling Razorpay', async () => {
      const accountId = await aVerifiedAccount();
      const before = fake.requests.length;

      await expect(gateway.transfer({ payoutId: randomUUID(), accountId, amount: Money.of(1_000, 'USD') })).rejects.toBeInstanceOf(InvariantViolation);
      expect(fake.requests.length).toBe(before);
    });
  });

  describe('reading a transfer a provider event points at', () => {
    it('reads a transfer as pending, paid once processed, failed with its reason, and failed once reversed', async () => {
      const accountId = await aVerifiedAccount();
      fake.answerTransfersAs('pending');
      const { transferId } = await gateway.transfer({ payoutId: `payout-${transferIdempotency()}`, accountId, amount: inr(250_000) });
      fake.answerTransfersAs('processed');
      const readings = [await gateway.retrieveTransfer(transferId, accountId)];
      for (const status of ['processed', 'failed'] as const) {
        fake.setTransferStatus(transferId, status);
        readings.push(await gateway.retrieveTransfer(transferId, accountId));
      }

      expect(readings.map((reading) => reading.outcome)).toEqual(['pending', 'paid', 'failed']);
      expect(readings[0]).toMatchObject({ toAccount: true, amount: { amountMinor: 250_000, currency: 'INR' }, payoutId: expect.stringMatching(/^payout-/) });
      expect(readings[2]!.reason).toMatch(/\S/);
      expect((await gateway.retrieveTransfer(transferId, 'acc_someoneElse:acc_prd_x')).toAccount).toBe(false);
    });

    it('reads a reversed transfer as failed', async () => {
      const accountId = await aVerifiedAccount();
      const { transferId } = await gateway.transfer({ payoutId: `payout-${transferIdempotency()}`, accountId, amount: inr(100_000) });

      fake.setTransferStatus(transferId, 'reversed');

      expect((await gateway.retrieveTransfer(transferId, accountId)).outcome).toBe('failed');
    });
  });
});

function transferIdempotency(): string {
  return Math.random().toString(36).slice(2, 12);
}
