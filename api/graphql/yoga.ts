import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga } from 'graphql-yoga';
import type { Logger } from '../logger.ts';
import { graphQLErrorMasker } from '../http/errors.ts';
import type { ServerContext } from './builder.ts';
import { GRAPHQL_LIMITS, useQueryLimits, type GraphQLLimits } from './limits/index.ts';
import { useObservedOperation } from './observed-operation.plugin.ts';
import { useReadableRequests } from './readable-requests.plugin.ts';
import { schema } from './schema.ts';

/** How this server's GraphQL meets browsers and tools. */
export interface GraphQLEdgeOptions {
  /** GraphiQL on GET and introspection (GRAPHIQL); off, both are refused. */
  readonly graphiql: boolean;
  readonly limits?: GraphQLLimits;
}

/** What GraphiQL opens with: a query of real fields, and where the caller's token goes. */
export const GRAPHIQL_DEFAULT_QUERY = `# Put a token in the Authorization header below: npm run -s token -- --user <id>
query Account {
  billing { planTier paymentGateway status billingInterval currentPeriodEnd }
  wallet { balanceCents currency flagged }
  plans { tier billingInterval amountMinor currency }
}
`;
export const GRAPHIQL_HEADERS = JSON.stringify({ Authorization: 'Bearer <token from npm run -s token -- --user <id>>' }, null, 2);

export function createGraphQLHandler(logger: Logger, options: GraphQLEdgeOptions) {
  const limits = options.limits ?? GRAPHQL_LIMITS;
  return createYoga<ServerContext>({
    schema,
    graphqlEndpoint: '/graphql',
    // GraphiQL's assets are served from this server, so the page works with no network.
    renderGraphiQL,
    graphiql: options.graphiql ? { title: 'Billing service', defaultQuery: GRAPHIQL_DEFAULT_QUERY, headers: GRAPHIQL_HEADERS } : false,
    landingPage: false,
    // The HTTP edge answers CORS for REST and GraphQL alike (api/http/cors.ts); Yoga's own would reflect any origin.
    cors: false,
    // The schema takes no uploads: a multipart body is refused like any other unsupported type.
    multipart: false,
    maskedErrors: { maskError: graphQLErrorMasker(logger) },
    // Answers are built with the running Response class (under the HTTP server, the Node adapter's
    // own, which writes a string body straight to the socket) rather than yoga's fetch ponyfill,
    // whose responses the adapter could only copy out through a web stream.
    fetchAPI: { Response: globalThis.Response },
    // The HTTP edge refuses bodies over MAX_BODY_BYTES before yoga runs (api/http/app.ts). Yoga's
    // own limit would pipe every body through a TransformStream into a new Request.
    maxRequestBodySize: false,
    plugins: [useReadableRequests(), useQueryLimits(limits, { introspection: options.graphiql }), useObservedOperation()],
    logging: {
      debug: (...args) => logger.debug({ args }, 'graphql'),
      info: (...args) => logger.info({ args }, 'graphql'),
      warn: (...args) => logger.warn({ args }, 'graphql'),
      // Yoga reports here only an error its masking replaced, with the message doubled (graphql's
      // error repeats its cause's) and a stack even for a refusal; graphQLErrorMasker has already
      // logged that error once, at its own level (api/http/errors.ts).
      error: () => {},
    },
  });
}
