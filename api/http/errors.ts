import { createGraphQLError, maskError } from 'graphql-yoga';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { BillingError, InvalidInputError, ProviderError, type ErrorCode } from '../../domain/shared/errors.ts';
import type { Logger } from '../logger.ts';

/** The one place error codes become HTTP statuses. */
export const HTTP_STATUS_BY_CODE: Record<ErrorCode, ContentfulStatusCode> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INSUFFICIENT_FUNDS: 402,
  PROVIDER_ERROR: 502,
};

/** The REST body of an error: `{ "error": "…", "code": "…", "field"?: "…" }`. */
export function restErrorBody(error: BillingError): { error: string; code: ErrorCode; field?: string } {
  return {
    error: error.message,
    code: error.code,
    ...(error instanceof InvalidInputError ? { field: error.field } : {}),
  };
}

interface LocatedError {
  readonly originalError?: unknown;
  readonly path?: readonly (string | number)[];
}

/**
 * The one place error codes become GraphQL `extensions.code`. Our errors pass through with their
 * message; anything unexpected is masked, so no internal detail reaches a client. The resolver's
 * error is read off `originalError` by shape, not by `instanceof GraphQLError`, which is not
 * reliable where the graphql package is loaded twice (its ESM and CommonJS builds).
 */
export function graphQLErrorMasker(logger: Logger) {
  return (error: unknown, message: string, isDev?: boolean): Error => {
    const located = (typeof error === 'object' && error !== null ? error : {}) as LocatedError;
    const original = located.originalError ?? error;
    logProviderError(logger, original);
    if (!(original instanceof BillingError)) return maskError(error, message, isDev);
    return createGraphQLError(original.message, {
      ...(located.path ? { path: located.path } : {}),
      extensions: {
        code: original.code,
        ...(original instanceof InvalidInputError ? { field: graphQLFieldName(original.field) } : {}),
      },
    });
  };
}

/** A provider's refusal is an operational event: keep the provider's own words in the log. */
export function logProviderError(logger: Logger, error: unknown): void {
  if (error instanceof ProviderError) {
    logger.warn({ provider: error.provider, providerMessage: error.providerMessage }, 'payment provider error');
  }
}

/** Input names are snake_case in REST (`success_url`) and camelCase in GraphQL (`successUrl`). */
function graphQLFieldName(field: string): string {
  return field.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}
