import { InvalidInputError } from '../../domain/shared/errors.ts';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageRequest {
  readonly first: number;
  /** An opaque cursor from a previous page; absent for the newest entries. */
  readonly after?: string | undefined;
}

export interface Page<T> {
  readonly items: readonly { readonly cursor: string; readonly node: T }[];
  readonly hasNextPage: boolean;
}

export function parsePage(first: unknown, after: unknown): PageRequest {
  const size = first === undefined || first === null ? DEFAULT_PAGE_SIZE : first;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new InvalidInputError('first', `first must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
  }
  if (after !== undefined && after !== null && typeof after !== 'string') throw new InvalidInputError('after', 'after must be a cursor');
  return { first: size, after: after ?? undefined };
}
