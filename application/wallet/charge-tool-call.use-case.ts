import { splitMarketplaceFee } from '../../domain/wallet/marketplace-fee.policy.ts';
import { MAX_TOOL_PRICE_CENTS, parsePositiveCents, toolChargeTransfer, type ToolCharge } from '../../domain/wallet/wallet-rules.ts';
import { ConflictError } from '../../domain/shared/errors.ts';
import type { Money } from '../../domain/shared/money.value-object.ts';
import { parseIdentifier } from '../../domain/shared/text.ts';
import { requireRole } from '../shared/authorization.ts';
import type { Clock } from '../shared/clock.port.ts';
import type { IdGenerator } from '../shared/id-generator.port.ts';
import type { Requester } from '../shared/requester.ts';
import type { WalletLedger } from './wallet-ledger.port.ts';

export interface ChargeToolCallInput {
  readonly requester: Requester;
  readonly consumerId: unknown;
  readonly creatorId: unknown;
  readonly toolId: unknown;
  readonly priceCents: unknown;
  readonly idempotencyKey: unknown;
}

export interface ChargeToolCallResult {
  readonly chargeId: string;
  readonly walletBalance: Money;
  readonly replayed: boolean;
}

/**
 * The marketplace hot path: a paid tool call debits the consumer's wallet and credits the
 * creator and the platform fee, in one short transaction. The same idempotency key returns the
 * first charge; the same key for a different call is a conflict, never a second charge.
 */
export class ChargeToolCall {
  private readonly deps: Readonly<{ ledger: WalletLedger; feeBps: number; ids: IdGenerator; clock: Clock }>;

  constructor(deps: ChargeToolCall['deps']) {
    this.deps = deps;
  }

  async execute(input: ChargeToolCallInput): Promise<ChargeToolCallResult> {
    requireRole(input.requester, 'service');
    const price = parsePositiveCents(input.priceCents, 'price_cents', MAX_TOOL_PRICE_CENTS);
    const charge: ToolCharge = {
      id: this.deps.ids.next(),
      idempotencyKey: parseIdentifier(input.idempotencyKey, 'idempotency_key'),
      consumerId: parseIdentifier(input.consumerId, 'consumer_id'),
      creatorId: parseIdentifier(input.creatorId, 'creator_id'),
      toolId: parseIdentifier(input.toolId, 'tool_id'),
      price,
      split: splitMarketplaceFee(price, this.deps.feeBps),
      createdAt: this.deps.clock.now(),
    };
    const recorded = await this.deps.ledger.chargeToolCall(charge, toolChargeTransfer(charge, this.deps.ids.next()));
    if (
      recorded.replayed &&
      (recorded.consumerId !== charge.consumerId ||
        recorded.creatorId !== charge.creatorId ||
        recorded.toolId !== charge.toolId ||
        !recorded.price.equals(charge.price))
    ) {
      throw new ConflictError('this idempotency key was used for a different tool call; use a new key for a new call');
    }
    return { chargeId: recorded.chargeId, walletBalance: recorded.walletBalance, replayed: recorded.replayed };
  }
}
