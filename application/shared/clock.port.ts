import { token } from './token.ts';

/** The only source of the current time: use cases and tests control time through it. */
export interface Clock {
  now(): Date;
}

export const CLOCK = token<Clock>('Clock');
