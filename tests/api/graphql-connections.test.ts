import type { GraphQLNamedType, GraphQLObjectType, GraphQLType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../../api/graphql/schema.ts';
import { aUserId } from '../support/builders.ts';
import { makeTestApp, signToken } from '../support/test-app.ts';

const named = (type: GraphQLType): GraphQLNamedType => ('ofType' in type ? named(type.ofType) : type);
// By shape, not `instanceof`: the schema is built with another build of graphql than this file's.
const objectTypes = Object.values(schema.getTypeMap()).filter(
  (type): type is GraphQLObjectType => 'getInterfaces' in type && !type.name.startsWith('__'),
);
const outputFields = objectTypes.flatMap((type) => Object.values(type.getFields()).map((field) => ({ owner: type.name, field })));
const shapeOf = (type: GraphQLNamedType) => ('getFields' in type ? Object.keys((type as GraphQLObjectType).getFields()).sort() : []);

describe('the GraphQL connections', () => {
  it('answers every paginated field with one connection shape: edges { cursor node }, nodes, pageInfo { hasNextPage endCursor }', () => {
    const paginated = outputFields.filter(({ field }) => field.args.some((arg) => arg.name === 'first'));
    const shapes = paginated.map(({ owner, field }) => {
      const connection = named(field.type) as GraphQLObjectType;
      const fields = connection.getFields();
      return {
        field: `${owner}.${field.name}`,
        args: field.args.map((arg) => arg.name).filter((name) => name === 'first' || name === 'after').sort(),
        connection: shapeOf(connection),
        edge: shapeOf(named(fields['edges']!.type)),
        pageInfo: fields['pageInfo'] ? named(fields['pageInfo'].type).name : null,
        nodesAreEdgeNodes: fields['nodes'] ? named(fields['nodes'].type) === named((named(fields['edges']!.type) as GraphQLObjectType).getFields()['node']!.type) : false,
      };
    });

    expect(paginated.length).toBeGreaterThanOrEqual(6);
    for (const shape of shapes) {
      expect(shape).toEqual({ field: shape.field, args: ['after', 'first'], connection: ['edges', 'nodes', 'pageInfo'], edge: ['cursor', 'node'], pageInfo: 'PageInfo', nodesAreEdgeNodes: true });
    }
    expect(shapeOf(schema.getType('PageInfo')!)).toEqual(['endCursor', 'hasNextPage']);
  });

  it('answers every amount in the Cents scalar, never the 32-bit Int', () => {
    const amounts = outputFields.filter(({ field }) => /(Cents|Minor)$/.test(field.name));
    const types = amounts.map(({ owner, field }) => [`${owner}.${field.name}`, named(field.type).name]);

    expect(types.length).toBeGreaterThan(10);
    expect(types).toContainEqual(['PlanPrice.amountMinor', 'Cents']);
    expect(types.filter(([, type]) => type !== 'Cents')).toEqual([]);
  });

  it("pages a wallet's transactions through edges and nodes alike, the endCursor opening the next page", async () => {
    const { graphql } = makeTestApp();
    const userId = aUserId();
    const admin = await signToken({ sub: 'ops', role: 'admin' });
    for (const cents of [100, 200, 300]) {
      const credited = await graphql(`mutation { adjustWallet(userId: "${userId}", amountCents: ${cents}, reason: "credit ${cents}") { balanceCents } }`, { token: admin });
      expect(credited.errors).toBeUndefined();
    }
    const token = await signToken({ sub: userId });
    const page = async (after: string | null) =>
      (
        await graphql('query ($after: String) { wallet { transactions(first: 2, after: $after) { edges { cursor node { amountCents } } nodes { amountCents } pageInfo { hasNextPage endCursor } } } }', {
          token,
          variables: { after },
        })
      ).data.wallet.transactions;

    const first = await page(null);
    const second = await page(first.pageInfo.endCursor);

    expect(first.nodes).toEqual([{ amountCents: 300 }, { amountCents: 200 }]);
    expect(first.edges.map((edge: { node: unknown }) => edge.node)).toEqual(first.nodes);
    expect(first.pageInfo).toEqual({ hasNextPage: true, endCursor: first.edges[1].cursor });
    expect(second.nodes).toEqual([{ amountCents: 100 }]);
    expect(second.pageInfo).toEqual({ hasNextPage: false, endCursor: second.edges[0].cursor });
  });
});
