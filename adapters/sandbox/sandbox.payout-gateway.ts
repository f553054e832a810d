import type {
  OnboardingRequest,
  PayoutGateway,
  ProviderAccountState,
  ProviderTransfer,
  ProviderTransferState,
  StartedOnboarding,
  TransferRequest,
} from '../../application/payouts/payout-gateway.port.ts';
import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { PayoutRefusedError, ProviderError } from '../../domain/shared/errors.ts';
import type { Currency } from '../../domain/shared/money.value-object.ts';
import type { SandboxProvider } from './sandbox.provider.ts';

/**
 * The sandbox paying creators for one region: onboarding is a page on this server whose
 * `POST <url>/complete` verifies the account and answers 303 to `returnUrl`; transfers settle at
 * once unless an action holds them in transit, in the region's payout currency. An account the
 * sandbox does not hold is unknown: never verified, never paid.
 */
export class SandboxPayoutGateway implements PayoutGateway {
  readonly provider: PaymentGatewayName;
  readonly payoutCurrency: Currency;
  private readonly sandbox: SandboxProvider;

  constructor(sandbox: SandboxProvider, options: { region: PaymentGatewayName }) {
    this.sandbox = sandbox;
    this.provider = options.region;
    this.payoutCurrency = options.region === 'razorpay' ? 'INR' : 'USD';
  }

  async startOnboarding(request: OnboardingRequest): Promise<StartedOnboarding> {
    const { account, url } = await this.sandbox.startOnboarding(this.provider, request.creatorId, request.accountId, request.returnUrl);
    return { accountId: account.id, url, status: account.status };
  }

  async retrieveAccount(accountId: string): Promise<ProviderAccountState> {
    const account = await this.sandbox.account(accountId);
    if (!account || account.region !== this.provider) throw new ProviderError(`sandbox (${this.provider})`, 'find the account', `no account ${accountId}`);
    return { accountId, status: account.status, reason: account.reason };
  }

  async transfer(request: TransferRequest): Promise<ProviderTransfer> {
    const transfer = await this.sandbox.transfer(this.provider, request.payoutId, request.accountId, request.amount);
    if ('refused' in transfer) throw new PayoutRefusedError(`sandbox (${this.provider})`, 'transfer the payout', transfer.refused);
    return { transferId: transfer.id, settled: transfer.status === 'paid' };
  }

  async retrieveTransfer(transferId: string, accountId: string): Promise<ProviderTransferState> {
    const transfer = await this.sandbox.transferById(transferId);
    if (!transfer || transfer.region !== this.provider) throw new ProviderError(`sandbox (${this.provider})`, 'find the transfer', `no transfer ${transferId}`);
    return {
      transferId,
      toAccount: transfer.accountId === accountId,
      amount: transfer.amount,
      payoutId: transfer.payoutId,
      outcome: transfer.status,
      reversed: { amountMinor: transfer.status === 'failed' ? 0 : transfer.reversedMinor, currency: transfer.amount.currency },
      reason: transfer.reason,
    };
  }
}
