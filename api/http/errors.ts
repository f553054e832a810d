import { createGraphQLError, maskError } from 'graphql-yoga';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { BillingError, InvalidInputError, OverloadedError, ProviderError, type ErrorCode } from '../../domain/shared/errors.ts';
import { currentRequestId, type Logger } from '../logger.ts';

/** The one place error codes become HTTP statuses. */
export const HTTP_STATUS_BY_CODE: Record<ErrorCode, ContentfulStatusCode> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INSUFFICIENT_FUNDS: 402,
  PROVIDER_ERROR: 502,
  UNAVAILABLE: 503,
};

/** How long a caller refused for overload is asked to wait before trying again (REST `Retry-After`). */
export const OVERLOAD_RETRY_AFTER_SECONDS = 1;

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

type LogSite = Readonly<Record<string, string>>;

/**
 * The one place error codes become GraphQL `extensions.code`. Our errors pass through with their
 * message; anything unexpected is masked, so no internal detail reaches a client. The resolver's
 * error is read off `originalError` by shape, not by `instanceof GraphQLError`, which is not
 * reliable where the graphql package is loaded twice (its ESM and CommonJS builds).
 *
 * Every error is logged here, once (see logRequestError): yoga's own report of a masked error is
 * not written (api/graphql/yoga.ts), and an error several fields of one request fail with (the
 * caller's refused token) is logged for the first of them.
 */
export function graphQLErrorMasker(logger: Logger) {
  const loggedIn = new WeakMap<object, string>();
  const logOnce = (error: unknown, site: LogSite) => {
    const requestId = currentRequestId();
    if (typeof error === 'object' && error !== null && requestId !== undefined) {
      if (loggedIn.get(error) === requestId) return;
      loggedIn.set(error, requestId);
    }
    logRequestError(logger, error, site);
  };
  return (error: unknown, message: string, isDev?: boolean): Error => {
    const located = (typeof error === 'object' && error !== null ? error : {}) as LocatedError;
    const original = located.originalError ?? error;
    const site: LogSite = located.path ? { graphqlPath: located.path.join('.') } : {};
    if (isVariableRefusal(located)) {
      // graphql's refusal of a variable (wrong type, missing, out of range) says exactly what is
      // wrong and carries no code of its own: it is the caller's input, like our own refusals.
      logRefusal(logger, { code: 'BAD_USER_INPUT', reason: located.message }, site);
      return createGraphQLError(located.message, {
        nodes: located.nodes as never,
        source: located.source as never,
        positions: located.positions as never,
        extensions: { ...located.extensions, code: 'BAD_USER_INPUT' },
      });
    }
    if (original instanceof BillingError) {
      logOnce(original, site);
      return createGraphQLError(original.message, {
        ...(located.path ? { path: located.path } : {}),
        extensions: {
          code: original.code,
          ...(original instanceof InvalidInputError ? { field: graphQLFieldName(original.field) } : {}),
        },
      });
    }
    const masked = maskError(error, message, isDev);
    // What passes unmasked is graphql's own refusal of the request (a document that does not parse), with its code.
    if (masked === error) logRefusal(logger, { code: String(located.extensions?.code ?? 'GRAPHQL_ERROR'), reason: String(located.message) }, site);
    else logOnce(original, site);
    return masked;
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

/**
 * Logs the error a request (or one GraphQL field) ended in, once, at the level it deserves: a
 * refusal the caller can act on (a BillingError: bad input, no token, no funds…) at info, with its
 * code and no stack; a provider's failure and an overload at warn, without a stack (under overload
 * there are many); anything else, a bug or an outage, at error with its stack. `site` says where:
 * the route or the field.
 */
export function logRequestError(logger: Logger, error: unknown, site: LogSite): void {
  if (error instanceof ProviderError) {
    logger.warn({ code: error.code, provider: error.provider, providerMessage: error.providerMessage, ...site }, 'payment provider error');
  } else if (error instanceof OverloadedError) {
    logger.warn({ code: error.code, reason: error.message, ...site }, 'overloaded: request refused');
  } else if (error instanceof BillingError) {
    logRefusal(logger, { code: error.code, reason: error.message, ...(error instanceof InvalidInputError ? { field: error.field } : {}) }, site);
  } else {
    logger.error({ err: error, ...site }, 'unexpected error');
  }
}

function logRefusal(logger: Logger, refusal: { code: string; reason: string; field?: string }, site: LogSite): void {
  logger.info({ ...refusal, ...site }, 'request refused');
}

/** Input names are snake_case in REST (`success_url`) and camelCase in GraphQL (`successUrl`). */
function graphQLFieldName(field: string): string {
  return field.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}
