import { token } from './token.ts';

/**
 * Runs one request or job with its own persistence context, so everything it loads is seen
 * through one identity map and nothing leaks between requests.
 */
export interface RequestScope {
  run<T>(work: () => Promise<T>): Promise<T>;
}

export const REQUEST_SCOPE = token<RequestScope>('RequestScope');
