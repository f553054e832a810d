import { token } from './token.ts';

/**
 * Runs work in one database transaction: every repository call made inside `work` commits
 * together or not at all. Nested calls join the outer transaction.
 */
export interface UnitOfWork {
  transactional<T>(work: () => Promise<T>): Promise<T>;
}

export const UNIT_OF_WORK = token<UnitOfWork>('UnitOfWork');
