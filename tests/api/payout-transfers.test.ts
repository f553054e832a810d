import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../adapters/persistence/database.ts';
import { SyncPayoutObjects } from '../../application/payouts/sync-payout-objects.service.ts';
import { REQUEST_SCOPE } from '../../application/shared/request-scope.port.ts';
import { resolve } from '../../api/container.ts';
import { aUserId, earningsOf, FixedClock } from '../support/builders.ts';
import { BACKENDS, openTestDatabase } from '../support/databases.ts';
import { RAZORPAY_WEBHOOK_SECRET, razorpaySignature } from '../support/provider-events.ts';
import { startProviderFakes, type ProviderFakes } from '../support/provider-fakes.ts';
import { makeTestApp, signToken } from '../support/test-app.ts';
import { A_PROFILE } from '../contract/payout-gateway.contract.ts';
import { WALLET_LEDGER } from '../../application/wallet/wallet-ledger.port.ts';

const ONBOARD = 'mutation ($profile: PayoutProfileInput) { startPayoutOnboarding(returnUrl: "https://app.aerostack.dev/p", refreshUrl: "https://app.aerostack.dev/p", profile: $profile) { status } }';
const BALANCE = '{ developerBalance { availableCents pendingCents } payouts(first: 5) { edges { node { id status failureReason } } } }';
const HOUR_MS = 60 * 60 * 1000;

describe.each(['memory', ...BACKENDS.filter((backend) => backend === 'postgresql')] as const)('payout transfers as Razorpay holds them, stored %s', (backend) => {
  let database: Database | undefined;
  let fakes: ProviderFakes;
  beforeAll(async () => {
    fakes = await startProviderFakes();
    if (backend !== 'memory') database = await openTestDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
    await fakes?.stop();
  });

  /** An Indian creator with $40.00 earned, onboarded on Route and verified, whose payout Razorpay answered `pending`. */
  async function aPayoutInTransit(clock: FixedClock) {
    const testApp = makeTestApp({ database, clock, gateways: fakes.gateways, payoutGateways: fakes.payoutGateways, env: { RAZORPAY_WEBHOOK_SECRET } });
    const creatorId = aUserId();
    const token = await signToken({ sub: creatorId, country: 'IN', expiresIn: '30d' });
    const onboarded = await testApp.graphql(ONBOARD, { token, variables: { profile: A_PROFILE } });
    expect(onboarded.errors).toBeUndefined();
    fakes.razorpay.verifyAccount(lastLinkedAccount(fakes));
    await resolve(testApp.container, WALLET_LEDGER).post(earningsOf(creatorId, 4_000));
    fakes.razorpay.answerTransfersAs('pending');
    const payout = await testApp.graphql('mutation { requestPayout(amountCents: 4000) { id status } }', { token });
    fakes.razorpay.answerTransfersAs('processed');
    expect(payout.data.requestPayout.status).toBe('in_transit');
    const transferId = fakes.razorpay.transfers().at(-1)!.id;
    const balance = async () => (await testApp.graphql(BALANCE, { token })).data;
    return { ...testApp, token, transferId, balance, payoutId: payout.data.requestPayout.id as string };
  }

  it('pays a payout in transit once its transfer is processed, from the transfer Razorpay holds, whatever the event says', async () => {
    const { transferId, balance, app, applyEvents } = await aPayoutInTransit(new FixedClock(new Date()));
    // An event whose snapshot says failed (a stale one, say); the transfer itself is processed by now.
    const body = fakes.razorpay.eventFor('transfer.failed', { transfer: transferId });
    fakes.razorpay.setTransferStatus(transferId, 'processed');

    await app.request('/api/billing/webhook/razorpay', {
      method: 'POST',
      headers: { 'x-razorpay-signature': razorpaySignature(body), 'x-razorpay-event-id': `evt_${transferId}`, 'content-type': 'application/json' },
      body,
    });
    await applyEvents();

    expect(await balance()).toMatchObject({ developerBalance: { availableCents: 0, pendingCents: 0 }, payouts: { edges: [{ node: { status: 'paid' } }] } });
  });

  it('asks Razorpay about a payout in transit for over an hour whose settle event never came, and returns the money of a failed one', async () => {
    const clock = new FixedClock(new Date());
    const { transferId, balance, container } = await aPayoutInTransit(clock);
    fakes.razorpay.setTransferStatus(transferId, 'failed');
    const poll = () => resolve(container, REQUEST_SCOPE).run(() => resolve(container, SyncPayoutObjects).pollInTransit());

    const tooSoon = await poll();
    clock.advance(HOUR_MS + 1);
    const report = await poll();
    const again = await poll();

    expect(tooSoon.polled).toBe(0);
    expect(report).toMatchObject({ polled: 1, settled: 1, failed: 0 });
    expect(again.polled).toBe(0);
    expect(await balance()).toMatchObject({
      developerBalance: { availableCents: 4_000, pendingCents: 0 },
      payouts: { edges: [{ node: { status: 'failed', failureReason: expect.stringMatching(/\S/) } }] },
    });
  });
});

/** The linked account the last onboarding made at the fake (its Route product was requested last). */
function lastLinkedAccount(fakes: ProviderFakes): string {
  const paths = fakes.razorpay.requests.map((call) => /^\/v2\/accounts\/(acc_\w+)\/products$/.exec(call.path)?.[1]).filter((id) => id !== undefined);
  return paths.at(-1)!;
}
