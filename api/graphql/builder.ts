import SchemaBuilder from '@pothos/core';
import { z } from 'zod';
import type { ServiceId } from '../container.ts';
import type { Metrics, ObservedOperation } from '../http/metrics.ts';
import type { RequireRequester } from '../http/request-auth.ts';

export interface GraphQLContext {
  readonly requester: RequireRequester;
  readonly request: Request;
  /** Resolves an application service from the composition root. */
  readonly use: <T>(id: ServiceId<T>) => T;
  /** This app's Prometheus metrics, for resolvers that count business outcomes. */
  readonly metrics: Metrics;
  /** Which operation this request ran, filled in when it executes (see `useObservedOperation`). */
  readonly operation: ObservedOperation;
}

/** What the HTTP edge hands Yoga for a request; Yoga adds the request itself. */
export type ServerContext = Omit<GraphQLContext, 'request'>;

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  Scalars: { DateTime: { Input: Date; Output: Date }; Cents: { Input: number; Output: number } };
  DefaultFieldNullability: false;
}>({ defaultFieldNullability: false });

/**
 * An input instant is an ISO 8601 date-time with its offset (`Z` or `±hh:mm`), checked by zod: what
 * `Date.parse` alone takes would read a time without an offset in the server's own time zone, roll
 * 30 February over into March and read `"5"` as May 2001.
 */
const ISO_INSTANT = z.iso.datetime({ offset: true });

builder.scalarType('DateTime', {
  description: 'An instant, as an ISO 8601 string in UTC; as input, any ISO 8601 date-time with its offset (`Z` or `±hh:mm`).',
  serialize: (value) => value.toISOString(),
  parseValue: (value) => {
    if (!ISO_INSTANT.safeParse(value).success) {
      throw new TypeError('DateTime must be an ISO 8601 date-time with seconds and an offset, Z or ±hh:mm (2027-01-31T00:00:00Z)');
    }
    return new Date(value as string);
  },
});

builder.scalarType('Cents', {
  description:
    'An amount in minor units (cents). A JSON number that may exceed the 32-bit range of Int, ' +
    'for balances and totals; always a safe integer.',
  serialize: (value) => {
    if (!Number.isSafeInteger(value)) throw new TypeError('Cents must be a safe integer');
    return value;
  },
  parseValue: (value) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new TypeError('Cents must be a whole number');
    return value;
  },
});

builder.queryType({});
builder.mutationType({});
