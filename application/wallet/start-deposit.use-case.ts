import { CheckoutSession } from '../../domain/billing/checkout-session.entity.ts';
import { billingCurrency } from '../../domain/billing/gateway-selection.policy.ts';
import type { RedirectAllowList } from '../../domain/billing/redirect-allow-list.policy.ts';
import type { Money } from '../../domain/shared/money.value-object.ts';
import { parseDepositAmount } from '../../domain/wallet/wallet-rules.ts';
import type { AccountOpener } from '../billing/account-opener.service.ts';
import type { FxRates } from '../billing/fx-rates.port.ts';
import type { HostedCheckouts, StartedCheckout } from '../billing/hosted-checkouts.service.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { IdGenerator } from '../shared/id-generator.port.ts';
import type { SignupSignals } from '../shared/requester.ts';

/** `startDeposit` (GraphQL) or `POST /api/balance/deposit` as the edge received it. */
export interface StartDepositRequest {
  readonly userId: string;
  readonly signals: SignupSignals;
  readonly amountCents: unknown;
  readonly successUrl: unknown;
  readonly cancelUrl: unknown;
}

export interface StartDepositInput {
  readonly userId: string;
  readonly signals: SignupSignals;
  /** What the wallet is credited, in US cents. */
  readonly credit: Money;
  readonly successUrl: URL;
  readonly cancelUrl: URL;
}

/** `redirects`: the deployment's allow-list the two URLs must be on. */
export function parseStartDepositInput(request: StartDepositRequest, redirects: RedirectAllowList): StartDepositInput {
  const credit = parseDepositAmount(request.amountCents);
  const successUrl = redirects.check(request.successUrl, 'success_url');
  const cancelUrl = redirects.check(request.cancelUrl, 'cancel_url');
  return { userId: request.userId, signals: request.signals, credit, successUrl, cancelUrl };
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

  async execute(request: StartDepositRequest): Promise<StartedCheckout> {
    const { userId, signals, credit, successUrl, cancelUrl } = parseStartDepositInput(request, this.deps.redirects);

    const account = await this.deps.opener.open(userId, signals);
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
