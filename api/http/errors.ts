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
  readonly message?: unknown;
  readonly originalError?: unknown;
  readonly path?: readonly (string | number)[];
  readonly nodes?: unknown;
  readonly source?: unknown;
  readonly positions?: unknown;
  readonly extensions?: { readonly code?: unknown };
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
    if (isVariableRefusal(located)) {
      // graphql's refusal of a variable (wrong type, missing, out of range) says exactly what is
      // wrong and carries no code of its own: it is the caller's input, like our own refusals.
      return createGraphQLError(located.message, {
        nodes: located.nodes as never,
        source: located.source as never,
        positions: located.positions as never,
        extensions: { ...located.extensions, code: 'BAD_USER_INPUT' },
      });
    }
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

/** A request-level error (no path: no resolver ran) about a variable's value, with no code yet. */
function isVariableRefusal(error: LocatedError): error is LocatedError & { message: string } {
  return (
    error.path === undefined &&
    error.extensions?.code === undefined &&
    typeof error.message === 'string' &&
    error.message.startsWith('Variable "$') &&
    !(error.originalError instanceof BillingError)
  );
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
