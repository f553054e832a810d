declare const tokenOf: unique symbol;

/**
 * A typed dependency token. It is a plain symbol at run time (what the composition root binds);
 * the phantom type lets `resolve(container, CLOCK)` know it returns a `Clock`.
 */
export type Token<T> = symbol & { readonly [tokenOf]?: T };

export function token<T>(description: string): Token<T> {
  return Symbol(description) as Token<T>;
}
