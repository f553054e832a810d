import { token } from './token.ts';

export interface IdGenerator {
  /** A new unique, time-ordered identifier. */
  next(): string;
}

export const ID_GENERATOR = token<IdGenerator>('IdGenerator');
