import type { GraphQLError } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';

/** A document over a limit: refused whole, before anything runs. */
export function refusal(message: string): GraphQLError {
  return createGraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } } });
}
