import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../domain/shared/errors.ts';
import { isIdentifier, isPlainText, isStorableText, MAX_IDENTIFIER_LENGTH, parseReason } from '../../../domain/shared/text.ts';

describe('the storable-text rule', () => {
  it.each([['a NUL', 'a\u0000b'], ['a lone high surrogate', 'a\ud800b'], ['a lone low surrogate', '\udfff'], ['surrogates in the wrong order', '\udfff\ud800']])(
    'refuses text holding %s, which PostgreSQL cannot store',
    (_what, text) => {
      expect(isStorableText(text)).toBe(false);
      expect(isPlainText(text)).toBe(false);
      expect(isIdentifier(text)).toBe(false);
    },
  );

  it('takes any other text, control characters, emoji and the empty string included', () => {
    for (const text of ['', 'plain', 'tab\there', 'bell\u0007', 'line\nbreak', '😀 paired surrogates', 'rtl\u202e']) {
      expect(isStorableText(text), JSON.stringify(text)).toBe(true);
    }
  });

  it('takes no control character as plain text, but keeps invisible format characters (a provider id is not shown as a name)', () => {
    expect(isPlainText('cs_test_123')).toBe(true);
    expect(isPlainText('cs\u0001')).toBe(false);
    expect(isPlainText('cs\u007f')).toBe(false);
    expect(isPlainText('cs\u202e')).toBe(true);
  });

  it('takes an identifier of 1 to 255 characters without surrounding spaces, control or invisible format characters', () => {
    expect(isIdentifier('user-1')).toBe(true);
    expect(isIdentifier('x'.repeat(MAX_IDENTIFIER_LENGTH))).toBe(true);
    for (const raw of ['', 'x'.repeat(MAX_IDENTIFIER_LENGTH + 1), ' user', 'user\n', 'us\u200ber', 'user\u0085', 'user\u2028', 42, null]) {
      expect(isIdentifier(raw), JSON.stringify(raw)).toBe(false);
    }
  });

  it('refuses a reason PostgreSQL could not store, with an error naming the reason field', () => {
    expect(parseReason('  a fair reason\twith a tab\n', 'the wallet is corrected')).toBe('a fair reason\twith a tab');
    expect(() => parseReason('broken \ud800 text', 'the wallet is corrected')).toThrow(InvalidInputError);
    expect(() => parseReason('broken \ud800 text', 'the wallet is corrected')).toThrow(/reason must be well-formed Unicode/);
    expect(() => parseReason('nul\u0000', 'the wallet is corrected')).toThrow(/control characters other than tabs and line breaks/);
  });
});
