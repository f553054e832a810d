import { describe, expect, it } from 'vitest';
import { SandboxPayoutGateway } from '../../adapters/sandbox/sandbox.payout-gateway.ts';
import { ProviderError } from '../../domain/shared/errors.ts';
import { aSandbox } from '../support/sandbox.ts';
import { anOnboardingRequest, runPayoutGatewayContract } from './payout-gateway.contract.ts';

for (const region of ['stripe', 'razorpay'] as const) {
  runPayoutGatewayContract(`sandbox standing in for ${region}`, async () => {
    const { provider } = aSandbox();
    const gateway = new SandboxPayoutGateway(provider, { region });
    let failNext = false;
    return {
      // The sandbox never fails on its own; a test stands in for a provider that did not answer.
      gateway: {
        provider: gateway.provider,
        payoutCurrency: gateway.payoutCurrency,
        startOnboarding: (request) => gateway.startOnboarding(request),
        retrieveAccount: (id) => gateway.retrieveAccount(id),
        transfer: async (request) => {
          if (failNext) {
            failNext = false;
            throw new ProviderError('sandbox', 'transfer the payout', 'no answer');
          }
          return gateway.transfer(request);
        },
        retrieveTransfer: (transferId, accountId) => gateway.retrieveTransfer(transferId, accountId),
      },
      verify: async (accountId) => void (await provider.completeOnboarding(accountId)),
      restrict: async (accountId, reason) => void (await provider.setAccountStatus(accountId, 'restricted', reason)),
      refuseNextTransfer: async (reason) => void (await provider.setNextTransfer({ refuseWith: reason })),
      failNextCall: () => {
        failNext = true;
      },
    };
  });
}

describe('Sandbox payout gateway', () => {
  it('answers an account it does not hold with a ProviderError, never as verified (D8)', async () => {
    const gateway = new SandboxPayoutGateway(aSandbox().provider, { region: 'stripe' });

    await expect(gateway.retrieveAccount('sbx_acct_made_by_another_sandbox')).rejects.toBeInstanceOf(ProviderError);
  });

  it('refuses a transfer to an account it does not hold', async () => {
    const gateway = new SandboxPayoutGateway(aSandbox().provider, { region: 'stripe' });

    await expect(gateway.transfer({ payoutId: 'po_1', accountId: 'sbx_acct_unknown', amount: { amountMinor: 1_000, currency: 'USD' } as never })).rejects.toThrow(
      /no account sbx_acct_unknown/,
    );
  });

  it('keeps a held transfer in transit until it is settled, and a reversed one ends failed', async () => {
    const { provider } = aSandbox();
    const gateway = new SandboxPayoutGateway(provider, { region: 'stripe' });
    const { accountId } = await gateway.startOnboarding(anOnboardingRequest());
    await provider.completeOnboarding(accountId);
    await provider.setNextTransfer({ hold: true });

    const held = await gateway.transfer({ payoutId: 'po_held', accountId, amount: { amountMinor: 2_000, currency: 'USD' } as never });
    const inTransit = await gateway.retrieveTransfer(held.transferId, accountId);
    await provider.settleTransfer(held.transferId, 'paid');
    const settled = await gateway.retrieveTransfer(held.transferId, accountId);
    await provider.reverseTransfer(held.transferId);

    expect([held.settled, inTransit.outcome, settled.outcome]).toEqual([false, 'pending', 'paid']);
    expect(await gateway.retrieveTransfer(held.transferId, accountId)).toMatchObject({ outcome: 'failed', reason: 'reversed by the sandbox' });
  });
});
