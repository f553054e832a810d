import { Kind, type SelectionSetNode, type ValidationRule } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';

/**
 * The mutations that open a checkout at a provider. One request opens at most one: a document
 * asking for two or more (aliases of one field included) is refused whole, before anything runs,
 * so that one request cannot open thirty provider checkouts.
 */
export const CHECKOUT_MUTATIONS: ReadonlySet<string> = new Set(['startDeposit', 'startPlanCheckout']);

export const oneCheckoutRule: ValidationRule = (context) => ({
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
