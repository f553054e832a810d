import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../adapters/persistence/database.ts';
import { transfersOf } from '../support/stored-state.ts';
import { resolve, SANDBOX_PROVIDER } from '../../api/container.ts';
import { LedgerAccount } from '../../domain/ledger/ledger-account.ts';
import { aUserId } from '../support/builders.ts';
import { BACKENDS, openTestDatabase } from '../support/databases.ts';
import { makeTestApp, signToken } from '../support/test-app.ts';

const depositBody = (amount: unknown = 2_500) => ({
  amount_cents: amount,
  success_url: 'https://app.aerostack.dev/settings/billing?deposit=success',
  cancel_url: 'https://app.aerostack.dev/settings/billing',
});

const CHARGE = `mutation ($input: ChargeToolCallInput!) { chargeToolCall(input: $input) { chargeId walletBalanceCents replayed } }`;

describe.each(['memory', ...BACKENDS] as const)('wallet deposits and tool-call charges, stored %s', (backend) => {
  let database: Database | undefined;

  beforeAll(async () => {
    if (backend !== 'memory') database = await openTestDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  function setup(env: Record<string, string> = {}) {
    const testApp = makeTestApp({ database, env });
    async function payAtProvider(url: string): Promise<string> {
      const response = await testApp.app.request(`${new URL(url).pathname}/pay`, { method: 'POST' });
      return new URL(response.headers.get('location')!).searchParams.get('session_id')!;
    }
    /** Deposits through the whole flow: checkout, pay, verify. */
    async function fund(userId: string, cents: number, country = 'US') {
      const token = await signToken({ sub: userId, country });
      const started = await testApp.request('/api/balance/deposit', { token, body: depositBody(cents) });
      const sessionId = await payAtProvider(started.json().url);
      return testApp.request(`/api/balance/verify?session_id=${sessionId}`, { token });
    }
    return { ...testApp, payAtProvider, fund, sandbox: resolve(testApp.container, SANDBOX_PROVIDER) };
  }

  it('deposits through the spec flow and credits once under 50 concurrent verifies', async () => {
    const { request, graphql, payAtProvider } = setup();
    const token = await signToken({ sub: aUserId(), country: 'US' });

    const started = await request('/api/balance/deposit', { token, body: depositBody() });
    const sessionId = await payAtProvider(started.json().url);
    const answers = await Promise.all(Array.from({ length: 50 }, () => request(`/api/balance/verify?session_id=${sessionId}`, { token })));
    const { data } = await graphql('{ wallet { balanceCents currency transactions(first: 10) { edges { node { kind amountCents } } } } }', { token });

    expect(started.status).toBe(200);
    expect(Object.keys(started.json())).toEqual(['url']);
    expect(new Set(answers.map((answer) => answer.text))).toEqual(new Set(['{"deposited":true,"amount_cents":2500}']));
    expect(data.wallet).toEqual({ balanceCents: 2_500, currency: 'USD', transactions: { edges: [{ node: { kind: 'deposit', amountCents: 2_500 } }] } });
  });

  it('charges an Indian user INR at the configured rate and credits the wallet in US cents, keeping the rate', async () => {
    const { request, payAtProvider, sandbox, container } = setup({ INR_PER_USD: '83.25' });
    const userId = aUserId();
    const token = await signToken({ sub: userId, country: 'IN' });

    const started = await request('/api/balance/deposit', { token, body: depositBody(2_500) });
    const sessionId = await payAtProvider(started.json().url);
    const verified = await request(`/api/balance/verify?session_id=${sessionId}`, { token });
    const [transfer] = await transfersOf({ container, database }, LedgerAccount.wallet(userId), 1);

    expect((await sandbox.checkout(decodeURIComponent(new URL(started.json().url).pathname.split('/').pop()!)))?.amount).toMatchObject({ amountMinor: 208_125, currency: 'INR' });
    expect(verified.json()).toEqual({ deposited: true, amount_cents: 2_500 });
    expect(transfer?.fx).toMatchObject({ rateMicros: 83_250_000, source: 'config:INR_PER_USD', baseAmountMinor: 2_500 });
  });

  it('says an unpaid deposit is not deposited yet, and credits nothing', async () => {
    const { request, graphql } = setup();
    const token = await signToken({ sub: aUserId() });
    const url = (await request('/api/balance/deposit', { token, body: depositBody() })).json().url as string;
    const sessionId = decodeURIComponent(url.split('/').pop()!);

    const verified = await request(`/api/balance/verify?session_id=${sessionId}`, { token });

    expect(verified.json()).toEqual({ deposited: false, amount_cents: 2_500, status: 'open' });
    expect((await graphql('{ wallet { balanceCents } }', { token })).data.wallet.balanceCents).toBe(0);
  });

  it('charges tool calls for the service role: fee to the platform, the rest to the creator, once per key', async () => {
    const { graphql, fund } = setup();
    const [consumerId, creatorId] = [aUserId(), aUserId()];
    await fund(consumerId, 1_000);
    const service = await signToken({ sub: 'marketplace', role: 'service' });
    const input = { consumerId, creatorId, toolId: 'weather', priceCents: 250, idempotencyKey: `call-${consumerId}` };

    const first = await graphql(CHARGE, { token: service, variables: { input } });
    const again = await graphql(CHARGE, { token: service, variables: { input } });
    const creator = await graphql('{ developerBalance { availableCents pendingCents currency earnings(first: 5) { edges { node { kind amountCents } } } } }', {
      token: await signToken({ sub: creatorId }),
    });

    expect(first.data.chargeToolCall).toMatchObject({ walletBalanceCents: 750, replayed: false });
    expect(again.data.chargeToolCall).toEqual({ ...first.data.chargeToolCall, replayed: true });
    expect(creator.data.developerBalance).toEqual({
      availableCents: 200,
      pendingCents: 0,
      currency: 'USD',
      earnings: { edges: [{ node: { kind: 'tool_charge', amountCents: 200 } }] },
    });
  });

  it('refuses a charge the wallet cannot pay with INSUFFICIENT_FUNDS and writes nothing', async () => {
    const { graphql, fund } = setup();
    const [consumerId, creatorId] = [aUserId(), aUserId()];
    await fund(consumerId, 500);
    const service = await signToken({ sub: 'marketplace', role: 'service' });

    const refused = await graphql(CHARGE, { token: service, variables: { input: { consumerId, creatorId, toolId: 't', priceCents: 501, idempotencyKey: 'k' + consumerId } } });
    const wallet = await graphql('{ wallet { balanceCents } }', { token: await signToken({ sub: consumerId }) });
    const creator = await graphql('{ developerBalance { availableCents } }', { token: await signToken({ sub: creatorId }) });

    expect(refused.errors?.[0]?.extensions?.code).toBe('INSUFFICIENT_FUNDS');
    expect(wallet.data.wallet.balanceCents).toBe(500);
    expect(creator.data.developerBalance.availableCents).toBe(0);
  });

  it('refuses to reuse an idempotency key for a different call', async () => {
    const { graphql, fund } = setup();
    const [consumerId, creatorId] = [aUserId(), aUserId()];
    await fund(consumerId, 1_000);
    const service = await signToken({ sub: 'marketplace', role: 'service' });
    const input = { consumerId, creatorId, toolId: 't', priceCents: 100, idempotencyKey: `reuse-${consumerId}` };

    await graphql(CHARGE, { token: service, variables: { input } });
    const reused = await graphql(CHARGE, { token: service, variables: { input: { ...input, priceCents: 900 } } });

    expect(reused.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect((await graphql('{ wallet { balanceCents } }', { token: await signToken({ sub: consumerId }) })).data.wallet.balanceCents).toBe(900);
  });

  it('lets an admin correct a wallet with a reason, recorded with the admin id', async () => {
    const { graphql, container } = setup();
    const userId = aUserId();
    const admin = await signToken({ sub: 'admin-7', role: 'admin' });

    const credited = await graphql('mutation { adjustWallet(userId: "' + userId + '", amountCents: 1200, reason: "goodwill credit") { balanceCents } }', { token: admin });
    const overdrawn = await graphql('mutation { adjustWallet(userId: "' + userId + '", amountCents: -5000, reason: "mistake") { balanceCents } }', { token: admin });
    const [transfer] = await transfersOf({ container, database }, LedgerAccount.wallet(userId), 5);

    expect(credited.data.adjustWallet.balanceCents).toBe(1_200);
    expect(overdrawn.errors?.[0]?.extensions?.code).toBe('INSUFFICIENT_FUNDS');
    expect(transfer).toMatchObject({ kind: 'adjustment', actorId: 'admin-7', reason: 'goodwill credit' });
  });
});

describe('wallet input and roles', () => {
  it.each([[499], [50_001], [25.5], ['2500'], [null], [-500]])('refuses a deposit of %j with 400 naming amount_cents', async (amount) => {
    const { request, container } = makeTestApp();
    const userId = aUserId();

    const response = await request('/api/balance/deposit', { token: await signToken({ sub: userId }), body: depositBody(amount) });

    expect(response.status).toBe(400);
    expect(response.json()).toMatchObject({ code: 'BAD_USER_INPUT', field: 'amount_cents' });
    expect((await transfersOf({ container }, LedgerAccount.wallet(userId), 1))).toEqual([]);
  });

  it('accepts the limits themselves, $5.00 and $500.00', async () => {
    const { request } = makeTestApp();
    const token = await signToken({ sub: aUserId() });

    expect((await request('/api/balance/deposit', { token, body: depositBody(500) })).status).toBe(200);
    expect((await request('/api/balance/deposit', { token, body: depositBody(50_000) })).status).toBe(200);
  });

  it('refuses a deposit redirect off the allow-list', async () => {
    const { request } = makeTestApp();
    const response = await request('/api/balance/deposit', {
      token: await signToken({ sub: aUserId() }),
      body: { ...depositBody(), success_url: 'https://app.aerostack.dev@evil.example/' },
    });

    expect(response.status).toBe(400);
    expect(response.json().field).toBe('success_url');
  });

  it.each(['user', 'admin'])('refuses chargeToolCall to a caller with the %s role', async (role) => {
    const { graphql } = makeTestApp();
    const result = await graphql(CHARGE, {
      token: await signToken({ sub: aUserId(), role }),
      variables: { input: { consumerId: 'a', creatorId: 'b', toolId: 't', priceCents: 1, idempotencyKey: 'k' } },
    });

    expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it.each([
    [{ priceCents: 0 }, 'priceCents'],
    [{ priceCents: 1_000_001 }, 'priceCents'],
    [{ idempotencyKey: '' }, 'idempotencyKey'],
    [{ consumerId: 'x'.repeat(256) }, 'consumerId'],
    [{ toolId: ' padded ' }, 'toolId'],
  ])('refuses chargeToolCall input %j naming %s', async (override, field) => {
    const { graphql } = makeTestApp();
    const input = { consumerId: 'a', creatorId: 'b', toolId: 't', priceCents: 1, idempotencyKey: 'k', ...override };

    const result = await graphql(CHARGE, { token: await signToken({ sub: 'svc', role: 'service' }), variables: { input } });

    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });

  it('refuses adjustWallet to a non-admin and without a reason', async () => {
    const { graphql } = makeTestApp();
    const query = (reason: string) => `mutation { adjustWallet(userId: "u1", amountCents: 100, reason: "${reason}") { balanceCents } }`;

    const asUser = await graphql(query('because'), { token: await signToken({ sub: 'u2' }) });
    const noReason = await graphql(query('  '), { token: await signToken({ sub: 'admin', role: 'admin' }) });

    expect(asUser.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(noReason.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'reason' });
  });

  it('refuses a page size over 100 and a forged cursor', async () => {
    const { graphql } = makeTestApp();
    const token = await signToken({ sub: aUserId() });

    const tooMany = await graphql('{ wallet { transactions(first: 101) { edges { cursor } } } }', { token });
    const forged = await graphql('{ wallet { transactions(first: 5, after: "nonsense") { edges { cursor } } } }', { token });

    expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    expect(forged.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('tells a plan session apart from a deposit session on verify', async () => {
    const { request, app } = makeTestApp();
    const token = await signToken({ sub: aUserId() });
    const url = (await request('/api/balance/deposit', { token, body: depositBody() })).json().url as string;
    const paid = await app.request(`${new URL(url).pathname}/pay`, { method: 'POST' });
    const sessionId = new URL(paid.headers.get('location')!).searchParams.get('session_id')!;

    const asPlan = await request(`/api/billing/verify-session?session_id=${sessionId}`, { token });

    expect(asPlan.status).toBe(400);
    expect(asPlan.json().error).toMatch(/deposit/);
  });
});
