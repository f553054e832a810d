import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { ProviderError, UntrustedProviderStateError } from '../../domain/shared/errors.ts';
import { ignored, type PreparedSync } from '../shared/applied-outcome.ts';
import type { CheckoutCompletion } from './checkout-completion.service.ts';
import type { CheckoutSessionRepository } from './checkout-session.repository.ts';
import type { PaymentGateways } from './payment-gateway.port.ts';

/**
 * A provider event about a hosted checkout: the session we opened as it is found by the id we
 * stored, or through the session id the payload names; either way only the provider's state of
 * the checkout we stored is read and applied (through the one completion path). A payload naming
 * one of our sessions for another checkout is refused.
 */
export class SyncCheckout {
  private readonly sessions: CheckoutSessionRepository;
  private readonly completion: CheckoutCompletion;
  private readonly gateways: PaymentGateways;

  constructor(deps: { readonly sessions: CheckoutSessionRepository; readonly completion: CheckoutCompletion; readonly gateways: PaymentGateways }) {
    this.sessions = deps.sessions;
    this.completion = deps.completion;
    this.gateways = deps.gateways;
  }

  async prepare(provider: PaymentGatewayName, subject: { readonly id: string; readonly hint: string | null }): Promise<PreparedSync> {
    const session = (await this.sessions.findByProviderSessionId(provider, subject.id)) ?? (subject.hint ? await this.sessions.findByReference(subject.hint) : null);
    if (!session) return ignored(`no checkout session of ours is ${subject.id}`);
    if (session.gateway !== provider || session.providerSessionId !== subject.id) {
      throw new UntrustedProviderStateError(
        `the event is about checkout ${subject.id} but names session ${session.id}, which was opened as ${session.providerSessionId ?? 'nothing yet'}: nothing was applied`,
      );
    }
    const state = await this.completion.read(session);
    return () => this.completion.apply(session.id, state);
  }

  /**
   * A payment whose notes name one of our sessions (Razorpay's payment.captured): it counts only as
   * the payment of the checkout we opened for that session, as the provider reports that checkout.
   */
  async prepareForPayment(provider: PaymentGatewayName, paymentId: string, sessionId: string): Promise<PreparedSync> {
    const session = await this.sessions.findByReference(sessionId);
    if (!session || session.gateway !== provider) return ignored(`no checkout session of ours is ${sessionId}`);
    const state = await this.completion.read(session);
    if (state.paymentId !== paymentId) {
      const untrusted = () =>
        new UntrustedProviderStateError(
          `payment ${paymentId} names session ${session.id}, but is not a payment of checkout ${state.providerSessionId} opened for it (${state.status}): nothing was applied`,
        );
      if (state.status === 'paid') throw untrusted();
      // Razorpay may not list a captured payment on its link yet: one of the amount asked for is looked at again later.
      const payment = await this.gateways.for(provider).retrievePayment(paymentId);
      if (payment.amount.amountMinor !== session.amountMinor || payment.amount.currency !== session.currency) throw untrusted();
      throw new ProviderError(provider, 'match the payment to its checkout', `checkout ${state.providerSessionId} does not list payment ${paymentId} yet`);
    }
    return () => this.completion.apply(session.id, state);
  }
}
