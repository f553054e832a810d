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

/** `chargeToolCall` as the edge received it. */
export interface ChargeToolCallRequest {
  readonly requester: Requester;
  readonly consumerId: unknown;
  readonly creatorId: unknown;
  readonly toolId: unknown;
  readonly priceCents: unknown;
  readonly idempotencyKey: unknown;
}

export interface ChargeToolCallInput {
  readonly requester: Requester;
  readonly consumerId: string;
  readonly creatorId: string;
  readonly toolId: string;
  readonly price: Money;
  readonly idempotencyKey: string;
}

export function parseChargeToolCallInput(request: ChargeToolCallRequest): ChargeToolCallInput {
  const price = parsePositiveCents(request.priceCents, 'price_cents', MAX_TOOL_PRICE_CENTS);
  const idempotencyKey = parseIdentifier(request.idempotencyKey, 'idempotency_key');
  const consumerId = parseIdentifier(request.consumerId, 'consumer_id');
  const creatorId = parseIdentifier(request.creatorId, 'creator_id');
  const toolId = parseIdentifier(request.toolId, 'tool_id');
  return { requester: request.requester, consumerId, creatorId, toolId, price, idempotencyKey };
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

  async execute(request: ChargeToolCallRequest): Promise<ChargeToolCallResult> {
    requireRole(request.requester, 'service');
    const input = parseChargeToolCallInput(request);
    const charge: ToolCharge = {
      id: this.deps.ids.next(),
      idempotencyKey: input.idempotencyKey,
      consumerId: input.consumerId,
      creatorId: input.creatorId,
      toolId: input.toolId,
      price: input.price,
      split: splitMarketplaceFee(input.price, this.deps.feeBps),
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
