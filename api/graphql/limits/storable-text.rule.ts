import type { GraphQLError, ValidationRule } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';

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

const isStorableText = (text: string) => text.isWellFormed() && !text.includes('\u0000');

export function unstorableTextRefusal(): GraphQLError {
  return createGraphQLError('text must be well-formed Unicode without the NUL character (\\u0000) or unpaired surrogates (\\ud800)', {
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
