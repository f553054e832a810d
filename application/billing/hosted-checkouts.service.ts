import type { AccountPlan } from '../../domain/billing/account-plan.entity.ts';
import type { CheckoutSession } from '../../domain/billing/checkout-session.entity.ts';
import type { CheckoutSessionRepository } from './checkout-session.repository.ts';
import type { CreatedCheckout, PaymentGateway, PaymentGateways } from './payment-gateway.port.ts';

export interface StartedCheckout {
  readonly sessionId: string;
  readonly url: string;
}

/**
 * The steps every hosted checkout shares, plan or deposit: store the session before calling the
 * provider (its id is the provider's idempotency key), remove it again if the provider refuses so
 * a failure leaves nothing behind, and keep the provider's session id once created.
 */
export class HostedCheckouts {
  private readonly sessions: CheckoutSessionRepository;
  private readonly gateways: PaymentGateways;

  constructor(deps: { readonly sessions: CheckoutSessionRepository; readonly gateways: PaymentGateways }) {
    this.sessions = deps.sessions;
    this.gateways = deps.gateways;
  }

  async open(
    account: AccountPlan,
    session: CheckoutSession,
    create: (gateway: PaymentGateway) => Promise<CreatedCheckout>,
  ): Promise<StartedCheckout> {
    await this.sessions.insert(session);
    let created: CreatedCheckout;
    try {
      created = await create(this.gateways.for(account.paymentGateway));
    } catch (error) {
      await this.sessions.delete(session);
      throw error;
    }
    session.attachProviderSession(created.providerSessionId);
    await this.sessions.save(session);
    return { sessionId: session.id, url: created.url };
  }
}
