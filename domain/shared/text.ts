import { InvalidInputError } from './errors.ts';

/**
 * The one rule every text this service keeps starts from: PostgreSQL stores no NUL character in
 * text, and no unpaired surrogate (`\ud800`, which JSON and GraphQL escapes can carry) in json
 * (its UTF-8 driver would silently turn one into U+FFFD in text). The rules below add to it.
 */
export function isStorableText(text: string): boolean {
  return text.isWellFormed() && !text.includes('\u0000');
}

export const STORABLE_TEXT_RULE = 'well-formed Unicode without the NUL character (\\u0000) or unpaired surrogates (\\ud800)';

const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** Storable text without a control character: a reference another system made (a provider's id, a checkout session id). */
export function isPlainText(text: string): boolean {
  return isStorableText(text) && !CONTROL_CHARACTER.test(text);
}

export const MAX_IDENTIFIER_LENGTH = 255;
export const MAX_REASON_LENGTH = 500;

/**
 * What no identifier may hold beyond that: control characters, invisible format characters (bidi
 * overrides and isolates such as U+202E, zero-width U+200B, U+FEFF) and line or paragraph
 * separators. Such an id looks like another on every screen.
 */
const CONTROL_OR_INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

export const IDENTIFIER_RULE = `1 to ${MAX_IDENTIFIER_LENGTH} characters without surrounding spaces, control characters or invisible format characters`;

/**
 * The one rule for an identifier, wherever it arrives: a token's `sub` (api/auth/jwt-verifier.ts),
 * a user id an admin names, an idempotency key. So a user who can sign in can be charged and
 * adjusted, and an id that can be named can sign in.
 */
export function isIdentifier(raw: unknown): raw is string {
  return (
    typeof raw === 'string' &&
    raw.length > 0 &&
    raw.length <= MAX_IDENTIFIER_LENGTH &&
    raw.trim() === raw &&
    isStorableText(raw) &&
    !CONTROL_OR_INVISIBLE.test(raw)
  );
}

export function parseIdentifier(raw: unknown, field: string): string {
  if (!isIdentifier(raw)) throw new InvalidInputError(field, `${field} must be ${IDENTIFIER_RULE}`);
  return raw;
}

/** Free text for people (a reason): any characters but NUL and the control characters other than tab and line breaks. */
export function hasForbiddenControlCharacter(text: string): boolean {
  return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text);
}

/** An admin's reason for a change: trimmed, 1 to MAX_REASON_LENGTH characters of free text; `purpose` says what it explains. */
export function parseReason(raw: unknown, purpose: string): string {
  const reason = typeof raw === 'string' ? raw.trim() : '';
  if (reason.length === 0 || reason.length > MAX_REASON_LENGTH) {
    throw new InvalidInputError('reason', `reason is required (at most ${MAX_REASON_LENGTH} characters): say why ${purpose}`);
  }
  if (hasForbiddenControlCharacter(reason)) {
    throw new InvalidInputError('reason', 'reason must not contain control characters other than tabs and line breaks');
  }
  if (!isStorableText(reason)) throw new InvalidInputError('reason', `reason must be ${STORABLE_TEXT_RULE}`);
  return reason;
}
