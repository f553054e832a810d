import type { Invoice } from '../../domain/billing/invoice.entity.ts';
import { InvalidInputError } from '../../domain/shared/errors.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';

/** Where an invoice stands in its owner's list, newest first: its creation time, then its id. */
export interface InvoicePosition {
  readonly createdAt: Date;
  readonly id: string;
}

export function invoiceCursor(invoice: Pick<Invoice, 'createdAt' | 'id'>): string {
  return encodeCursor([invoice.createdAt.toISOString(), invoice.id]);
}

/** The position in a cursor of this list; anything else is the caller's bad input on `after`. */
export function invoicePosition(cursor: string): InvoicePosition {
  const [createdAt, id, ...rest] = decodeCursor(cursor) ?? [];
  if (typeof createdAt !== 'string' || typeof id !== 'string' || id.length === 0 || rest.length > 0 || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(createdAt)) {
    throw new InvalidInputError('after', 'after is not a cursor from this list');
  }
  const at = new Date(createdAt);
  if (Number.isNaN(at.getTime()) || at.toISOString() !== createdAt) throw new InvalidInputError('after', 'after is not a cursor from this list');
  return { createdAt: at, id };
}
