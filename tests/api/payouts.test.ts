import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../adapters/persistence/database.ts';
import type { PayoutGateway } from '../../application/payouts/payout-gateway.port.ts';
import { SandboxPayoutGateway } from '../../adapters/sandbox/sandbox.payout-gateway.ts';
import { PayoutTransfers } from '../../application/payouts/payout-transfers.service.ts';
import { ResendUnansweredPayouts } from '../../application/payouts/resend-unanswered-payouts.use-case.ts';
import { RunScheduledPayouts } from '../../application/payouts/run-scheduled-payouts.use-case.ts';
import { SyncPayoutObjects } from '../../application/payouts/sync-payout-objects.service.ts';
import type { Clock } from '../../application/shared/clock.port.ts';
import { WALLET_LEDGER } from '../../application/wallet/wallet-ledger.port.ts';
import { transfersOf } from '../support/stored-state.ts';
import { resolve, SANDBOX_PROVIDER } from '../../api/container.ts';
import { LedgerAccount } from '../../domain/ledger/ledger-account.ts';
import { Money } from '../../domain/shared/money.value-object.ts';
import { ProviderError } from '../../domain/shared/errors.ts';
import { aUserId, earningsOf } from '../support/builders.ts';
import { BACKENDS, openTestDatabase } from '../support/databases.ts';
import { expectLedgerBalanced } from '../support/ledger-checks.ts';
import { makeTestApp, signToken } from '../support/test-app.ts';

const RETURN_URL = 'https://app.aerostack.dev/settings/payouts?onboarding=done';
const REFRESH_URL = 'https://app.aerostack.dev/settings/payouts?onboarding=retry';
const PAYOUT_FIELDS = 'id status amountCents currency payoutCurrency payoutAmountMinor fxRate failureReason providerTransferId period retryOf';

const CHARGE = `mutation ($input: ChargeToolCallInput!) { chargeToolCall(input: $input) { chargeId } }`;
const ONBOARD = `mutation ($returnUrl: String!, $refreshUrl: String!) { startPayoutOnboarding(returnUrl: $returnUrl, refreshUrl: $refreshUrl) { url status } }`;
const REQUEST = `mutation ($amount: Int) { requestPayout(amountCents: $amount) { ${PAYOUT_FIELDS} } }`;
const BALANCE = `{ developerBalance { availableCents pendingCents } payouts(first: 10) { edges { node { id status } } } }`;

describe.each(['memory', ...BACKENDS] as const)('creator payouts, stored %s', (backend) => {
  let database: Database | undefined;

  beforeAll(async () => {
    if (backend !== 'memory') database = await openTestDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  function setup(options: { env?: Record<string, string>; payoutGateways?: Record<string, PayoutGateway>; clock?: Clock } = {}) {
    const testApp = makeTestApp({ database, env: { MARKETPLACE_FEE_BPS: '2000', ...options.env }, payoutGateways: options.payoutGateways, clock: options.clock });
    const sandbox = resolve(testApp.container, SANDBOX_PROVIDER);

    /** A creator who earned `earnedCents` (after the 20% fee) from one consumer's paid tool calls. */
    async function aCreatorWhoEarned(earnedCents: number, country = 'US') {
      const creatorId = aUserId();
      const consumerId = aUserId();
      const consumer = await signToken({ sub: consumerId, country: 'US' });
      const service = await signToken({ sub: 'tool-runner', role: 'service' });
      const priceCents = (earnedCents * 10) / 8;
      const started = await testApp.request('/api/balance/deposit', {
        token: consumer,
        body: { amount_cents: Math.max(priceCents, 500), success_url: RETURN_URL, cancel_url: RETURN_URL },
      });
      const paid = await testApp.app.request(`${new URL(started.json().url).pathname}/pay`, { method: 'POST' });
      await testApp.request(`/api/balance/verify?session_id=${new URL(paid.headers.get('location')!).searchParams.get('session_id')}`, { token: consumer });
      const charged = await testApp.graphql(CHARGE, {
        token: service,
        variables: { input: { consumerId, creatorId, toolId: 'tool-1', priceCents, idempotencyKey: `${creatorId}-1` } },
      });
      expect(charged.errors).toBeUndefined();
      return { creatorId, token: await signToken({ sub: creatorId, country }) };
    }

    /** Onboards through the sandbox's hosted page, as the creator's browser would, and lands back on the dashboard. */
    async function onboard(token: string) {
      const started = await testApp.graphql(ONBOARD, { token, variables: { returnUrl: RETURN_URL, refreshUrl: REFRESH_URL } });
      const url = new URL(started.data.startPayoutOnboarding.url);
      const page = await testApp.app.request(url.pathname);
      const completed = await testApp.app.request(`${url.pathname}/complete`, { method: 'POST' });
      const returned = await testApp.graphql('{ payoutSettings { onboardingStatus frequency currency minimumCents gateway } }', { token });
      return { started, page, completed, returned };
    }

    async function balances(token: string) {
      const { data } = await testApp.graphql(BALANCE, { token });
      return { ...data.developerBalance, payouts: data.payouts.edges.length };
    }

    return { ...testApp, sandbox, aCreatorWhoEarned, onboard, balances, ledger: resolve(testApp.container, WALLET_LEDGER) };
  }

  it('pays a creator end to end in the sandbox: earn, onboard on the hosted page, request, paid; the ledger agrees', async () => {
    const { aCreatorWhoEarned, onboard, balances, ledger, graphql, container } = setup();
    const { creatorId, token } = await aCreatorWhoEarned(4_000);

    const { started, page, completed, returned: settings } = await onboard(token);
    const payout = await graphql(REQUEST, { token });

    expect(started.data.startPayoutOnboarding.status).toBe('pending');
    expect(page.status).toBe(200);
    expect(completed.status).toBe(303);
    expect(completed.headers.get('location')).toBe(RETURN_URL);
    expect(settings.data.payoutSettings).toEqual({ onboardingStatus: 'verified', frequency: 'manual', currency: 'USD', minimumCents: 1_000, gateway: 'stripe' });
    expect(payout.data.requestPayout).toMatchObject({ status: 'paid', amountCents: 4_000, currency: 'USD', payoutCurrency: 'USD', payoutAmountMinor: 4_000, fxRate: null });
    expect(payout.data.requestPayout.providerTransferId).toMatch(/^sbx_tr_/);
    expect(await balances(token)).toEqual({ availableCents: 0, pendingCents: 0, payouts: 1 });
    expect(await ledger.balance(LedgerAccount.creatorBalance(creatorId))).toEqual(Money.of(0, 'USD'));
    expect(await ledger.balance(LedgerAccount.payoutsInFlight(creatorId))).toEqual(Money.of(0, 'USD'));
    const transfers = await transfersOf({ container, database }, LedgerAccount.payoutsInFlight(creatorId), 10);
    expect(transfers.map((t) => [t.kind, t.reference, t.entryFor(LedgerAccount.payoutsInFlight(creatorId))])).toEqual(
      expect.arrayContaining([
        ['payout', payout.data.requestPayout.id, 4_000],
        ['payout', payout.data.requestPayout.id, -4_000],
      ]),
    );
    const fetched = await graphql(`query ($id: String!) { payout(id: $id) { id status } }`, { token, variables: { id: payout.data.requestPayout.id } });
    expect(fetched.data.payout).toEqual({ id: payout.data.requestPayout.id, status: 'paid' });
  });

  it('pays a Razorpay creator in INR at INR_PER_USD, keeping the rate on the payout, each amount shown in its own currency', async () => {
    const { graphql, aCreatorWhoEarned, onboard } = setup({ env: { INR_PER_USD: '83.25' } });
    const { token } = await aCreatorWhoEarned(2_000, 'IN');
    await onboard(token);

    const payout = await graphql(REQUEST, { token, variables: { amount: 1_500 } });

    expect(payout.data.requestPayout).toMatchObject({ status: 'paid', amountCents: 1_500, currency: 'USD', payoutCurrency: 'INR', payoutAmountMinor: 124_875, fxRate: '83.25' });
  });

  it('refuses unverified, below-minimum and over-balance requests with clear errors, writing nothing', async () => {
    const { graphql, aCreatorWhoEarned, onboard, balances } = setup();
    const { token } = await aCreatorWhoEarned(2_000);

    const unverified = await graphql(REQUEST, { token });
    await onboard(token);
    const belowMinimum = await graphql(REQUEST, { token, variables: { amount: 999 } });
    const overBalance = await graphql(REQUEST, { token, variables: { amount: 2_001 } });
    const notPositive = await graphql(REQUEST, { token, variables: { amount: -5 } });

    expect(unverified.errors?.[0].extensions.code).toBe('CONFLICT');
    expect(unverified.errors?.[0].message).toMatch(/onboarding is not complete/);
    expect(belowMinimum.errors?.[0]).toMatchObject({ message: expect.stringMatching(/minimum payout is \$10\.00/), extensions: { code: 'BAD_USER_INPUT' } });
    expect(overBalance.errors?.[0]).toMatchObject({ message: expect.stringMatching(/only 2000 cents are available/), extensions: { code: 'BAD_USER_INPUT' } });
    expect(notPositive.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(await balances(token)).toEqual({ availableCents: 2_000, pendingCents: 0, payouts: 0 });
  });

  it("fails a payout the provider refuses, showing the provider's reason, and leaves the balance whole", async () => {
    const { graphql, aCreatorWhoEarned, onboard, balances, sandbox } = setup();
    const { token } = await aCreatorWhoEarned(2_000);
    await onboard(token);
    await sandbox.setNextTransfer({ refuseWith: 'below the minimum transfer amount for this country' });

    const payout = await graphql(REQUEST, { token });

    expect(payout.data.requestPayout).toMatchObject({ status: 'failed', failureReason: 'below the minimum transfer amount for this country' });
    expect(await balances(token)).toEqual({ availableCents: 2_000, pendingCents: 0, payouts: 1 });
  });

  it('keeps an unanswered payout pending with its money in flight, and an admin retry sends it again with the same id', async () => {
    let failing = true;
    let sandboxGateway: PayoutGateway | undefined;
    const flaky: PayoutGateway = {
      provider: 'stripe',
      payoutCurrency: 'USD',
      startOnboarding: (request) => sandboxGateway!.startOnboarding(request),
      retrieveAccount: (id) => sandboxGateway!.retrieveAccount(id),
      transfer: async (request) => {
        if (failing) throw new ProviderError('stripe', 'transfer the payout', 'timed out');
        return sandboxGateway!.transfer(request);
      },
      retrieveTransfer: (transferId, accountId) => sandboxGateway!.retrieveTransfer(transferId, accountId),
    };
    let now = Date.now();
    const { graphql, aCreatorWhoEarned, onboard, balances, sandbox, container } = setup({ payoutGateways: { stripe: flaky }, clock: { now: () => new Date(now) } });
    sandboxGateway = new SandboxPayoutGateway(sandbox, { region: 'stripe' });
    const { token } = await aCreatorWhoEarned(2_000);
    await onboard(token);

    const payout = await graphql(REQUEST, { token });
    const inFlight = await balances(token);
    const notAdmin = await graphql(`mutation ($id: String!) { retryPayout(id: $id) { status } }`, { token, variables: { id: payout.data.requestPayout.id } });
    failing = false;
    const admin = await signToken({ sub: 'ops', role: 'admin' });
    const retried = await graphql(`mutation ($id: String!) { retryPayout(id: $id) { id status } }`, { token: admin, variables: { id: payout.data.requestPayout.id } });

    expect(payout.data.requestPayout.status).toBe('pending');
    expect(inFlight).toEqual({ availableCents: 0, pendingCents: 2_000, payouts: 1 });
    expect(notAdmin.errors?.[0].extensions.code).toBe('FORBIDDEN');
    expect(retried.data.retryPayout).toEqual({ id: payout.data.requestPayout.id, status: 'paid' });
    expect(await balances(token)).toEqual({ availableCents: 0, pendingCents: 0, payouts: 1 });

    // The reconciliation sends unanswered payouts again by itself, within the provider's key window only.
    failing = true;
    const { token: other } = await aCreatorWhoEarned(2_000);
    await onboard(other);
    const stuck = (await graphql(REQUEST, { token: other })).data.requestPayout;
    failing = false;
    const tooSoon = await resolve(container, ResendUnansweredPayouts).execute();
    now += 6 * 60 * 1000;
    const resent = await resolve(container, ResendUnansweredPayouts).execute();

    expect(stuck.status).toBe('pending');
    expect(tooSoon).toEqual({ resent: 0, failed: 0 });
    expect(resent).toEqual({ resent: 1, failed: 0 });
    expect(await balances(other)).toEqual({ availableCents: 0, pendingCents: 0, payouts: 1 });
  });

  it('returns a reversed payout to the balance once, however often the provider says so, and an admin can pay it anew', async () => {
    const { graphql, aCreatorWhoEarned, onboard, balances, container } = setup();
    const { token } = await aCreatorWhoEarned(3_000);
    await onboard(token);
    const paid = (await graphql(REQUEST, { token })).data.requestPayout;
    // The transfer as the provider reports it after reversing it whole, read twice (two events about it).
    const reversed = {
      transferId: paid.providerTransferId,
      toAccount: true,
      amount: { amountMinor: 3_000, currency: 'USD' },
      payoutId: paid.id,
      outcome: 'failed' as const,
      reversed: { amountMinor: 0, currency: 'USD' },
      reason: 'Stripe reversed the transfer',
    };
    const transfers = resolve(container, PayoutTransfers);

    const outcomes = [(await transfers.applyTransferState(paid.id, reversed)).status, (await transfers.applyTransferState(paid.id, reversed)).status];
    const afterReversal = await balances(token);
    const admin = await signToken({ sub: 'ops', role: 'admin' });
    const retried = await graphql(`mutation ($id: String!) { retryPayout(id: $id) { ${PAYOUT_FIELDS} } }`, { token: admin, variables: { id: paid.id } });

    const again = await graphql(`mutation ($id: String!) { retryPayout(id: $id) { id } }`, { token: admin, variables: { id: paid.id } });

    expect(again.errors?.[0]).toMatchObject({ message: expect.stringContaining('retried already'), extensions: { code: 'CONFLICT' } });
    expect(outcomes).toEqual(['applied', 'ignored']);
    expect(afterReversal).toEqual({ availableCents: 3_000, pendingCents: 0, payouts: 1 });
    expect(retried.data.retryPayout).toMatchObject({ status: 'paid', amountCents: 3_000, retryOf: paid.id });
    expect(await balances(token)).toEqual({ availableCents: 0, pendingCents: 0, payouts: 2 });
  });

  it('pays a failed payout anew once when two admins retry it at the same moment', async () => {
    const { graphql, aCreatorWhoEarned, onboard, balances, sandbox } = setup();
    const { token } = await aCreatorWhoEarned(4_000);
    await onboard(token);
    await sandbox.setNextTransfer({ refuseWith: 'bank account closed' });
    const failed = (await graphql(REQUEST, { token, variables: { amount: 1_500 } })).data.requestPayout;
    const admin = await signToken({ sub: 'ops', role: 'admin' });

    const retries = await Promise.all(
      [1, 2].map(() => graphql(`mutation ($id: String!) { retryPayout(id: $id) { status retryOf } }`, { token: admin, variables: { id: failed.id } })),
    );

    expect(failed.status).toBe('failed');
    expect(retries.filter((retry) => retry.data?.retryPayout?.status === 'paid')).toHaveLength(1);
    expect(retries.filter((retry) => retry.errors?.[0]?.extensions.code === 'CONFLICT')).toHaveLength(1);
    expect(await balances(token)).toEqual({ availableCents: 2_500, pendingCents: 0, payouts: 2 });
  });

  it("follows the provider's account events: a restriction shows its reason and stops payouts until lifted", async () => {
    const { graphql, aCreatorWhoEarned, onboard, container, sandbox } = setup();
    const { token } = await aCreatorWhoEarned(2_000);
    const { started } = await onboard(token);
    const accountId = new URL(started.data.startPayoutOnboarding.url).pathname.split('/').at(-1)!;
    /** The provider changes the account, says so in an event, and a worker reads the account. */
    const accountEvent = async (status: 'restricted' | 'verified', reason: string | null) => {
      await sandbox.setAccountStatus(accountId, status, reason);
      const prepared = await resolve(container, SyncPayoutObjects).prepareAccount('stripe', { id: accountId });
      return typeof prepared === 'function' ? prepared() : prepared;
    };

    await accountEvent('restricted', 'identity document expired');
    const restricted = await graphql('{ payoutSettings { onboardingStatus restrictionReason } }', { token });
    const refused = await graphql(REQUEST, { token });
    await accountEvent('verified', null);
    const paid = await graphql(REQUEST, { token });

    expect(restricted.data.payoutSettings).toEqual({ onboardingStatus: 'restricted', restrictionReason: 'identity document expired' });
    expect(refused.errors?.[0]).toMatchObject({ message: expect.stringContaining('identity document expired'), extensions: { code: 'CONFLICT' } });
    expect(paid.data.requestPayout.status).toBe('paid');
  });

  it('refuses onboarding to a URL off the allow-list or with a malformed profile, opening nothing', async () => {
    const { graphql } = setup();
    const token = await signToken({ sub: aUserId(), country: 'IN' });
    const profile = { email: 'a@b.in', phone: '9000090000', legalName: 'Asha', bankAccountNumber: '1234567890', ifsc: 'HDFC0000001', pan: 'ABCPC1234F', street: '12 MG Road', city: 'Bengaluru', state: 'Karnataka', postalCode: '560001' };
    const start = (variables: Record<string, unknown>) =>
      graphql(`mutation ($returnUrl: String!, $refreshUrl: String!, $profile: PayoutProfileInput) {
        startPayoutOnboarding(returnUrl: $returnUrl, refreshUrl: $refreshUrl, profile: $profile) { url } }`, { token, variables: { returnUrl: RETURN_URL, refreshUrl: REFRESH_URL, ...variables } });

    const offList = await start({ returnUrl: 'https://evil.example/payouts' });
    const badIfsc = await start({ profile: { ...profile, ifsc: 'HDFC1' } });
    const badPan = await start({ profile: { ...profile, pan: '1234' } });
    const settings = await graphql('{ payoutSettings { onboardingStatus } }', { token });

    expect(offList.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'returnUrl' } });
    expect(badIfsc.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'profile.ifsc' } });
    expect(badPan.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'profile.pan' } });
    expect(settings.data.payoutSettings.onboardingStatus).toBe('not_started');
  });

  it('refuses a payouts cursor that is not one of ours, NUL inside included', async () => {
    const { graphql } = setup();
    const token = await signToken({ sub: aUserId(), country: 'US' });
    const page = (after: string) => graphql(`query ($after: String) { payouts(after: $after) { pageInfo { hasNextPage } } }`, { token, variables: { after } });

    const answers = await Promise.all([page('not-a-cursor'), page(Buffer.from(JSON.stringify(['a\u0000b'])).toString('base64url'))]);

    expect(answers.map((answer) => answer.errors?.[0]?.extensions.code)).toEqual(['BAD_USER_INPUT', 'BAD_USER_INPUT']);
  });

  it('keeps the schedule in the payout settings, refusing frequencies it does not know', async () => {
    const { graphql } = setup();
    const token = await signToken({ sub: aUserId(), country: 'US' });

    const updated = await graphql(`mutation { updatePayoutSettings(frequency: weekly) { frequency onboardingStatus } }`, { token });
    const bad = await graphql(`mutation { updatePayoutSettings(frequency: daily) { frequency } }`, { token });
    const read = await graphql(`{ payoutSettings { frequency } }`, { token });

    expect(updated.data.updatePayoutSettings).toEqual({ frequency: 'weekly', onboardingStatus: 'not_started' });
    expect(bad.errors?.[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(read.data.payoutSettings.frequency).toBe('weekly');
  });

  it('pays each verified weekly creator once a week however often the schedule runs, and leaves the others', async () => {
    const { graphql, aCreatorWhoEarned, onboard, balances, container } = setup();
    const weekly = await aCreatorWhoEarned(2_000);
    const belowMinimum = await aCreatorWhoEarned(800);
    const manual = await aCreatorWhoEarned(2_000);
    for (const creator of [weekly, belowMinimum, manual]) await onboard(creator.token);
    for (const creator of [weekly, belowMinimum]) await graphql(`mutation { updatePayoutSettings(frequency: weekly) { frequency } }`, { token: creator.token });

    const runs = await Promise.all([1, 2, 3].map(() => resolve(container, RunScheduledPayouts).execute('weekly')));

    expect(runs.map((run) => run.payouts['paid'] ?? 0).reduce((a, b) => a + b)).toBeGreaterThanOrEqual(1);
    expect(await balances(weekly.token)).toEqual({ availableCents: 0, pendingCents: 0, payouts: 1 });
    expect(await balances(belowMinimum.token)).toEqual({ availableCents: 800, pendingCents: 0, payouts: 0 });
    expect(await balances(manual.token)).toEqual({ availableCents: 2_000, pendingCents: 0, payouts: 0 });
    const list = await graphql(`{ payouts { edges { node { period } } } }`, { token: weekly.token });
    expect(list.data.payouts.edges[0].node.period).toMatch(/^weekly:\d{4}-W\d{2}$/);
  });

  it('lists only creators not yet paid this period in a scheduled run, so a run again goes on with the rest', async () => {
    const { graphql, aCreatorWhoEarned, onboard, container } = setup();
    const weekly = await aCreatorWhoEarned(2_000);
    await onboard(weekly.token);
    await graphql(`mutation { updatePayoutSettings(frequency: weekly) { frequency } }`, { token: weekly.token });

    const first = await resolve(container, RunScheduledPayouts).execute('weekly');
    const again = await resolve(container, RunScheduledPayouts).execute('weekly');

    // The backend may hold other tests' creators: what is asserted is this creator's payout, and
    // that the second run neither pays nor even lists (as skipped) anyone the first one paid.
    const payouts = await graphql(`{ payouts { nodes { status period } } }`, { token: weekly.token });
    expect(first).toMatchObject({ errors: [], unfinished: false });
    expect(first.payouts.paid).toBeGreaterThanOrEqual(1);
    expect(payouts.data.payouts.nodes).toEqual([{ status: 'paid', period: first.period }]);
    expect(again).toMatchObject({ period: first.period, payouts: {}, skipped: first.skipped, errors: [], unfinished: false });
  });
});

describe.each(BACKENDS)('payout concurrency, stored %s', (backend) => {
  it('lets 20 concurrent requests of $10.00 against $50.00 pay exactly five', async () => {
    const database = await openTestDatabase(backend);
    try {
      const testApp = makeTestApp({ database });
      const creatorId = aUserId();
      const token = await signToken({ sub: creatorId, country: 'US' });
      const ledger = resolve(testApp.container, WALLET_LEDGER);
      await ledger.post(earningsOf(creatorId, 5_000));
      const started = await testApp.graphql(ONBOARD, { token, variables: { returnUrl: RETURN_URL, refreshUrl: REFRESH_URL } });
      await testApp.app.request(`${new URL(started.data.startPayoutOnboarding.url).pathname}/complete`, { method: 'POST' });

      const answers = await Promise.all(Array.from({ length: 20 }, () => testApp.graphql(REQUEST, { token, variables: { amount: 1_000 } })));

      expect(answers.filter((answer) => answer.data?.requestPayout?.status === 'paid')).toHaveLength(5);
      expect(answers.filter((answer) => answer.errors?.[0]?.extensions.code === 'BAD_USER_INPUT')).toHaveLength(15);
      expect(await ledger.balance(LedgerAccount.creatorBalance(creatorId))).toEqual(Money.of(0, 'USD'));
      expect(await ledger.balance(LedgerAccount.providerClearing('stripe'))).toEqual(Money.of(5_000, 'USD'));
    } finally {
      await database.close();
    }
  });

  it('answers the losers of concurrent retries of a failed payout that it is retried already (CONFLICT), not that the balance is empty', async () => {
    const database = await openTestDatabase(backend);
    try {
      const testApp = makeTestApp({ database });
      const creatorId = aUserId();
      const token = await signToken({ sub: creatorId, country: 'US' });
      const admin = await signToken({ sub: 'ops', role: 'admin' });
      const ledger = resolve(testApp.container, WALLET_LEDGER);
      await ledger.post(earningsOf(creatorId, 1_500));
      const started = await testApp.graphql(ONBOARD, { token, variables: { returnUrl: RETURN_URL, refreshUrl: REFRESH_URL } });
      await testApp.app.request(`${new URL(started.data.startPayoutOnboarding.url).pathname}/complete`, { method: 'POST' });
      await resolve(testApp.container, SANDBOX_PROVIDER).setNextTransfer({ refuseWith: 'bank account closed' });
      const failed = (await testApp.graphql(REQUEST, { token })).data.requestPayout;

      // The retry takes the whole balance: a loser that looked at the balance would find 0 cents.
      const retries = await Promise.all(
        Array.from({ length: 5 }, () => testApp.graphql(`mutation ($id: String!) { retryPayout(id: $id) { id status } }`, { token: admin, variables: { id: failed.id } })),
      );

      expect(failed.status).toBe('failed');
      expect(retries.filter((retry) => retry.data?.retryPayout?.status === 'paid')).toHaveLength(1);
      const losers = retries.filter((retry) => retry.errors);
      expect(losers).toHaveLength(4);
      for (const loser of losers) {
        expect(loser.errors![0]).toMatchObject({ message: expect.stringContaining(`payout ${failed.id} was retried already`), extensions: { code: 'CONFLICT' } });
      }
      expect(await ledger.balance(LedgerAccount.creatorBalance(creatorId))).toEqual(Money.of(0, 'USD'));
      await expectLedgerBalanced((sql) => database.orm.em.getConnection().execute(sql));
    } finally {
      await database.close();
    }
  });
});
