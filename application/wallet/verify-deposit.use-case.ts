import { InvalidInputError } from '../../domain/shared/errors.ts';
import type { CheckoutCompletion } from '../billing/checkout-completion.service.ts';
import { parseSessionReference } from '../billing/verify-checkout-session.use-case.ts';

export interface DepositVerification {
  readonly deposited: boolean;
  /** What the wallet was (or will be) credited, in US cents. */
  readonly amountCents: number;
  readonly status: string;
}

/** `GET /api/balance/verify` as the edge received it. */
export interface VerifyDepositRequest {
  readonly userId: string;
  readonly sessionId: unknown;
}

export interface VerifyDepositInput {
  readonly userId: string;
  readonly sessionId: string;
}

export function parseVerifyDepositInput(request: VerifyDepositRequest): VerifyDepositInput {
  return { userId: request.userId, sessionId: parseSessionReference(request.sessionId) };
}

/**
 * After the redirect back: asks the provider whether the deposit was paid and credits the wallet
 * at once if so. Idempotent; the webhook credits through the same completion, once.
 */
export class VerifyDeposit {
  private readonly completion: CheckoutCompletion;

  constructor(completion: CheckoutCompletion) {
    this.completion = completion;
  }

  async execute(request: VerifyDepositRequest): Promise<DepositVerification> {
    const input = parseVerifyDepositInput(request);
    const session = await this.completion.findOwnSession(input.userId, input.sessionId);
    if (session.purpose !== 'deposit') {
      throw new InvalidInputError('session_id', 'this is a plan checkout session: verify it with GET /api/billing/verify-session');
    }
    const status = await this.completion.settle(session);
    return { deposited: status === 'completed', amountCents: session.usdAmount.amountMinor, status };
  }
}
