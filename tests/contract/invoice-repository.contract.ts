import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AccountPlanRepository } from '../../application/billing/account-plan.repository.ts';
import type { CheckoutSessionRepository } from '../../application/billing/checkout-session.repository.ts';
import type { InvoiceRepository } from '../../application/billing/invoice.repository.ts';
import type { UnitOfWork } from '../../application/shared/unit-of-work.port.ts';
import { CheckoutSession } from '../../domain/billing/checkout-session.entity.ts';
import { Invoice, type InvoicePayment } from '../../domain/billing/invoice.entity.ts';
import { InvalidInputError } from '../../domain/shared/errors.ts';
import { FxRate } from '../../domain/shared/fx-rate.value-object.ts';
import { Money } from '../../domain/shared/money.value-object.ts';
import { aPlanCheckout, anAccountPlan } from '../support/builders.ts';

export interface InvoiceRepositories {
  readonly invoices: InvoiceRepository;
  readonly accounts: AccountPlanRepository;
  readonly sessions: CheckoutSessionRepository;
  readonly uow: UnitOfWork;
}

const T0 = new Date('2026-12-01T10:00:00.000Z');
const MINUTE_MS = 60_000;

/** What every InvoiceRepository must do, in memory and in SQL. */
export function runInvoiceRepositoryContract(name: string, make: () => InvoiceRepositories, options: { readonly concurrency: number }): void {
  async function anAccount(repositories: InvoiceRepositories, country = 'US'): Promise<string> {
    return (await repositories.accounts.insertIfAbsent(anAccountPlan().inCountry(country).build())).userId;
  }

  /** A completed checkout of the user's, stored: a plan by default, or a deposit (in INR with `inr`). */
  async function aCompletedCheckout(repositories: InvoiceRepositories, userId: string, kind: 'plan' | 'deposit' = 'plan', inr = false): Promise<CheckoutSession> {
    const fx = inr ? FxRate.of({ from: 'USD', to: 'INR', rateMicros: 83_250_000, source: 'configured', quotedAt: new Date('2026-12-01T09:59:59.123Z') }) : null;
    const credit = Money.of(2_500, 'USD');
    const session =
      kind === 'plan'
        ? aPlanCheckout().forUser(userId).build()
        : CheckoutSession.forDeposit({
            id: randomUUID(),
            userId,
            gateway: inr ? 'razorpay' : 'stripe',
            amount: fx ? fx.convert(credit) : credit,
            fx,
            credit,
            successUrl: 'https://app.aerostack.dev/settings/billing?deposit=1',
            cancelUrl: 'https://app.aerostack.dev/settings/billing',
            now: T0,
          });
    await repositories.sessions.insert(session);
    session.attachProviderSession(`cs_${session.id}`);
    session.complete(T0, `pay_${session.id}`);
    await repositories.sessions.save(session);
    return session;
  }

  const payment = (overrides: Partial<InvoicePayment> = {}): InvoicePayment => ({
    paymentId: `in_${randomUUID()}`,
    amountMinor: 4_900,
    currency: 'USD',
    receiptUrl: 'https://invoice.stripe.com/i/acct_1/test_abc?s=ap',
    periodStart: new Date('2026-12-01T10:00:00.000Z'),
    periodEnd: new Date('2026-12-31T10:00:00.000Z'),
    ...overrides,
  });

  const aRenewal = (userId: string, now: Date, overrides: Partial<InvoicePayment> = {}) =>
    Invoice.forRenewal({ id: randomUUID(), userId, gateway: 'stripe', plan: { tier: 'pro', billingInterval: 'monthly' }, payment: payment(overrides), now });

  async function everyPage(invoices: InvoiceRepository, userId: string, first: number): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let after: string | undefined;
    for (let pages = 1; pages <= 100; pages++) {
      const page = await invoices.listForUser(userId, { first, after });
      ids.push(...page.items.map((item) => item.node.id));
      if (!page.hasNextPage) return { ids, pages };
      after = page.items.at(-1)!.cursor;
    }
    throw new Error('more than 100 pages');
  }

  describe(`invoice repository contract: ${name}`, () => {
    it('keeps a checkout invoice as it was written: plan, amount, FX snapshot to the millionth and the millisecond, period and receipt URL', async () => {
      const repositories = make();
      const userId = await anAccount(repositories, 'IN');
      const session = await aCompletedCheckout(repositories, userId, 'deposit', true);
      const invoice = Invoice.forCheckout({ id: randomUUID(), session, payment: payment({ paymentId: `pay_${session.id}`, amountMinor: session.amountMinor, currency: 'INR', periodStart: null, periodEnd: null }), now: T0 });

      expect(await repositories.uow.transactional(() => repositories.invoices.add(invoice))).toBe(true);
      const [stored] = (await repositories.invoices.listForUser(userId, { first: 10 })).items;

      expect(stored!.node).toMatchObject({
        id: invoice.id,
        kind: 'deposit',
        status: 'paid',
        gateway: 'razorpay',
        amountMinor: 208_125,
        currency: 'INR',
        fx: { rateMicros: 83_250_000, source: 'configured', quotedAt: new Date('2026-12-01T09:59:59.123Z'), baseAmountMinor: 2_500 },
        tier: null,
        providerPaymentId: `pay_${session.id}`,
        receiptUrl: 'https://invoice.stripe.com/i/acct_1/test_abc?s=ap',
        checkoutSessionId: session.id,
        createdAt: T0,
      });
      expect(await repositories.invoices.findByProviderPayment('razorpay', `pay_${session.id}`)).toMatchObject({ id: invoice.id });
    });

    it('stores one invoice per provider payment and per checkout, whatever id a second writer gives it', async () => {
      const repositories = make();
      const userId = await anAccount(repositories);
      const session = await aCompletedCheckout(repositories, userId);
      const first = Invoice.forCheckout({ id: randomUUID(), session, payment: payment({ paymentId: 'in_first' + session.id }), now: T0 });
      const samePayment = aRenewal(userId, T0, { paymentId: 'in_first' + session.id });
      const sameCheckout = Invoice.forCheckout({ id: randomUUID(), session, payment: payment(), now: T0 });

      const added = await repositories.uow.transactional(async () => [
        await repositories.invoices.add(first),
        await repositories.invoices.add(samePayment),
        await repositories.invoices.add(sameCheckout),
      ]);

      expect(added).toEqual([true, false, false]);
      expect((await repositories.invoices.listForUser(userId, { first: 10 })).items.map((item) => item.node.id)).toEqual([first.id]);
    });

    it(`records a payment once when ${options.concurrency} writers add it at once`, async () => {
      const repositories = make();
      const userId = await anAccount(repositories);
      const paymentId = `in_${randomUUID()}`;

      const added = await Promise.all(
        Array.from({ length: options.concurrency }, () => repositories.uow.transactional(() => repositories.invoices.add(aRenewal(userId, T0, { paymentId })))),
      );

      expect(added.filter(Boolean)).toHaveLength(1);
      expect((await repositories.invoices.listForUser(userId, { first: 100 })).items).toHaveLength(1);
    });

    it('pages through a user’s invoices newest first, ties in time by id, every one once, and only theirs', async () => {
      const repositories = make();
      const userId = await anAccount(repositories);
      const other = await anAccount(repositories);
      const written: Invoice[] = [];
      for (let n = 0; n < 7; n++) {
        // Pairs share a creation time: the id orders them.
        written.push(aRenewal(userId, new Date(T0.getTime() + Math.floor(n / 2) * MINUTE_MS)));
      }
      await repositories.uow.transactional(async () => {
        for (const invoice of [...written].reverse()) await repositories.invoices.add(invoice);
        await repositories.invoices.add(aRenewal(other, new Date(T0.getTime() + 10 * MINUTE_MS)));
      });
      const expected = [...written].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1)).map((invoice) => invoice.id);

      const byThree = await everyPage(repositories.invoices, userId, 3);
      const all = await repositories.invoices.listForUser(userId, { first: 100 });

      expect(byThree).toEqual({ ids: expected, pages: 3 });
      expect(all.hasNextPage).toBe(false);
      expect(all.items.map((item) => item.node.id)).toEqual(expected);
      expect(all.items.every((item) => item.node.userId === userId)).toBe(true);
    });

    it("answers a cursor that is not one of this list's with BAD_USER_INPUT on after", async () => {
      const repositories = make();
      const userId = await anAccount(repositories);
      const junk = ['', 'not-a-cursor', Buffer.from('["x"]').toString('base64url'), Buffer.from('[1, 2]').toString('base64url'), Buffer.from('["2026-13-45T99:00:00.000Z", "a"]').toString('base64url')];

      for (const after of junk) {
        const error = await repositories.invoices.listForUser(userId, { first: 5, after }).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(InvalidInputError);
        expect(error).toMatchObject({ field: 'after' });
      }
    });

    it("follows a deposit's refunds and disputes as its session records them, and reads the status back", async () => {
      const repositories = make();
      const userId = await anAccount(repositories);
      const session = await aCompletedCheckout(repositories, userId, 'deposit');
      const invoice = Invoice.forCheckout({ id: randomUUID(), session, payment: payment({ periodStart: null, periodEnd: null }), now: T0 });
      await repositories.uow.transactional(() => repositories.invoices.add(invoice));
      const statuses: string[] = [];

      const charged = (minor: number) => Money.of(minor, session.currency);
      for (const state of [{ refunded: charged(1_000) }, { disputed: charged(1_500) }, { disputed: charged(0) }, { refunded: charged(2_500) }]) {
        session.recordReversal(state);
        await repositories.uow.transactional(async () => {
          const locked = (await repositories.invoices.findByCheckoutSessionForUpdate(session.id))!;
          if (locked.followReversal(session.depositReversal, new Date(T0.getTime() + MINUTE_MS))) await repositories.invoices.save(locked);
        });
        statuses.push((await repositories.invoices.findByProviderPayment('stripe', invoice.providerPaymentId))!.status);
      }

      expect(statuses).toEqual(['partially_refunded', 'disputed', 'partially_refunded', 'refunded']);
    });
  });
}
