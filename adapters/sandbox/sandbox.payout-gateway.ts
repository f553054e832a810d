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
 * `POST <url>/complete` verifies the account and answers 303 to `returnUrl`; transfers complete at
 * once, in the region's payout currency.
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
    const { account, url } = this.sandbox.startOnboarding(request.creatorId, request.accountId, request.returnUrl);
    return { accountId: account.id, url, status: account.status };
  }

  async retrieveAccount(accountId: string): Promise<ProviderAccountState> {
    const account = this.sandbox.payoutAccount(accountId);
    return { accountId, status: account?.status ?? 'verified', reason: account?.reason ?? null };
  }

  async transfer(request: TransferRequest): Promise<ProviderTransfer> {
    const transfer = this.sandbox.transfer(request.payoutId, request.accountId, request.amount);
    if ('refused' in transfer) throw new PayoutRefusedError(`sandbox (${this.provider})`, 'transfer the payout', transfer.refused);
    return { transferId: transfer.id, settled: true };
  }

  /** A sandbox transfer settles the moment it is made. */
  async retrieveTransfer(transferId: string, accountId: string): Promise<ProviderTransferState> {
    const transfer = this.sandbox.transferById(transferId);
    if (!transfer) throw new ProviderError(`sandbox (${this.provider})`, 'find the transfer', `no transfer ${transferId}`);
    return {
      transferId,
      toAccount: transfer.accountId === accountId,
      amount: { amountMinor: transfer.amount.amountMinor, currency: transfer.amount.currency },
      payoutId: transfer.payoutId,
      outcome: 'paid',
      reversedMinor: 0,
      reason: null,
    };
  }
}
