import type { GraphQLError, ValidationRule } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';
import { isStorableText, STORABLE_TEXT_RULE } from '../../../domain/shared/text.ts';

/**
 * PostgreSQL stores no NUL character in text, and no unpaired surrogate (`\ud800`, which JSON and
 * GraphQL escapes can carry) in json: no input of this service may hold either. A string literal
 * or a variable (keys included) with one is refused as bad input before anything runs.
 */
export const storableTextRule: ValidationRule = (context) => ({
  StringValue(node) {
    if (!isStorableText(node.value)) context.reportError(unstorableTextRefusal());
  },
});

export function unstorableTextRefusal(): GraphQLError {
  return createGraphQLError(`text must be ${STORABLE_TEXT_RULE}`, {
    extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
  });
}

/** Walks a JSON value without recursion: variables may nest as deep as the body limit allows. */
export function hasUnstorableText(value: unknown): boolean {
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
