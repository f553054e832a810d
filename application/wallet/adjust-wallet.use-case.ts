import { InvalidInputError } from '../../domain/shared/errors.ts';
import { Money } from '../../domain/shared/money.value-object.ts';
import { parseIdentifier, parseReason } from '../../domain/shared/text.ts';
import { adjustmentTransfer, MAX_ADJUSTMENT_CENTS, WALLET_CURRENCY } from '../../domain/wallet/wallet-rules.ts';
import { requireRole } from '../shared/authorization.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { IdGenerator } from '../shared/id-generator.port.ts';
import type { Requester } from '../shared/requester.ts';
import type { UnitOfWork } from '../shared/unit-of-work.port.ts';
import type { WalletLedger } from './wallet-ledger.port.ts';
import type { WalletView } from './wallet-queries.service.ts';

/** An admin's correction of a wallet, with their id and reason on the transfer. */
export class AdjustWallet {
  private readonly deps: Readonly<{ ledger: WalletLedger; uow: UnitOfWork; ids: IdGenerator; clock: Clock }>;

  constructor(deps: AdjustWallet['deps']) {
    this.deps = deps;
  }

  async execute(input: { requester: Requester; userId: unknown; amountCents: unknown; reason: unknown }): Promise<WalletView> {
    requireRole(input.requester, 'admin');
    const userId = parseIdentifier(input.userId, 'user_id');
    const amount = input.amountCents;
    if (typeof amount !== 'number' || !Number.isInteger(amount) || amount === 0 || Math.abs(amount) > MAX_ADJUSTMENT_CENTS) {
      throw new InvalidInputError('amount_cents', `amount_cents must be a non-zero whole number of cents within ±${MAX_ADJUSTMENT_CENTS}`);
    }
    const reason = parseReason(input.reason, 'the wallet is corrected');
    await this.deps.uow.transactional(() =>
      this.deps.ledger.post(
        adjustmentTransfer({
          transferId: this.deps.ids.next(),
          userId,
          amount: Money.of(amount, WALLET_CURRENCY),
          actorId: input.requester.userId,
          reason,
          now: this.deps.clock.now(),
        }),
      ),
    );
    const wallet = await this.deps.ledger.wallet(userId);
    return { userId, balance: wallet.balance, flagged: wallet.flagged };
  }
}
