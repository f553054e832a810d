import { CheckoutSession } from '../../domain/billing/checkout-session.entity.ts';
import { billingCurrency } from '../../domain/billing/gateway-selection.policy.ts';
import type { RedirectAllowList } from '../../domain/billing/redirect-allow-list.policy.ts';
import { InvalidInputError } from '../../domain/shared/errors.ts';
import { parseDepositAmount } from '../../domain/wallet/wallet-rules.ts';
import type { AccountOpener } from '../billing/account-opener.ts';
import type { CheckoutCompletion } from '../billing/checkout-completion.ts';
import type { FxRates } from '../billing/fx-rates.port.ts';
import type { HostedCheckouts, StartedCheckout } from '../billing/hosted-checkouts.ts';
import { parseSessionReference } from '../billing/verify-checkout-session.use-case.ts';
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

export interface DepositVerification {
  readonly deposited: boolean;
  /** What the wallet was (or will be) credited, in US cents. */
  readonly amountCents: number;
  readonly status: string;
}

/**
 * After the redirect back: asks the provider whether the deposit was paid and credits the wallet
 * at once if so. Idempotent; the webhook credits through the same completion, once.
 */
export class VerifyDeposit {
  private readonly completion: CheckoutCompletion;

  constructor(completion: CheckoutCompletion) {
    this.completion = completion;
  }

  async execute(input: { readonly userId: string; readonly sessionId: unknown }): Promise<DepositVerification> {
    const session = await this.completion.findOwnSession(input.userId, parseSessionReference(input.sessionId));
    if (session.purpose !== 'deposit') {
      throw new InvalidInputError('session_id', 'this is a plan checkout session: verify it with GET /api/billing/verify-session');
    }
    const status = await this.completion.settle(session);
    return { deposited: status === 'completed', amountCents: session.usdAmount.amountMinor, status };
  }
}
