import {
  Kind,
  type FieldNode,
  type GraphQLField,
  type GraphQLFieldMap,
  type GraphQLNamedType,
  type GraphQLType,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../../application/shared/pagination.ts';
import { refusal } from './refusal.ts';

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
