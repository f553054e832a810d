/**
 * Every error a caller can act on carries a stable code. The edge (GraphQL and REST) maps
 * codes to `extensions.code` and HTTP status in one place; nothing below it knows about either.
 */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'INSUFFICIENT_FUNDS'
  | 'PROVIDER_ERROR'
  | 'UNAVAILABLE';

export abstract class BillingError extends Error {
  abstract readonly code: ErrorCode;
}

/** Input that breaks a rule; `field` names the input it is about, as the caller spelled it. */
export class InvalidInputError extends BillingError {
  readonly code = 'BAD_USER_INPUT';
  readonly field: string;

  constructor(field: string, message: string) {
    super(message);
    this.name = 'InvalidInputError';
    this.field = field;
  }
}

export class NotFoundError extends BillingError {
  readonly code = 'NOT_FOUND';
  override readonly name = 'NotFoundError';
}

export class ConflictError extends BillingError {
  readonly code = 'CONFLICT';
  override readonly name: string = 'ConflictError';
}

/** A wallet cannot pay: nothing was debited. */
export class InsufficientFundsError extends BillingError {
  readonly code = 'INSUFFICIENT_FUNDS';
  override readonly name = 'InsufficientFundsError';
}

/**
 * What a provider reports cannot be trusted for the record it names: a payment of another amount
 * or currency than we asked for, a checkout or transfer we did not open for it. Nothing is applied;
 * a person looks at it. A conflict for a caller (verify-session), a failed event for the inbox.
 */
export class UntrustedProviderStateError extends ConflictError {
  override readonly name = 'UntrustedProviderStateError';
}

export class ForbiddenError extends BillingError {
  readonly code = 'FORBIDDEN';
  override readonly name = 'ForbiddenError';
}

export class UnauthenticatedError extends BillingError {
  readonly code = 'UNAUTHENTICATED';
  override readonly name = 'UnauthenticatedError';
}

/**
 * Something that must never happen did: a bug or corrupt data, never bad input.
 * It is deliberately not a BillingError, so the edge answers it as an internal error.
 */
export class InvariantViolation extends Error {
  override readonly name: string = 'InvariantViolation';
}

export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantViolation(message);
}

/**
 * A stored record that breaks a rule of its aggregate (a row changed by hand, or written by a
 * bug): refused when it is read, naming the record, rather than handed on half valid.
 */
export class CorruptRecordError extends InvariantViolation {
  override readonly name: string = 'CorruptRecordError';
  readonly aggregate: string;
  readonly recordId: string;

  constructor(aggregate: string, recordId: string, cause: unknown) {
    super(`stored ${aggregate} ${recordId} is refused: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.aggregate = aggregate;
    this.recordId = recordId;
  }
}

/**
 * Builds or checks a record read back from storage: each rule asserted right before writing is
 * asserted again right after reading. Building a record from its fields reads nothing else, so
 * whatever it throws is the record's fault, and is reported as that record's corruption.
 */
export function restoring<T>(aggregate: string, recordId: string, restore: () => T): T {
  try {
    return restore();
  } catch (error) {
    if (error instanceof CorruptRecordError) throw error;
    throw new CorruptRecordError(aggregate, recordId, error);
  }
}

/**
 * The service has more work waiting than it takes on: nothing was done, and the same call (with
 * the same idempotency key) can be sent again in a moment. Not the caller's fault, and not a bug.
 */
export class OverloadedError extends BillingError {
  readonly code = 'UNAVAILABLE';
  override readonly name: string = 'OverloadedError';
}

/**
 * A payment provider refused or failed a call. The provider's own words are kept for the log;
 * callers see a message that names the provider and what we were doing.
 */
export class ProviderError extends BillingError {
  readonly code = 'PROVIDER_ERROR';
  override readonly name: string = 'ProviderError';
  readonly provider: string;
  readonly providerMessage: string;

  constructor(provider: string, action: string, providerMessage: string) {
    super(`${provider} could not ${action}: ${providerMessage}`);
    this.provider = provider;
    this.providerMessage = providerMessage;
  }
}

/**
 * The provider refused a payout for good (a restricted account, a minimum, an invalid bank
 * account): repeating it will not help. The payout fails with `providerMessage` as its reason and
 * the money goes back to the creator's balance; any other ProviderError leaves it to be retried.
 */
export class PayoutRefusedError extends ProviderError {
  override readonly name: string = 'PayoutRefusedError';
}
