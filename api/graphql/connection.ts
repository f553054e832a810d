import type { ObjectRef } from '@pothos/core';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page } from '../../application/shared/pagination.ts';
import { builder } from './builder.ts';

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

const PageInfoRef = builder.objectRef<Page<unknown>>('PageInfo').implement({
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    endCursor: t.string({ nullable: true, description: 'Pass it as `after` for the next page.', resolve: (page) => page.items.at(-1)?.cursor ?? null }),
  }),
});

/** The arguments of every paginated field. */
export const pageArgs = builder.args((t) => ({
  first: t.int({ required: false, description: `1 to ${MAX_PAGE_SIZE}; ${DEFAULT_PAGE_SIZE} by default.` }),
  after: t.string({ required: false, description: 'The `pageInfo.endCursor` of the page before.' }),
}));

/**
 * `<Name>Connection { edges { cursor node } nodes pageInfo { hasNextPage endCursor } }` over a page,
 * the one shape of every list that pages; `nodes` is for a client that needs no cursor per item.
 */
export function connection<T>(ref: ObjectRef<Types, T>) {
  const name = ref.name;
  // Pothos cannot resolve a field's result type over a type parameter; the page's nodes are the ref's shape.
  const node = ref as ObjectRef<Types, unknown>;
  const EdgeRef = builder.objectRef<Page<T>['items'][number]>(`${name}Edge`).implement({
    fields: (t) => ({ cursor: t.exposeString('cursor'), node: t.field({ type: node, resolve: (edge) => edge.node }) }),
  });
  return builder.objectRef<Page<T>>(`${name}Connection`).implement({
    description: 'Newest first. Pass `pageInfo.endCursor` as `after` for the next page.',
    fields: (t) => ({
      edges: t.field({ type: [EdgeRef], resolve: (page) => [...page.items] }),
      nodes: t.field({ type: [node], resolve: (page) => page.items.map((edge) => edge.node) }),
      pageInfo: t.field({ type: PageInfoRef, resolve: (page) => page }),
    }),
  });
}
