import type { PayoutRepository } from '../../application/payouts/payout.repository.ts';
import type { Page, PageRequest } from '../../application/shared/pagination.ts';
import type { PaymentGatewayName } from '../../domain/billing/plan.value-objects.ts';
import { PayoutAccount, type PayoutFrequency } from '../../domain/payouts/payout-account.entity.ts';
import type { Payout } from '../../domain/payouts/payout.entity.ts';
import { InvalidInputError } from '../../domain/shared/errors.ts';
import { decodeCursor, encodeCursor } from '../shared/cursor.ts';
import { copyEntity } from './entity-copy.ts';

/** Payouts in memory; locking is the in-memory unit of work's one-at-a-time. */
export class InMemoryPayoutRepository implements PayoutRepository {
  private readonly accounts = new Map<string, PayoutAccount>();
  private readonly payouts = new Map<string, Payout>();

  async findAccount(creatorId: string): Promise<PayoutAccount | null> {
    const account = this.accounts.get(creatorId);
    return account ? copyEntity(account) : null;
  }

  async lockAccount(creatorId: string, gateway: PaymentGatewayName, now: Date): Promise<PayoutAccount> {
    if (!this.accounts.has(creatorId)) this.accounts.set(creatorId, PayoutAccount.open(creatorId, gateway, now));
    return copyEntity(this.accounts.get(creatorId)!);
  }

  findAccountByProviderIdForUpdate(gateway: PaymentGatewayName, providerAccountId: string): Promise<PayoutAccount | null> {
    return this.findAccountByProviderId(gateway, providerAccountId);
  }

  async findAccountByProviderId(gateway: PaymentGatewayName, providerAccountId: string): Promise<PayoutAccount | null> {
    const found = [...this.accounts.values()].find((a) => a.gateway === gateway && a.providerAccountId === providerAccountId);
    return found ? copyEntity(found) : null;
  }

  async saveAccount(account: PayoutAccount): Promise<void> {
    account.assertInvariants();
    this.accounts.set(account.creatorId, copyEntity(account));
  }

  async add(payout: Payout): Promise<boolean> {
    payout.assertInvariants();
    const taken = [...this.payouts.values()].some(
      (p) => (payout.period !== null && p.creatorId === payout.creatorId && p.period === payout.period) || (payout.retryOf !== null && p.retryOf === payout.retryOf),
    );
    if (taken) return false;
    this.payouts.set(payout.id, copyEntity(payout));
    return true;
  }

  async save(payout: Payout): Promise<void> {
    payout.assertInvariants();
    this.payouts.set(payout.id, copyEntity(payout));
  }

  async find(id: string): Promise<Payout | null> {
    const payout = this.payouts.get(id);
    return payout ? copyEntity(payout) : null;
  }

  findForUpdate(id: string): Promise<Payout | null> {
    return this.find(id);
  }

  async findRetryOf(payoutId: string): Promise<Payout | null> {
    const found = [...this.payouts.values()].find((p) => p.retryOf === payoutId);
    return found ? copyEntity(found) : null;
  }

  async findByTransfer(gateway: PaymentGatewayName, transferId: string): Promise<Payout | null> {
    const found = [...this.payouts.values()].find((p) => p.gateway === gateway && p.providerTransferId === transferId);
    return found ? copyEntity(found) : null;
  }

  async list(creatorId: string, page: PageRequest): Promise<Page<Payout>> {
    let mine = [...this.payouts.values()].filter((p) => p.creatorId === creatorId).sort((a, b) => (a.id < b.id ? 1 : -1));
    if (page.after !== undefined) {
      const [after] = decodeCursor(page.after) ?? [];
      if (typeof after !== 'string') throw new InvalidInputError('after', 'after is not a cursor from this list');
      mine = mine.filter((p) => p.id < after);
    }
    return {
      hasNextPage: mine.length > page.first,
      items: mine.slice(0, page.first).map((p) => ({ cursor: encodeCursor([p.id]), node: copyEntity(p) })),
    };
  }

  async scheduledCreators(frequency: Exclude<PayoutFrequency, 'manual'>, period: string, afterCreatorId: string | null, limit: number): Promise<string[]> {
    const paid = new Set([...this.payouts.values()].filter((p) => p.period === period).map((p) => p.creatorId));
    return [...this.accounts.values()]
      .filter((a) => a.frequency === frequency && a.onboardingStatus === 'verified' && !paid.has(a.creatorId) && (afterCreatorId === null || a.creatorId > afterCreatorId))
      .map((a) => a.creatorId)
      .sort()
      .slice(0, limit);
  }

  async unansweredIds(triedBefore: Date, createdAfter: Date, limit: number): Promise<string[]> {
    return this.longestWaiting((p) => p.status === 'pending' && p.updatedAt < triedBefore && p.createdAt > createdAfter, limit);
  }

  async inTransitIds(movedBefore: Date, limit: number): Promise<string[]> {
    return this.longestWaiting((p) => p.status === 'in_transit' && p.updatedAt < movedBefore, limit);
  }

  private longestWaiting(waiting: (payout: Payout) => boolean, limit: number): string[] {
    return [...this.payouts.values()]
      .filter(waiting)
      .sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime())
      .slice(0, limit)
      .map((p) => p.id);
  }
}
