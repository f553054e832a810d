import { CheckoutSession } from '../../domain/billing/checkout-session.entity.ts';
import { billingCurrency } from '../../domain/billing/gateway-selection.policy.ts';
import type { RedirectAllowList } from '../../domain/billing/redirect-allow-list.policy.ts';
import { parseDepositAmount } from '../../domain/wallet/wallet-rules.ts';
import type { AccountOpener } from '../billing/account-opener.service.ts';
import type { FxRates } from '../billing/fx-rates.port.ts';
import type { HostedCheckouts, StartedCheckout } from '../billing/hosted-checkouts.service.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { IdGenerator } from '../shared/id-generator.port.ts';
import type { SignupSignals } from '../shared/requester.ts';

export interface StartDepositInput {
  readonly userId: string;
  readonly signals: SignupSignals;
  readonly amountCents: unknown;
  readonly successUrl: unknown;
  readonly cancelUrl: unknown;
}

/**
 * A one-time checkout that funds the wallet, at the user's gateway. The wallet is credited in
 * US cents; a Razorpay user pays the INR equivalent at the rate of the moment, kept on the session.
 */
export class StartDeposit {
  private readonly deps: Readonly<{
    opener: AccountOpener;
    checkouts: HostedCheckouts;
    rates: FxRates;
    redirects: RedirectAllowList;
    ids: IdGenerator;
    clock: Clock;
  }>;

  constructor(deps: StartDeposit['deps']) {
    this.deps = deps;
  }

  async execute(input: StartDepositInput): Promise<StartedCheckout> {
    const credit = parseDepositAmount(input.amountCents);
    const successUrl = this.deps.redirects.check(input.successUrl, 'success_url');
    const cancelUrl = this.deps.redirects.check(input.cancelUrl, 'cancel_url');

    const account = await this.deps.opener.open(input.userId, input.signals);
    const currency = billingCurrency(account.paymentGateway);
    const fx = currency === 'USD' ? null : await this.deps.rates.quote('USD', currency);
    const charge = fx ? fx.convert(credit) : credit;
    const session = CheckoutSession.forDeposit({
      id: this.deps.ids.next(),
      userId: account.userId,
      gateway: account.paymentGateway,
      amount: charge,
      fx,
      credit,
      successUrl: successUrl.href,
      cancelUrl: cancelUrl.href,
      now: this.deps.clock.now(),
    });
    return this.deps.checkouts.open(account, session, (gateway) =>
      gateway.createDepositCheckout({
        sessionId: session.id,
        userId: account.userId,
        charge,
        credit,
        customerId: account.providerCustomerId,
        successUrl,
        cancelUrl,
      }),
    );
  }
}
