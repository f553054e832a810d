import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { UnitOfWork } from '../../application/shared/unit-of-work.port.ts';
import type { LedgerCheckResult } from '../../application/wallet/ledger-audit.port.ts';
import type { WalletLedger } from '../../application/wallet/wallet-ledger.port.ts';
import { LedgerTransfer } from '../../domain/ledger/ledger-transfer.entity.ts';
import { LedgerAccount } from '../../domain/ledger/ledger-account.ts';
import { InsufficientFundsError, InvalidInputError } from '../../domain/shared/errors.ts';
import { Money } from '../../domain/shared/money.value-object.ts';
import { splitMarketplaceFee } from '../../domain/wallet/marketplace-fee.policy.ts';
import { adjustmentTransfer, depositReversalTransfer, depositTransfer, toolChargeTransfer, type ToolCharge } from '../../domain/wallet/wallet-rules.ts';
import { UuidV7IdGenerator } from '../../adapters/system/uuid-v7.id-generator.ts';
import { aUserId } from '../support/builders.ts';

const ids = new UuidV7IdGenerator();
const FEE_BPS = 2_000;

export interface LedgerSetup {
  readonly ledger: WalletLedger;
  readonly uow: UnitOfWork;
  /** Every transfer touching the account, newest first: read by the test, as no port answers it. */
  readonly transfersOf: (account: LedgerAccount, limit: number) => Promise<readonly LedgerTransfer[]>;
  /** The auditor's rules about the ledger's own tables, where it is stored in SQL: the broken ones. */
  readonly audit?: () => Promise<readonly LedgerCheckResult[]>;
}

function aCharge(consumerId: string, creatorId: string, priceCents: number, idempotencyKey = ids.next()): ToolCharge {
  const price = Money.of(priceCents, 'USD');
  return { id: ids.next(), idempotencyKey, consumerId, creatorId, toolId: 'tool-1', price, split: splitMarketplaceFee(price, FEE_BPS), createdAt: new Date() };
}

async function deposit(setup: LedgerSetup, userId: string, cents: number): Promise<void> {
  await setup.uow.transactional(() =>
    setup.ledger.post(
      depositTransfer({ transferId: ids.next(), userId, provider: 'stripe', credit: Money.of(cents, 'USD'), checkoutSessionId: ids.next(), fx: null, now: new Date() }),
    ),
  );
}

function charge(setup: LedgerSetup, consumerId: string, creatorId: string, cents: number, key?: string) {
  const toolCharge = aCharge(consumerId, creatorId, cents, key);
  return setup.ledger.chargeToolCall(toolCharge, toolChargeTransfer(toolCharge, ids.next()));
}

/** An amount the ledger answered, in US cents once its currency is checked: the ledger holds no other. */
function usCents(money: Money): number {
  expect(money.currency).toBe('USD');
  return money.amountMinor;
}

/** Sums every entry of an account from its transfers, independently of the ledger's own balance. */
async function sumOfEntries(setup: LedgerSetup, account: LedgerAccount): Promise<number> {
  const transfers = await setup.transfersOf(account, 10_000);
  return transfers.reduce((sum, transfer) => sum + transfer.entryFor(account), 0);
}

/**
 * What every WalletLedger must do: in memory and on PostgreSQL and PGlite. Creators get a
 * fresh id per test; the platform's fee account is shared, so tests compare its movements.
 */
export function runWalletLedgerContract(name: string, make: () => LedgerSetup, options: { concurrency: number }): void {
  describe(`WalletLedger contract: ${name}`, () => {
    it('credits a deposit to the wallet, from the provider clearing account', async () => {
      const setup = make();
      const userId = aUserId();

      await deposit(setup, userId, 2_500);

      expect(await setup.ledger.wallet(userId)).toEqual({ balance: Money.of(2_500, 'USD'), flagged: false });
      expect(usCents(await setup.ledger.balance(LedgerAccount.wallet(userId)))).toBe(2_500);
      expect(await sumOfEntries(setup, LedgerAccount.wallet(userId))).toBe(2_500);
    });

    it('debits the consumer and credits the creator and the platform fee, to the cent', async () => {
      const setup = make();
      const [consumer, creator] = [aUserId(), aUserId()];
      await deposit(setup, consumer, 1_000);
      const feesBefore = usCents(await setup.ledger.balance(LedgerAccount.platformFees));

      const result = await charge(setup, consumer, creator, 999);

      expect(result).toMatchObject({ walletBalance: Money.of(1, 'USD'), replayed: false, price: Money.of(999, 'USD') });
      expect(usCents(await setup.ledger.balance(LedgerAccount.creatorBalance(creator)))).toBe(800);
      expect(usCents(await setup.ledger.balance(LedgerAccount.platformFees)) - feesBefore).toBe(199);
    });

    it('refuses a charge the wallet cannot pay and writes nothing', async () => {
      const setup = make();
      const [consumer, creator] = [aUserId(), aUserId()];
      await deposit(setup, consumer, 500);

      await expect(charge(setup, consumer, creator, 501)).rejects.toThrow(InsufficientFundsError);
      await expect(charge(setup, aUserId(), creator, 1)).rejects.toThrow(InsufficientFundsError);

      expect(usCents((await setup.ledger.wallet(consumer)).balance)).toBe(500);
      expect(await setup.transfersOf(LedgerAccount.creatorBalance(creator), 10)).toEqual([]);
    });

    it('returns the first charge for a repeated idempotency key and debits once', async () => {
      const setup = make();
      const [consumer, creator] = [aUserId(), aUserId()];
      await deposit(setup, consumer, 1_000);

      const first = await charge(setup, consumer, creator, 300, `key-${consumer}`);
      const again = await charge(setup, consumer, creator, 300, `key-${consumer}`);

      expect(again).toEqual({ ...first, replayed: true });
      expect(usCents((await setup.ledger.wallet(consumer)).balance)).toBe(700);
    });

    it(`charges exactly the ${options.concurrency / 2} of ${options.concurrency} concurrent calls the wallet can pay for`, async () => {
      const setup = make();
      const [consumer, creator] = [aUserId(), aUserId()];
      const price = 100;
      await deposit(setup, consumer, (price * options.concurrency) / 2);
      const feesBefore = usCents(await setup.ledger.balance(LedgerAccount.platformFees));

      const outcomes = await Promise.allSettled(Array.from({ length: options.concurrency }, () => charge(setup, consumer, creator, price)));

      const charged = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
      expect(charged).toHaveLength(options.concurrency / 2);
      expect(refused.every((outcome) => outcome.reason instanceof InsufficientFundsError)).toBe(true);
      expect(usCents((await setup.ledger.wallet(consumer)).balance)).toBe(0);
      const creatorCents = usCents(await setup.ledger.balance(LedgerAccount.creatorBalance(creator)));
      const feeCents = usCents(await setup.ledger.balance(LedgerAccount.platformFees)) - feesBefore;
      expect(creatorCents + feeCents).toBe((price * options.concurrency) / 2);
      expect(creatorCents).toBe(80 * (options.concurrency / 2));
    });

    it('debits once when 20 calls with the same idempotency key arrive together', async () => {
      const setup = make();
      const [consumer, creator] = [aUserId(), aUserId()];
      await deposit(setup, consumer, 10_000);

      const results = await Promise.all(Array.from({ length: 20 }, () => charge(setup, consumer, creator, 250, `same-${consumer}`)));

      expect(new Set(results.map((result) => result.chargeId)).size).toBe(1);
      expect(results.filter((result) => !result.replayed)).toHaveLength(1);
      expect(usCents((await setup.ledger.wallet(consumer)).balance)).toBe(9_750);
    });

    it('refuses a correction that would take a wallet below zero, but lets a reversal do so and flags it', async () => {
      const setup = make();
      const userId = aUserId();
      await deposit(setup, userId, 1_000);
      const correction = (cents: number) =>
        adjustmentTransfer({ transferId: ids.next(), userId, amount: Money.of(cents, 'USD'), actorId: 'admin-1', reason: 'test', now: new Date() });

      await expect(setup.uow.transactional(() => setup.ledger.post(correction(-1_001)))).rejects.toThrow(InsufficientFundsError);
      await setup.uow.transactional(() => setup.ledger.post(correction(-1_001), { allowNegativeWallet: true }));

      expect(await setup.ledger.wallet(userId)).toEqual({ balance: Money.of(-1, 'USD'), flagged: true });
      expect(await sumOfEntries(setup, LedgerAccount.wallet(userId))).toBe(-1);
    });

    it('pages wallet entries newest first with cursors, and refuses a cursor it did not make', async () => {
      const setup = make();
      const [consumer, creator] = [aUserId(), aUserId()];
      await deposit(setup, consumer, 1_000);
      for (const cents of [100, 200, 300]) await charge(setup, consumer, creator, cents);

      const first = await setup.ledger.entries(LedgerAccount.wallet(consumer), { first: 2 });
      const second = await setup.ledger.entries(LedgerAccount.wallet(consumer), { first: 2, after: first.items.at(-1)!.cursor });

      expect(first.items.map((item) => usCents(item.node.amount))).toEqual([-300, -200]);
      expect(first.hasNextPage).toBe(true);
      expect(second.items.map((item) => [item.node.kind, usCents(item.node.amount)])).toEqual([
        ['tool_charge', -100],
        ['deposit', 1_000],
      ]);
      expect(second.hasNextPage).toBe(false);
      await expect(setup.ledger.entries(LedgerAccount.wallet(consumer), { first: 2, after: 'bm90IGEgY3Vyc29y' })).rejects.toThrow(InvalidInputError);
    });

    it('keeps every invariant over random sequences of deposits, charges, repeated keys and corrections', async () => {
      const operation = fc.oneof(
        fc.record({ op: fc.constant('deposit' as const), user: fc.nat(2), cents: fc.integer({ min: 500, max: 50_000 }) }),
        fc.record({ op: fc.constant('charge' as const), user: fc.nat(2), creator: fc.nat(1), cents: fc.integer({ min: 1, max: 20_000 }), key: fc.nat(5) }),
        fc.record({ op: fc.constant('adjust' as const), user: fc.nat(2), cents: fc.integer({ min: -5_000, max: 5_000 }).filter((c) => c !== 0) }),
        fc.record({ op: fc.constant('roll_up' as const), limit: fc.integer({ min: 1, max: 5 }) }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 25 }), async (operations) => {
          const setup = make();
          const run = aUserId();
          const users = [0, 1, 2].map((i) => `${run}-consumer-${i}`);
          const creators = [0, 1].map((i) => `${run}-creator-${i}`);
          const expected = new Map(users.map((user) => [user, 0]));
          const keys = new Map<string, number>();

          for (const operation of operations) {
            if (operation.op === 'roll_up') {
              await setup.ledger.rollUpBalances(operation.limit);
              continue;
            }
            const user = users[operation.user]!;
            if (operation.op === 'deposit') {
              await deposit(setup, user, operation.cents);
              expected.set(user, expected.get(user)! + operation.cents);
            } else if (operation.op === 'charge') {
              // Keys are the consumer's own: the same key from another consumer is another charge.
              const key = `${run}-key-${operation.key}`;
              const wallet = expected.get(user)!;
              try {
                const result = await charge(setup, user, creators[operation.creator]!, operation.cents, key);
                if (!result.replayed) {
                  expect(keys.has(`${user}/${key}`)).toBe(false);
                  keys.set(`${user}/${key}`, operation.cents);
                  expected.set(user, wallet - operation.cents);
                }
              } catch (error) {
                expect(error).toBeInstanceOf(InsufficientFundsError);
                expect(wallet < operation.cents).toBe(true);
              }
            } else {
              const transfer = adjustmentTransfer({ transferId: ids.next(), userId: user, amount: Money.of(operation.cents, 'USD'), actorId: 'admin', reason: 'property', now: new Date() });
              try {
                await setup.uow.transactional(() => setup.ledger.post(transfer));
                expected.set(user, expected.get(user)! + operation.cents);
              } catch (error) {
                expect(error).toBeInstanceOf(InsufficientFundsError);
              }
            }
          }

          for (const user of users) {
            const wallet = await setup.ledger.wallet(user);
            expect(usCents(wallet.balance)).toBe(expected.get(user));
            expect(usCents(wallet.balance)).toBeGreaterThanOrEqual(0);
            expect(await sumOfEntries(setup, LedgerAccount.wallet(user))).toBe(usCents(wallet.balance));
            for (const transfer of await setup.transfersOf(LedgerAccount.wallet(user), 10_000)) {
              expect(transfer.entries.reduce((sum, entry) => sum + entry.amountMinor, 0)).toBe(0);
            }
          }
          let creatorTotal = 0;
          for (const creator of creators) {
            const balance = usCents(await setup.ledger.balance(LedgerAccount.creatorBalance(creator)));
            expect(await sumOfEntries(setup, LedgerAccount.creatorBalance(creator))).toBe(balance);
            creatorTotal += balance;
          }
          const charged = [...keys.values()].reduce((sum, cents) => sum + cents, 0);
          const fees = [...keys.values()].reduce((sum, cents) => sum + splitMarketplaceFee(Money.of(cents, 'USD'), FEE_BPS).fee.amountMinor, 0);
          expect(creatorTotal + fees).toBe(charged);
        }),
        { numRuns: 25 },
      );
    }, 120_000);

    it('keeps every invariant with charges, payouts, refunds and roll-ups running at once, and the auditor finds nothing', async () => {
      const operation = fc.oneof(
        { arbitrary: fc.record({ op: fc.constant('charge' as const), user: fc.nat(2), creator: fc.nat(1), cents: fc.integer({ min: 1, max: 3_000 }), key: fc.nat(4) }), weight: 4 },
        fc.record({ op: fc.constant('payout' as const), creator: fc.nat(1), cents: fc.integer({ min: 1, max: 2_000 }) }),
        fc.record({ op: fc.constant('refund' as const), user: fc.nat(2), cents: fc.integer({ min: 1, max: 4_000 }) }),
        fc.record({ op: fc.constant('roll_up' as const), limit: fc.integer({ min: 1, max: 20 }) }),
      );
      // Rounds of operations sent together, one round after another.
      const rounds = fc.array(fc.array(operation, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 4 });
      await fc.assert(
        fc.asyncProperty(rounds, async (rounds) => {
          const setup = make();
          const run = aUserId();
          const users = [0, 1, 2].map((i) => `${run}-consumer-${i}`);
          const creators = [0, 1].map((i) => `${run}-creator-${i}`);
          const wallets = new Map(users.map((user) => [user, 5_000]));
          const earned = new Map(creators.map((creator) => [creator, 0]));
          const charged = new Set<string>();
          let fees = 0;
          const feesBefore = usCents(await setup.ledger.balance(LedgerAccount.platformFees));
          for (const user of users) await deposit(setup, user, 5_000);
          // A creator's payouts one at a time, as the creator's lock makes them in the service.
          const payoutsOf = new Map(creators.map((creator) => [creator, Promise.resolve()]));

          const apply = async (operation: (typeof rounds)[number][number]): Promise<void> => {
            if (operation.op === 'roll_up') {
              await setup.ledger.rollUpBalances(operation.limit);
            } else if (operation.op === 'charge') {
              const [user, creator] = [users[operation.user]!, creators[operation.creator]!];
              const toolCharge = aCharge(user, creator, operation.cents, `${run}-key-${operation.key}`);
              try {
                const result = await setup.ledger.chargeToolCall(toolCharge, toolChargeTransfer(toolCharge, ids.next()));
                if (result.replayed) return;
                expect(charged.has(`${user}/${toolCharge.idempotencyKey}`)).toBe(false);
                charged.add(`${user}/${toolCharge.idempotencyKey}`);
                wallets.set(user, wallets.get(user)! - operation.cents);
                earned.set(creator, earned.get(creator)! + toolCharge.split.creatorShare.amountMinor);
                fees += toolCharge.split.fee.amountMinor;
              } catch (error) {
                expect(error).toBeInstanceOf(InsufficientFundsError);
              }
            } else if (operation.op === 'refund') {
              const user = users[operation.user]!;
              const reversal = depositReversalTransfer({ transferId: ids.next(), userId: user, provider: 'stripe', takenBackCents: operation.cents, checkoutSessionId: ids.next(), reason: 'refund', now: new Date() });
              await setup.uow.transactional(() => setup.ledger.post(reversal, { allowNegativeWallet: true }));
              wallets.set(user, wallets.get(user)! - operation.cents);
            } else {
              const creator = creators[operation.creator]!;
              const paid = payoutsOf.get(creator)!.then(async () => {
                const available = usCents(await setup.ledger.balance(LedgerAccount.creatorBalance(creator)));
                if (available < operation.cents) return;
                const payout = LedgerTransfer.create({
                  id: ids.next(),
                  kind: 'payout',
                  currency: 'USD',
                  entries: [
                    { account: LedgerAccount.creatorBalance(creator), amountMinor: -operation.cents },
                    { account: LedgerAccount.payoutsInFlight(creator), amountMinor: operation.cents },
                  ],
                  reference: ids.next(),
                  createdAt: new Date(),
                });
                await setup.uow.transactional(() => setup.ledger.post(payout));
                earned.set(creator, earned.get(creator)! - operation.cents);
              });
              payoutsOf.set(creator, paid);
              await paid;
            }
          };
          for (const round of rounds) await Promise.all(round.map(apply));

          for (const user of users) {
            const wallet = await setup.ledger.wallet(user);
            expect(usCents(wallet.balance)).toBe(wallets.get(user));
            expect(usCents(wallet.balance) >= 0 || wallet.flagged).toBe(true);
            expect(usCents(await setup.ledger.balance(LedgerAccount.wallet(user)))).toBe(usCents(wallet.balance));
          }
          for (const creator of creators) {
            const balance = usCents(await setup.ledger.balance(LedgerAccount.creatorBalance(creator)));
            expect(balance).toBe(earned.get(creator));
            expect(balance).toBeGreaterThanOrEqual(0);
            expect(await sumOfEntries(setup, LedgerAccount.creatorBalance(creator))).toBe(balance);
          }
          expect(usCents(await setup.ledger.balance(LedgerAccount.platformFees)) - feesBefore).toBe(fees);
          expect(await setup.audit?.()).toEqual(setup.audit ? [] : undefined);
        }),
        { numRuns: Number(process.env['LEDGER_MODEL_RUNS'] ?? 15) },
      );
    }, 180_000);
  });
}
