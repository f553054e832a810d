import { LockMode, type FilterQuery, type MikroORM } from '@mikro-orm/postgresql';
import type { CheckoutSessionRepository } from '../../application/billing/checkout-session.repository.ts';
import { CheckoutSession } from '../../domain/billing/checkout-session.entity.ts';
import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { checkedAfterLoad } from './checked-after-load.ts';
import { currentEntityManager } from './current-entity-manager.ts';

/** Every CheckoutSession this repository hands out passes here. */
const restored = (session: CheckoutSession): CheckoutSession => checkedAfterLoad('CheckoutSession', session.id, session);

export class MikroOrmCheckoutSessionRepository implements CheckoutSessionRepository {
  private readonly orm: MikroORM;

  constructor(orm: MikroORM) {
    this.orm = orm;
  }

  async insert(session: CheckoutSession): Promise<void> {
    session.assertInvariants();
    await currentEntityManager(this.orm).persist(session).flush();
  }

  async findByReference(reference: string): Promise<CheckoutSession | null> {
    const session = await currentEntityManager(this.orm).findOne(CheckoutSession, {
      $or: [{ id: reference }, { _providerSessionId: reference } as never],
    });
    return session && restored(session);
  }

  findByProviderSessionId(gateway: PaymentGatewayName, providerSessionId: string): Promise<CheckoutSession | null> {
    return this.findOne({ gateway, _providerSessionId: providerSessionId } as FilterQuery<CheckoutSession>);
  }

  findByPaymentId(gateway: PaymentGatewayName, paymentId: string): Promise<CheckoutSession | null> {
    return this.findOne({ gateway, _providerPaymentId: paymentId } as FilterQuery<CheckoutSession>);
  }

  private async findOne(where: FilterQuery<CheckoutSession>): Promise<CheckoutSession | null> {
    const session = await currentEntityManager(this.orm).findOne(CheckoutSession, where);
    return session && restored(session);
  }

  findByIdForUpdate(id: string): Promise<CheckoutSession | null> {
    return this.findOneForUpdate({ id });
  }

  findByPaymentIdForUpdate(gateway: PaymentGatewayName, paymentId: string): Promise<CheckoutSession | null> {
    return this.findOneForUpdate({ gateway, _providerPaymentId: paymentId } as FilterQuery<CheckoutSession>);
  }

  private async findOneForUpdate(where: FilterQuery<CheckoutSession>): Promise<CheckoutSession | null> {
    // refresh: a copy already in the identity map may predate the lock; re-read it under the lock.
    const session = await currentEntityManager(this.orm).findOne(CheckoutSession, where, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
    return session && restored(session);
  }

  async listOpen(createdAfter: Date, createdBefore: Date, limit: number): Promise<CheckoutSession[]> {
    const sessions = await currentEntityManager(this.orm).find(
      CheckoutSession,
      { _status: 'open', createdAt: { $gt: createdAfter, $lt: createdBefore } } as never,
      { orderBy: { createdAt: 'asc' }, limit },
    );
    return sessions.map(restored);
  }

  findBySubscriptionId(gateway: PaymentGatewayName, subscriptionId: string): Promise<CheckoutSession | null> {
    return this.findOne({ gateway, purpose: 'plan', _providerSubscriptionId: subscriptionId } as FilterQuery<CheckoutSession>);
  }

  async listOpenPlanCheckouts(userId: string, limit: number): Promise<CheckoutSession[]> {
    const sessions = await currentEntityManager(this.orm).find(
      CheckoutSession,
      { userId, purpose: 'plan', _status: 'open', _providerSessionId: { $ne: null } } as never,
      { orderBy: { createdAt: 'asc', id: 'asc' }, limit },
    );
    return sessions.map(restored);
  }

  async listForUser(userId: string, limit: number): Promise<CheckoutSession[]> {
    const sessions = await currentEntityManager(this.orm).find(CheckoutSession, { userId }, { orderBy: { createdAt: 'desc', id: 'desc' }, limit });
    return sessions.map(restored);
  }

  async save(session: CheckoutSession): Promise<void> {
    session.assertInvariants();
    await currentEntityManager(this.orm).persist(session).flush();
  }

  async delete(session: CheckoutSession): Promise<void> {
    await currentEntityManager(this.orm).remove(session).flush();
  }
}
