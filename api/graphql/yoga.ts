import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga } from 'graphql-yoga';
import type { Logger } from '../logger.ts';
import { graphQLErrorMasker } from '../http/errors.ts';
import { schema, type GraphQLContext } from './schema.ts';

export type ServerContext = Omit<GraphQLContext, 'request'>;

export function createGraphQLHandler(logger: Logger) {
  return createYoga<ServerContext>({
    schema,
    graphqlEndpoint: '/graphql',
    // GraphiQL's assets are served from this server, so the page works with no network.
    renderGraphiQL,
    graphiql: { title: 'Billing service' },
    landingPage: false,
    maskedErrors: { maskError: graphQLErrorMasker(logger) },
    logging: {
      debug: (...args) => logger.debug({ args }, 'graphql'),
      info: (...args) => logger.info({ args }, 'graphql'),
      warn: (...args) => logger.warn({ args }, 'graphql'),
      error: (...args) => logger.error({ args }, 'graphql'),
    },
  });
}
