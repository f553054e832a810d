/**
 * What one GraphQL document may ask for, checked before anything executes; a document over a
 * limit is refused whole with `GRAPHQL_VALIDATION_FAILED` and a message naming the limit.
 * Generous for real dashboards: the README's wallet + developer balance query has depth 5,
 * no aliases, 57 tokens and costs 330 (1,610 with `first: 100` on both lists); GraphiQL's
 * introspection query has 181 tokens and costs 227. A query of 2,000 aliases has at least 6,000
 * tokens: the token limit refuses it before it is even parsed.
 *
 * - `depth`: nesting of fields (`{ wallet { balanceCents } }` is 2). Fragments add no depth of
 *   their own. Introspection (`__schema`, `__type`) counts as 1: graphql's own
 *   MaxIntrospectionDepthRule bounds its nesting.
 * - `aliases`: aliased fields in the operation, fragments counted at every spread.
 * - `tokens`: lexical tokens of the whole document, comments not counted; refused before parsing.
 * - `nesting`: brackets open at once (`{`, `[`, `(`), also before parsing: graphql's parser is
 *   recursive, and an object literal 1,600 levels deep (4,800 tokens) overflowed its stack.
 * - `cost`: every field costs 1; a field's sub-selection is added, multiplied by its page size
 *   when it takes `first` (the literal value, clamped to 1…MAX_PAGE_SIZE; MAX_PAGE_SIZE when it
 *   is a variable; DEFAULT_PAGE_SIZE when absent).
 *
 * The @escape.tech/graphql-armor-* envelop plugins are not used: they import graphql@16, so the
 * GraphQLError they throw is not graphql@17's, and yoga answered every refusal with a 500 (its
 * max-tokens plugin also parses with graphql@16's parser). These are the same limits as graphql's
 * own ValidationRules, plus the lexical checks, in `useQueryLimits`.
 */
export const GRAPHQL_LIMITS = {
  depth: 10,
  aliases: 30,
  tokens: 5_000,
  nesting: 64,
  cost: 5_000,
} as const;

export type GraphQLLimits = { readonly [K in keyof typeof GRAPHQL_LIMITS]: number };
