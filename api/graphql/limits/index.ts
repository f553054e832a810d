export { GRAPHQL_LIMITS, type GraphQLLimits } from './graphql-limits.ts';
export { CHECKOUT_MUTATIONS } from './one-checkout.rule.ts';
export { useQueryLimits } from './query-limits.plugin.ts';
