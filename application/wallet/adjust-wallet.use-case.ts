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

/** `adjustWallet` as the edge received it. */
export interface AdjustWalletRequest {
  readonly requester: Requester;
  readonly userId: unknown;
  readonly amountCents: unknown;
  readonly reason: unknown;
}

export interface AdjustWalletInput {
  readonly requester: Requester;
  readonly userId: string;
  /** Signed: positive credits the wallet, negative debits it. */
  readonly amount: Money;
  readonly reason: string;
}

export function parseAdjustWalletInput(request: AdjustWalletRequest): AdjustWalletInput {
  const userId = parseIdentifier(request.userId, 'user_id');
  const cents = request.amountCents;
  if (typeof cents !== 'number' || !Number.isInteger(cents) || cents === 0 || Math.abs(cents) > MAX_ADJUSTMENT_CENTS) {
    throw new InvalidInputError('amount_cents', `amount_cents must be a non-zero whole number of cents within ±${MAX_ADJUSTMENT_CENTS}`);
  }
  const reason = parseReason(request.reason, 'the wallet is corrected');
  return { requester: request.requester, userId, amount: Money.of(cents, WALLET_CURRENCY), reason };
}

/** An admin's correction of a wallet, with their id and reason on the transfer. */
export class AdjustWallet {
  private readonly deps: Readonly<{ ledger: WalletLedger; uow: UnitOfWork; ids: IdGenerator; clock: Clock }>;

  constructor(deps: AdjustWallet['deps']) {
    this.deps = deps;
  }

  async execute(request: AdjustWalletRequest): Promise<WalletView> {
    requireRole(request.requester, 'admin');
    const input = parseAdjustWalletInput(request);
    await this.deps.uow.transactional(() =>
      this.deps.ledger.post(
        adjustmentTransfer({
          transferId: this.deps.ids.next(),
          userId: input.userId,
          amount: input.amount,
          actorId: input.requester.userId,
          reason: input.reason,
          now: this.deps.clock.now(),
        }),
      ),
    );
    const wallet = await this.deps.ledger.wallet(input.userId);
    return { userId: input.userId, balance: wallet.balance, flagged: wallet.flagged };
  }
}
