import { isStorableText } from '../../domain/shared/text.ts';

/** Opaque page cursors: base64url of a position, so clients cannot build or edit them. */
export function encodeCursor(position: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** The position in a cursor, or null when it is not one of ours. */
export function decodeCursor(cursor: string): unknown[] | null {
  try {
    const position: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // A position is ids and times: text PostgreSQL cannot hold (NUL, broken Unicode) is not one of ours.
    const clean = (part: unknown) => typeof part !== 'string' || isStorableText(part);
    return Array.isArray(position) && position.every(clean) ? position : null;
  } catch {
    return null;
  }
}
