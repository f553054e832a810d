import { SandboxPayoutGateway } from '../../adapters/sandbox/sandbox.payout-gateway.ts';
import { SandboxProvider } from '../../adapters/sandbox/sandbox.provider.ts';
import { SystemClock } from '../../adapters/system/system.clock.ts';
import { UuidV7IdGenerator } from '../../adapters/system/uuid-v7.id-generator.ts';
import { runPayoutGatewayContract } from './payout-gateway.contract.ts';

for (const region of ['stripe', 'razorpay'] as const) {
  runPayoutGatewayContract(`sandbox standing in for ${region}`, async () => {
    const sandbox = new SandboxProvider({ publicUrl: 'http://localhost:4000', ids: new UuidV7IdGenerator(), clock: new SystemClock() });
    const gateway = new SandboxPayoutGateway(sandbox, { region });
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
            const { ProviderError } = await import('../../domain/shared/errors.ts');
            throw new ProviderError('sandbox', 'transfer the payout', 'no answer');
          }
          return gateway.transfer(request);
        },
        retrieveTransfer: (transferId, accountId) => gateway.retrieveTransfer(transferId, accountId),
      },
      verify: (accountId) => void sandbox.completeOnboarding(accountId),
      restrict: (accountId, reason) => {
        const account = sandbox.payoutAccount(accountId)!;
        account.status = 'restricted';
        account.reason = reason;
      },
      refuseNextTransfer: (reason) => {
        sandbox.refuseNextTransferWith = reason;
      },
      failNextCall: () => {
        failNext = true;
      },
    };
  });
}
