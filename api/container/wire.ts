import type { Bind, Newable } from 'inversify';
import type { Token } from '../../application/shared/token.ts';

/** What the container hands out: a typed token, or an application class of its own. */
export type ServiceId<T> = Token<T> | Newable<T>;

type Resolved<Id> = Id extends Token<infer T> ? T : Id extends Newable<infer T> ? T : never;

/** A class's dependencies under the names it takes them by, each with what it is resolved from. */
export type Wiring = Readonly<Record<string, ServiceId<unknown>>>;

/** What `wire` hands `build`: each dependency of the wiring, resolved. */
export type Wired<W extends Wiring> = { readonly [K in keyof W]: Resolved<W[K]> };

/**
 * Binds `id` to what `build` makes of exactly the dependencies `wiring` names, resolved once
 * (the container's scope is singleton): what a class is built from is written once, by name,
 * beside where it is built.
 */
export function wire<T, W extends Wiring>(bind: Bind, id: ServiceId<T>, wiring: W, build: (deps: Wired<W>) => T): void {
  const names = Object.keys(wiring);
  bind(id).toResolvedValue(
    (...values: unknown[]) => build(Object.fromEntries(names.map((name, index) => [name, values[index]])) as Wired<W>),
    names.map((name) => wiring[name]!),
  );
}
