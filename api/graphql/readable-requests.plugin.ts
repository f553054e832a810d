import type { GraphQLError } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';

/**
 * Yoga's request parsers let a malformed `variables` or `extensions` (in a GET query string or a
 * form body) escape as a bare SyntaxError, which it answers with 500. Every failure to read the
 * request becomes a 400 `BAD_REQUEST`, and a request no parser reads a JSON 415.
 */
export function useReadableRequests(): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, endResponse }) {
      // A form (or text/plain) body is what another site's page can post without a preflight, so
      // GraphQL takes none: a mutation comes as JSON, which a browser sends cross-origin only
      // after the CORS preflight, or not at all. A mutation in a GET's URL Yoga refuses (405).
      if (!requestParser || (request.method === 'POST' && FORM_BODY.test(request.headers.get('content-type') ?? ''))) {
        endResponse(
          Response.json(
            {
              errors: [
                {
                  message: 'send the query as JSON (Content-Type: application/json) or in the URL of a GET; form bodies are refused, so that no web page can post a mutation',
                  extensions: { code: 'BAD_REQUEST' },
                },
              ],
            },
            { status: 415 },
          ),
        );
        return;
      }
      const parse = requestParser;
      setRequestParser(async (request) => {
        try {
          return await parse(request);
        } catch (error) {
          throw unreadableRequest(error);
        }
      });
    },
  };
}

/** The bodies a browser posts cross-site with no preflight. */
const FORM_BODY = /^\s*(application\/x-www-form-urlencoded|multipart\/form-data|text\/plain)\b/i;

function unreadableRequest(error: unknown): unknown {
  if (isGraphQLError(error)) {
    const extensions = error.extensions as { code?: unknown; http?: { status?: unknown } };
    if (extensions.code !== undefined && extensions.http?.status !== undefined) return error;
    return createGraphQLError(error.message, { extensions: { ...error.extensions, code: extensions.code ?? 'BAD_REQUEST', http: { status: 400 } } });
  }
  if (error instanceof SyntaxError || error instanceof TypeError) {
    return createGraphQLError('the request could not be read: `variables` and `extensions` must be JSON objects', {
      extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
    });
  }
  return error;
}

/**
 * By name, not `instanceof`: graphql can be loaded twice (its production and development builds,
 * which vitest resolves for this project's own files), and a class of one is not the other's.
 * For the same reason the document limits (./limits/) take `validate` and `parse` from yoga (the
 * realm of the schema), and nothing made with graphql's classes there (its Lexer) reaches yoga.
 */
function isGraphQLError(error: unknown): error is GraphQLError {
  return error instanceof Error && error.name === 'GraphQLError';
}
