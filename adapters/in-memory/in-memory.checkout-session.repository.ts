import type { CheckoutSessionRepository } from '../../application/billing/checkout-session.repository.ts';
import type { CheckoutSession } from '../../domain/billing/checkout-session.entity.ts';
import { ConflictError } from '../../domain/shared/errors.ts';
import { copyEntity } from './entity-copy.ts';

export class InMemoryCheckoutSessionRepository implements CheckoutSessionRepository {
  private readonly sessions = new Map<string, CheckoutSession>();

  async insert(session: CheckoutSession): Promise<void> {
    session.assertInvariants();
    if (this.sessions.has(session.id)) throw new ConflictError(`checkout session ${session.id} exists`);
    this.sessions.set(session.id, copyEntity(session));
  }

  async findByReference(reference: string): Promise<CheckoutSession | null> {
    const found = this.sessions.get(reference) ?? [...this.sessions.values()].find((s) => s.providerSessionId === reference);
    return found ? copyEntity(found) : null;
  }

  async findByProviderSessionId(gateway: string, providerSessionId: string): Promise<CheckoutSession | null> {
    const found = [...this.sessions.values()].find((s) => s.gateway === gateway && s.providerSessionId === providerSessionId);
    return found ? copyEntity(found) : null;
  }

  findByPaymentId(gateway: string, paymentId: string): Promise<CheckoutSession | null> {
    return this.findByPaymentIdForUpdate(gateway, paymentId);
  }

  async findByIdForUpdate(id: string): Promise<CheckoutSession | null> {
    const found = this.sessions.get(id);
    return found ? copyEntity(found) : null;
  }

  async findByPaymentIdForUpdate(gateway: string, paymentId: string): Promise<CheckoutSession | null> {
    const found = [...this.sessions.values()].find((s) => s.gateway === gateway && s.providerPaymentId === paymentId);
    return found ? copyEntity(found) : null;
  }

  async listOpen(createdAfter: Date, createdBefore: Date, limit: number): Promise<CheckoutSession[]> {
    return [...this.sessions.values()]
      .filter((s) => s.status === 'open' && s.createdAt > createdAfter && s.createdAt < createdBefore)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .slice(0, limit)
      .map(copyEntity);
  }

  async findBySubscriptionId(gateway: string, subscriptionId: string): Promise<CheckoutSession | null> {
    const found = [...this.sessions.values()].find((s) => s.gateway === gateway && s.purpose === 'plan' && s.providerSubscriptionId === subscriptionId);
    return found ? copyEntity(found) : null;
  }

  async listOpenPlanCheckouts(userId: string, limit: number): Promise<CheckoutSession[]> {
    return [...this.sessions.values()]
      .filter((s) => s.userId === userId && s.purpose === 'plan' && s.status === 'open' && s.providerSessionId !== null)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id))
      .slice(0, limit)
      .map(copyEntity);
  }

  async listForUser(userId: string, limit: number): Promise<CheckoutSession[]> {
    return [...this.sessions.values()]
      .filter((s) => s.userId === userId)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id.localeCompare(a.id))
      .slice(0, limit)
      .map(copyEntity);
  }

  async save(session: CheckoutSession): Promise<void> {
    session.assertInvariants();
    this.sessions.set(session.id, copyEntity(session));
  }

  async delete(session: CheckoutSession): Promise<void> {
    this.sessions.delete(session.id);
  }
}
