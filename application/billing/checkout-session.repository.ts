import type { CheckoutSession } from '../../domain/billing/checkout-session.entity.ts';
import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { token } from '../shared/token.ts';

export interface CheckoutSessionRepository {
  insert(session: CheckoutSession): Promise<void>;
  /** Finds a session by our id or by the provider's session id (what the success URL carries). */
  findByReference(reference: string): Promise<CheckoutSession | null>;
  /** The session we opened as this checkout at the provider: a plain read. */
  findByProviderSessionId(gateway: PaymentGatewayName, providerSessionId: string): Promise<CheckoutSession | null>;
  /** The completed session whose payment this is: a plain read. */
  findByPaymentId(gateway: PaymentGatewayName, paymentId: string): Promise<CheckoutSession | null>;
  /** Finds and locks the session until the unit of work ends; use inside `UnitOfWork.transactional`. */
  findByIdForUpdate(id: string): Promise<CheckoutSession | null>;
  /** The completed session whose payment this is, locked like findByIdForUpdate. */
  findByPaymentIdForUpdate(gateway: PaymentGatewayName, paymentId: string): Promise<CheckoutSession | null>;
  /** Open sessions created between the two instants, oldest first, at most `limit`. */
  listOpen(createdAfter: Date, createdBefore: Date, limit: number): Promise<CheckoutSession[]>;
  /** The completed plan session that started this provider subscription: a plain read. */
  findBySubscriptionId(gateway: PaymentGatewayName, subscriptionId: string): Promise<CheckoutSession | null>;
  /** The user's open plan sessions opened at the provider (they have its session id), oldest first, at most `limit`. */
  listOpenPlanCheckouts(userId: string, limit: number): Promise<CheckoutSession[]>;
  /** The user's sessions of every purpose and status, newest first, at most `limit`: a plain read, for admins. */
  listForUser(userId: string, limit: number): Promise<CheckoutSession[]>;
  save(session: CheckoutSession): Promise<void>;
  delete(session: CheckoutSession): Promise<void>;
}

export const CHECKOUT_SESSION_REPOSITORY = token<CheckoutSessionRepository>('CheckoutSessionRepository');
