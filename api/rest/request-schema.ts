import { z } from 'zod';
import { InvalidInputError } from '../../domain/shared/errors.ts';

/** The rule that refuses a field in its own words: it throws (a BillingError) for a value it refuses. */
export type Refusal = (raw: unknown, field: string) => unknown;

const refusals = new WeakMap<z.ZodType, Refusal>();

/**
 * A field's schema (what the OpenAPI document shows and the route parses) refused in the words of
 * `refusal`: the domain's own check where there is one, so REST and GraphQL refuse a value alike.
 */
export function refusedAs<S extends z.ZodType>(schema: S, refusal: Refusal): S {
  refusals.set(schema, refusal);
  return schema;
}

/** A refusal that is only a sentence, for fields no domain rule checks (the sandbox's options). */
export function saying(sentence: (field: string) => string): Refusal {
  return (_raw, field) => {
    throw new InvalidInputError(field, sentence(field));
  };
}

/**
 * A route's input (JSON body, form fields, query or path parameters) parsed with its schema. The
 * first field refused is a BAD_USER_INPUT naming it, in its refusal's words, or in zod's where a
 * field has none (or its rule accepts what the schema does not).
 */
export function parseRequest<S extends z.ZodObject>(schema: S, input: Readonly<Record<string, unknown>>): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = typeof issue.path[0] === 'string' ? issue.path[0] : 'body';
  const fieldSchema = schema.shape[field] as z.ZodType | undefined;
  const refusal = fieldSchema && refusals.get(fieldSchema);
  refusal?.(input[field], field);
  throw new InvalidInputError(field, issue.message);
}

/** The body of every refusal: what is wrong, its stable code, and the input field at fault when there is one. */
export const ErrorBody = z
  .object({
    error: z.string().meta({ description: 'What is wrong, in a sentence.' }),
    code: z.string().meta({ description: 'A stable code: BAD_USER_INPUT, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, CONFLICT, INSUFFICIENT_FUNDS, PROVIDER_ERROR …', example: 'BAD_USER_INPUT' }),
    field: z.string().optional().meta({ description: 'The input field at fault (BAD_USER_INPUT).' }),
  })
  .meta({ id: 'Error' });
