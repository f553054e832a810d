import { z } from 'zod';

/**
 * Pieces the providers' wire schemas share. A provider id is text PostgreSQL can store (no control
 * characters, no unpaired surrogates) of a bounded length, since ids end up in text columns.
 */
export const MAX_PROVIDER_ID_LENGTH = 255;

/** Short text that goes into a text column: no control characters (PostgreSQL refuses NUL), no unpaired surrogates. */
export const storableText = z
  .string()
  .min(1)
  .max(MAX_PROVIDER_ID_LENGTH)
  .refine((text) => text.isWellFormed() && !/[\u0000-\u001f\u007f]/.test(text), { message: 'text with control characters (NUL among them) or an unpaired surrogate' });

export const providerId = storableText;

/**
 * A JSON object whose fields are read (and checked) by a schema of their own later: checked to be
 * an object without walking its keys, which for a provider's 5 KB object is most of the cost.
 */
export const jsonObject = z.custom<Record<string, unknown>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), {
  message: 'expected an object',
});

/** Metadata or notes: an object of strings, or Razorpay's `[]` when empty; values that are not text are dropped. */
export const looseNotes = z
  .unknown()
  .transform((value): Record<string, string> =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'))
      : {},
  );

/** Our own id as a hint carried in metadata or notes: kept only when it could be one of ours. */
export function hintIn(notes: Readonly<Record<string, string>>, key: string): string | null {
  const value = notes[key];
  return value !== undefined && providerId.safeParse(value).success ? value : null;
}

/** Parses a provider's answer; a shape we cannot read is reported with the first problem's path. */
export function parseAnswer<T>(schema: z.ZodType<T>, value: unknown, onProblem: (problem: string) => Error): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw onProblem(`${issue?.path.join('.') || 'the answer'}: ${issue?.message ?? 'unreadable'}`);
}

/** Seconds since the epoch, as both providers send times, as a Date. */
export const epochSeconds = z
  .number()
  .int()
  .min(0)
  .max(253_402_300_799)
  .transform((seconds) => new Date(seconds * 1000));
