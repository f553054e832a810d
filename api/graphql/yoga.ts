import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import {
  getOperationAST,
  Kind,
  Lexer,
  Source,
  TokenKind,
  type DocumentNode,
  type FieldNode,
  type GraphQLError,
  type GraphQLField,
  type GraphQLFieldMap,
  type GraphQLNamedType,
  type GraphQLSchema,
  type GraphQLType,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { createGraphQLError, createYoga, type Plugin } from 'graphql-yoga';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../application/shared/pagination.ts';
import { isStorableText, STORABLE_TEXT_RULE } from '../../domain/shared/text.ts';
import type { Logger } from '../logger.ts';
import { graphQLErrorMasker } from '../http/errors.ts';
import { schema, type GraphQLContext } from './schema.ts';

export type ServerContext = Omit<GraphQLContext, 'request'>;

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

/** Tells the request's `operation` (for the metrics) which operation ran and whether its result had errors. */
function useObservedOperation(): Plugin<ServerContext> {
  return {
    onExecute({ args }) {
      const operation = getOperationAST(args.document, args.operationName);
      return {
        onExecuteDone({ result }) {
          const observed = (args.contextValue as Partial<ServerContext>).operation;
          if (observed) observed.executed = {
            name: operation?.name?.value,
            type: operation?.operation ?? 'unknown',
            hasErrors: 'errors' in result && (result.errors?.length ?? 0) > 0,
          };
        },
      };
    },
  };
}

/**
 * The token and nesting limits before parsing; the depth, alias and cost limits, one checkout
 * per request, the check of text PostgreSQL cannot store (and, with GraphiQL off, the refusal
 * of introspection) before graphql's own validation, which they replace for a refused document.
 */
export function useQueryLimits(limits: GraphQLLimits = GRAPHQL_LIMITS, options: { readonly introspection: boolean } = { introspection: true }): Plugin {
  const rules = [
    maxDepthRule(limits.depth),
    maxAliasesRule(limits.aliases),
    maxCostRule(limits.cost),
    oneCheckoutRule,
    storableTextRule,
    ...(options.introspection ? [] : [noIntrospectionRule]),
  ];
  const verdicts = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, readonly GraphQLError[]>>();
  return {
    onParams({ params }) {
      if (hasUnstorableText(params.variables)) throw unstorableTextRefusal();
    },
    onParse({ parseFn, setParseFn }) {
      setParseFn((source, options) => {
        const excess = lexicalExcess(typeof source === 'string' ? source : source.body, limits);
        if (excess) throw refusal(excess);
        return parseFn(source, { ...options, maxTokens: limits.tokens });
      });
    },
    onValidate({ params, validateFn, setResult }) {
      // Run first and alone: a document over a limit is not worth graphql's full validation
      // (whose overlapping-fields check is quadratic in repeated fields). Parsed documents are
      // cached, so the same query text comes back as the same document: judged once.
      let bySchema = verdicts.get(params.schema);
      if (!bySchema) verdicts.set(params.schema, (bySchema = new WeakMap()));
      const judged = bySchema.get(params.documentAST);
      const errors: readonly GraphQLError[] = judged ?? validateFn(params.schema, params.documentAST, rules);
      if (!judged) bySchema.set(params.documentAST, errors);
      if (errors.length > 0) setResult(errors);
    },
  };
}

export function maxDepthRule(max: number): ValidationRule {
  return limitRule((measure) => (measure.depth > max ? `the query is ${measure.depth} fields deep; the limit is ${max}` : null));
}

export function maxAliasesRule(max: number): ValidationRule {
  return limitRule((measure) => (measure.aliases > max ? `the query has ${measure.aliases} aliases; the limit is ${max}` : null));
}

export function maxCostRule(max: number): ValidationRule {
  return limitRule((measure) =>
    measure.cost > max ? `the query costs ${formatCost(measure.cost)}; the limit is ${max} (lower \`first\` or ask for fewer fields)` : null,
  );
}

/**
 * The mutations that open a checkout at a provider. One request opens at most one: a document
 * asking for two or more (aliases of one field included) is refused whole, before anything runs,
 * so that one request cannot open thirty provider checkouts.
 */
export const CHECKOUT_MUTATIONS: ReadonlySet<string> = new Set(['startDeposit', 'startPlanCheckout']);

const oneCheckoutRule: ValidationRule = (context) => ({
  OperationDefinition(operation) {
    if (operation.operation !== 'mutation') return false;
    const checkouts = new Set<string>();
    const seen = new Set<string>();
    // Root fields of the same response key are one field (graphql merges them): counted once.
    const collect = (set: SelectionSetNode): void => {
      for (const selection of set.selections) {
        if (selection.kind === Kind.FIELD) {
          if (CHECKOUT_MUTATIONS.has(selection.name.value)) checkouts.add(selection.alias?.value ?? selection.name.value);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          collect(selection.selectionSet);
        } else if (!seen.has(selection.name.value)) {
          seen.add(selection.name.value);
          const fragment = context.getFragment(selection.name.value);
          if (fragment) collect(fragment.selectionSet);
        }
      }
    };
    collect(operation.selectionSet);
    if (checkouts.size > 1) {
      context.reportError(
        createGraphQLError(`a request may open at most one checkout (${[...CHECKOUT_MUTATIONS].join(', ')}); this one asks for ${checkouts.size}: send one per request`, {
          extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
        }),
      );
    }
    return false;
  },
});

/** With GraphiQL off (GRAPHIQL=off, production's default), the schema is not handed out either. */
const noIntrospectionRule: ValidationRule = (context) => ({
  Field(node) {
    if (node.name.value === '__schema' || node.name.value === '__type') {
      context.reportError(refusal('introspection is off on this server (GRAPHIQL=off)'));
    }
  },
});

/**
 * PostgreSQL stores no NUL character in text, and no unpaired surrogate (`\ud800`, which JSON and
 * GraphQL escapes can carry) in json: no input of this service may hold either. A string literal
 * or a variable (keys included) with one is refused as bad input before anything runs.
 */
const storableTextRule: ValidationRule = (context) => ({
  StringValue(node) {
    if (!isStorableText(node.value)) context.reportError(unstorableTextRefusal());
  },
});

function unstorableTextRefusal(): GraphQLError {
  return createGraphQLError(`text must be ${STORABLE_TEXT_RULE}`, {
    extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
  });
}

/** Walks a JSON value without recursion: variables may nest as deep as the body limit allows. */
function hasUnstorableText(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === 'string') {
      if (!isStorableText(item)) return true;
    } else if (typeof item === 'object' && item !== null) {
      for (const [key, nested] of Object.entries(item)) {
        if (!isStorableText(key)) return true;
        pending.push(nested);
      }
    }
  }
  return false;
}

/**
 * Yoga's request parsers let a malformed `variables` or `extensions` (in a GET query string or a
 * form body) escape as a bare SyntaxError, which it answers with 500. Every failure to read the
 * request becomes a 400 `BAD_REQUEST`, and a request no parser reads a JSON 415.
 */
function useReadableRequests(): Plugin {
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
 * For the same reason this file takes `validate` and `parse` from yoga (the realm of the schema),
 * and nothing made with graphql's classes here (its Lexer) reaches yoga.
 */
function isGraphQLError(error: unknown): error is GraphQLError {
  return error instanceof Error && error.name === 'GraphQLError';
}

function refusal(message: string): GraphQLError {
  return createGraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } } });
}

const OPENING: ReadonlySet<string> = new Set([TokenKind.BRACE_L, TokenKind.BRACKET_L, TokenKind.PAREN_L]);
const CLOSING: ReadonlySet<string> = new Set([TokenKind.BRACE_R, TokenKind.BRACKET_R, TokenKind.PAREN_R]);

/**
 * Counts tokens the way graphql's parser does, and how deep brackets nest, without parsing;
 * says which limit the document is over, if any. A lexical error is left for the parser to report.
 */
function lexicalExcess(body: string, limits: Pick<GraphQLLimits, 'tokens' | 'nesting'>): string | null {
  const lexer = new Lexer(new Source(body));
  let count = 0;
  let open = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (++count > limits.tokens) return `the query has more than ${limits.tokens} tokens; the limit is ${limits.tokens}.`;
      if (OPENING.has(token.kind) && ++open > limits.nesting) {
        return `the query nests brackets more than ${limits.nesting} deep; the limit is ${limits.nesting}.`;
      }
      if (CLOSING.has(token.kind)) open = Math.max(0, open - 1);
    }
  } catch {
    return null;
  }
  return null;
}

interface Measure {
  readonly depth: number;
  readonly aliases: number;
  readonly cost: number;
}

const NOTHING: Measure = { depth: 0, aliases: 0, cost: 0 };
const measurers = new WeakMap<ValidationContext, QueryMeasurer>();

function limitRule(check: (measure: Measure) => string | null): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      let measurer = measurers.get(context);
      if (!measurer) measurers.set(context, (measurer = new QueryMeasurer(context)));
      const message = check(measurer.operation(operation));
      if (message) context.reportError(refusal(`${message}.`));
      return false;
    },
  });
}

/**
 * Depth, aliases and cost of each operation in one walk, with fragments expanded. A fragment is
 * measured once (its measure does not depend on where it is spread), so reuse is not exponential
 * work; a fragment cycle counts as nothing here, and graphql's NoFragmentCyclesRule refuses it.
 */
class QueryMeasurer {
  private readonly context: ValidationContext;
  private readonly fragments = new Map<string, Measure | 'measuring'>();
  private readonly operations = new Map<OperationDefinitionNode, Measure>();

  constructor(context: ValidationContext) {
    this.context = context;
  }

  operation(operation: OperationDefinitionNode): Measure {
    let measure = this.operations.get(operation);
    if (!measure) {
      const root = this.context.getSchema().getRootType(operation.operation) ?? undefined;
      this.operations.set(operation, (measure = this.selections(operation.selectionSet, root)));
    }
    return measure;
  }

  private selections(set: SelectionSetNode, parent: GraphQLNamedType | undefined): Measure {
    let depth = 0;
    let aliases = 0;
    let cost = 0;
    for (const selection of set.selections) {
      const measure =
        selection.kind === Kind.FIELD
          ? this.field(selection, parent)
          : selection.kind === Kind.INLINE_FRAGMENT
            ? this.selections(selection.selectionSet, selection.typeCondition ? this.type(selection.typeCondition.name.value) : parent)
            : this.fragment(selection.name.value);
      depth = Math.max(depth, measure.depth);
      aliases += measure.aliases;
      cost += measure.cost;
    }
    return { depth, aliases, cost };
  }

  private field(node: FieldNode, parent: GraphQLNamedType | undefined): Measure {
    const aliases = node.alias ? 1 : 0;
    if (!node.selectionSet) return { depth: 1, aliases, cost: 1 };
    const definition = parent && 'getFields' in parent ? (parent.getFields() as GraphQLFieldMap<unknown, unknown>)[node.name.value] : undefined;
    const inner = this.selections(node.selectionSet, definition ? namedType(definition.type) : undefined);
    const introspection = node.name.value === '__schema' || node.name.value === '__type';
    return {
      depth: introspection ? 1 : 1 + inner.depth,
      aliases: aliases + inner.aliases,
      cost: 1 + pageSize(node, definition) * inner.cost,
    };
  }

  private fragment(name: string): Measure {
    const known = this.fragments.get(name);
    if (known === 'measuring') return NOTHING;
    if (known) return known;
    const fragment = this.context.getFragment(name);
    if (!fragment) return NOTHING;
    this.fragments.set(name, 'measuring');
    const measure = this.selections(fragment.selectionSet, this.type(fragment.typeCondition.name.value));
    this.fragments.set(name, measure);
    return measure;
  }

  private type(name: string): GraphQLNamedType | undefined {
    return this.context.getSchema().getType(name) ?? undefined;
  }
}

/** The type under its list and non-null wrappers. */
function namedType(type: GraphQLType): GraphQLNamedType {
  let named: GraphQLType = type;
  while ('ofType' in named) named = named.ofType;
  return named;
}

/** How many times a field's sub-selection may be resolved: its page size when it is paginated. */
function pageSize(node: FieldNode, definition: GraphQLField<unknown, unknown> | undefined): number {
  const paginated = definition?.args.some((arg) => arg.name === 'first');
  const first = node.arguments?.find((argument) => argument.name.value === 'first')?.value;
  if (!paginated && !first) return 1;
  if (!first || first.kind === Kind.NULL) return DEFAULT_PAGE_SIZE;
  if (first.kind !== Kind.INT) return MAX_PAGE_SIZE;
  return Math.min(Math.max(Number.parseInt(first.value, 10), 1), MAX_PAGE_SIZE);
}

function formatCost(cost: number): string {
  return Number.isFinite(cost) && cost < 1e15 ? String(Math.round(cost)) : 'more than 10^15';
}
