import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { UntrustedProviderStateError } from '../../domain/shared/errors.ts';
import { ignored, type PreparedSync } from '../shared/applied-outcome.ts';
import type { CheckoutCompletion } from './checkout-completion.ts';
import type { CheckoutSessionRepository } from './checkout-session.repository.ts';

/**
 * A provider event about a hosted checkout: the session we opened as it is found by the id we
 * stored, or through the session id the payload names; either way only the provider's state of
 * the checkout we stored is read and applied (through the one completion path). A payload naming
 * one of our sessions for another checkout is refused.
 */
export class SyncCheckout {
  private readonly sessions: CheckoutSessionRepository;
  private readonly completion: CheckoutCompletion;

  constructor(sessions: CheckoutSessionRepository, completion: CheckoutCompletion) {
    this.sessions = sessions;
    this.completion = completion;
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
      throw new UntrustedProviderStateError(
        `payment ${paymentId} names session ${session.id}, but is not a payment of checkout ${state.providerSessionId} opened for it (${state.status}): nothing was applied`,
      );
    }
    return () => this.completion.apply(session.id, state);
  }
}
