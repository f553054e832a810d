import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pooledQuery } from '../../adapters/persistence/bound-query.ts';
import type { Database } from '../../adapters/persistence/database.ts';
import { MikroOrmAccountPlanRepository } from '../../adapters/persistence/mikro-orm.account-plan.repository.ts';
import { MikroOrmPlanChangeRepository } from '../../adapters/persistence/mikro-orm.plan-change.repository.ts';
import { MikroOrmUnitOfWork } from '../../adapters/persistence/mikro-orm.unit-of-work.ts';
import { SqlInvoiceRepository } from '../../adapters/persistence/sql.invoice.repository.ts';
import { SqlPayoutRepository } from '../../adapters/persistence/sql.payout.repository.ts';
import type { PayoutTransfers } from '../../application/payouts/payout-transfers.service.ts';
import { ResendUnansweredPayouts } from '../../application/payouts/resend-unanswered-payouts.use-case.ts';
import { Invoice } from '../../domain/billing/invoice.entity.ts';
import { PlanChange } from '../../domain/billing/plan-change.entity.ts';
import { Payout } from '../../domain/payouts/payout.entity.ts';
import { CorruptRecordError } from '../../domain/shared/errors.ts';
import { Money } from '../../domain/shared/money.value-object.ts';
import { anAccountPlan, aUserId } from '../support/builders.ts';
import { BACKENDS, openTestDatabase } from '../support/databases.ts';

/**
 * A row changed behind the service's back (by hand, or by a bug) that breaks a rule of its
 * aggregate is refused when it is read, in the record's name, rather than handed on half valid.
 */
describe.each(BACKENDS)('rows that break a rule of their aggregate, on %s', (backend) => {
  let database: Database;

  beforeAll(async () => {
    database = await openTestDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  /** A statement of the test's own, past every repository and its checks. */
  const corrupt = (sql: string, parameters: unknown[]) => pooledQuery(database.orm, sql, parameters);

  async function aStoredPayout(): Promise<{ payouts: SqlPayoutRepository; payout: Payout }> {
    const payouts = new SqlPayoutRepository(database.orm);
    const creatorId = aUserId();
    const now = new Date();
    const account = await payouts.lockAccount(creatorId, 'stripe', now);
    account.linkProviderAccount(`acct_${creatorId}`, 'verified', now);
    await payouts.saveAccount(account);
    const payout = Payout.request({
      id: `po_${randomUUID()}`,
      creatorId,
      gateway: 'stripe',
      providerAccountId: `acct_${creatorId}`,
      amount: Money.of(2_500, 'USD'),
      payoutAmount: Money.of(2_500, 'USD'),
      fx: null,
      period: null,
      retryOf: null,
      createdAt: now,
    });
    expect(await payouts.add(payout)).toBe(true);
    return { payouts, payout };
  }

  it('refuses a paid payout that names no provider transfer, on every read, naming the payout', async () => {
    const { payouts, payout } = await aStoredPayout();
    expect((await payouts.find(payout.id))?.status).toBe('pending');

    await corrupt(`update payouts set status = 'paid' where id = $1`, [payout.id]);

    const refusal = `stored Payout ${payout.id} is refused: a payout paid names its provider transfer`;
    await expect(payouts.find(payout.id)).rejects.toThrow(refusal);
    await expect(new MikroOrmUnitOfWork(database.orm).transactional(() => payouts.findForUpdate(payout.id))).rejects.toThrow(refusal);
    await expect(payouts.list(payout.creatorId, { first: 10 })).rejects.toThrow(CorruptRecordError);
  });

  it("one corrupt unanswered payout does not hold up the resending of the others, however long it waits at the queue's head", async () => {
    const { payouts, payout: corrupted } = await aStoredPayout();
    const { payout: good } = await aStoredPayout();
    await corrupt(`update payouts set failure_reason = 'edited by hand', updated_at = updated_at - interval '1 hour' where id = $1`, [corrupted.id]);
    const sent: string[] = [];
    // What the resend hands each payout it could read to: here, a record of them.
    const transfers = { send: async (payout: Payout) => void sent.push(payout.id) } as unknown as PayoutTransfers;
    const inTenMinutes = { now: () => new Date(Date.now() + 10 * 60 * 1000) };

    const report = await new ResendUnansweredPayouts({ transfers, payouts, clock: inTenMinutes }).execute();

    expect(sent).toContain(good.id);
    expect(sent).not.toContain(corrupted.id);
    expect(report.failed).toBeGreaterThanOrEqual(1);
  });

  it('refuses a payout whose stored currency is not one, naming the payout', async () => {
    const { payouts, payout } = await aStoredPayout();

    await corrupt(`update payouts set payout_currency = 'EUR' where id = $1`, [payout.id]);

    await expect(payouts.find(payout.id)).rejects.toThrow(`stored Payout ${payout.id} is refused: unknown currency EUR`);
  });

  it('refuses a payout account that keeps a restriction reason while verified, naming the creator', async () => {
    const { payouts, payout } = await aStoredPayout();

    await corrupt(`update payout_accounts set restriction_reason = 'bank account closed' where creator_id = $1`, [payout.creatorId]);

    const refusal = `stored PayoutAccount ${payout.creatorId} is refused: only a restricted account keeps a restriction reason`;
    await expect(payouts.findAccount(payout.creatorId)).rejects.toThrow(refusal);
    await expect(payouts.findAccountByProviderId('stripe', payout.providerAccountId)).rejects.toThrow(refusal);
    await expect(new MikroOrmUnitOfWork(database.orm).transactional(() => payouts.lockAccount(payout.creatorId, 'stripe', new Date()))).rejects.toThrow(refusal);
  });

  it('refuses a payout account verified at no provider account, so no payout is ever sent to none', async () => {
    const { payouts, payout } = await aStoredPayout();

    await corrupt(`update payout_accounts set provider_account_id = null where creator_id = $1`, [payout.creatorId]);

    await expect(payouts.findAccount(payout.creatorId)).rejects.toThrow(
      `stored PayoutAccount ${payout.creatorId} is refused: an account verified at its provider names the provider account`,
    );
  });

  it('refuses an account plan updated before it was created, through MikroORM, on a plain and a locked read', async () => {
    const accounts = new MikroOrmAccountPlanRepository(database.orm);
    const plan = await accounts.insertIfAbsent(anAccountPlan().withSubscription().build());

    await corrupt(`update account_plans set updated_at = created_at - interval '1 day' where user_id = $1`, [plan.userId]);

    const refusal = `stored AccountPlan ${plan.userId} is refused: updated before created`;
    await expect(accounts.findByUserId(plan.userId)).rejects.toThrow(refusal);
    await expect(accounts.findBySubscriptionId('stripe', plan.providerSubscriptionId!)).rejects.toThrow(refusal);
    await expect(new MikroOrmUnitOfWork(database.orm).transactional(() => accounts.findByUserIdForUpdate(plan.userId))).rejects.toThrow(refusal);
  });

  it('refuses a plan change to a paid tier with no billing interval, through MikroORM', async () => {
    const plan = await new MikroOrmAccountPlanRepository(database.orm).insertIfAbsent(anAccountPlan().build());
    const changes = new MikroOrmPlanChangeRepository(database.orm);
    const change = PlanChange.record({
      id: `pc_${randomUUID()}`,
      userId: plan.userId,
      reason: 'checkout',
      from: { tier: 'free', billingInterval: null },
      to: { tier: 'pro', billingInterval: 'monthly' },
      reference: null,
      occurredAt: new Date(),
    });
    await changes.append(change);

    await corrupt(`update plan_changes set to_interval = null where id = $1`, [change.id]);

    await expect(changes.listForUser(plan.userId, 10)).rejects.toThrow(`stored PlanChange ${change.id} is refused: tier pro with billing interval null`);
  });

  it('refuses an invoice whose currency is not an upper-case ISO code, naming the invoice', async () => {
    const plan = await new MikroOrmAccountPlanRepository(database.orm).insertIfAbsent(anAccountPlan().withSubscription().build());
    const invoices = new SqlInvoiceRepository(database.orm);
    const invoice = Invoice.forRenewal({
      id: `in_${randomUUID()}`,
      userId: plan.userId,
      gateway: 'stripe',
      plan: { tier: 'pro', billingInterval: 'monthly' },
      payment: { paymentId: `pi_${randomUUID()}`, amountMinor: 1_900, currency: 'USD', receiptUrl: null, periodStart: null, periodEnd: null },
      now: new Date(),
    });
    expect(await invoices.add(invoice)).toBe(true);

    await corrupt(`update invoices set currency = 'usd' where id = $1`, [invoice.id]);

    await expect(invoices.findByProviderPayment('stripe', invoice.providerPaymentId)).rejects.toThrow(
      `stored Invoice ${invoice.id} is refused: an invoice currency is an upper-case ISO code, got usd`,
    );
  });
});
