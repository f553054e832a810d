import type { DocumentNode, GraphQLError, GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { GRAPHQL_LIMITS, type GraphQLLimits } from './graphql-limits.ts';
import { lexicalExcess } from './lexical-limits.ts';
import { noIntrospectionRule } from './no-introspection.rule.ts';
import { oneCheckoutRule } from './one-checkout.rule.ts';
import { maxAliasesRule, maxCostRule, maxDepthRule } from './query-measure.rules.ts';
import { refusal } from './refusal.ts';
import { hasUnstorableText, storableTextRule, unstorableTextRefusal } from './storable-text.rule.ts';

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
