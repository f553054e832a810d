import { z } from 'zod';
import { InvalidInputError } from '../../domain/shared/errors.ts';
import { isPlainText } from '../../domain/shared/text.ts';

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
  .refine(isPlainText, { message: 'text with control characters (NUL among them) or an unpaired surrogate' });

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

/** A delivery's raw body: the bytes a signature covers (a string is taken as its UTF-8 bytes). */
export type RawBody = string | Uint8Array;

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function bodyBytes(body: RawBody): Uint8Array {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

/**
 * A signed body as text, exactly (a byte-order mark is kept, so the text is the bytes signed), or
 * a 400 saying it is not UTF-8: read only after its signature was checked over the bytes.
 */
export function signedBodyText(body: RawBody): string {
  const text = typeof body === 'string' ? body : utf8Text(body);
  if (text === null) throw new InvalidInputError('body', 'the body is signed but is not UTF-8 text: a webhook body must be UTF-8 JSON');
  return text;
}

/** The bytes as UTF-8 text, exactly, or null when they are not UTF-8. */
export function utf8Text(bytes: Uint8Array): string | null {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return null;
  }
}
