import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { DocumentNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../../api/graphql/schema.ts';

// The graphql build the schema was made with (Node's CommonJS one, as Pothos loads it): a schema
// is refused by another copy of the package, which an ESM import here would be.
const { parse, validate } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** Every ```graphql block of the README (indented ones in lists too), with the line it starts on. */
const BLOCKS = [...README.matchAll(/^( *)```graphql\n([\s\S]*?)^\1```/gm)].map((match) => ({
  line: README.slice(0, match.index).split('\n').length,
  text: match[2]!,
}));

/**
 * The README's GraphQL examples are the schema's: each operation of each block parses and
 * validates against the schema the service serves (one operation at a time, since a block lists
 * several anonymous ones). Placeholders stay inside strings ("…"), so they are valid as written.
 */
describe("the README's GraphQL examples", () => {
  it('has examples to check', () => {
    expect(BLOCKS.length).toBeGreaterThan(3);
  });

  it.each(BLOCKS.map((block) => [block.line, block.text] as const))('block at README.md:%i parses and validates against the schema', (_line, text) => {
    const document = parse(text);
    const problems = document.definitions.flatMap((definition) =>
      validate(schema, { kind: document.kind, definitions: [definition] } as DocumentNode).map((error) => error.message),
    );

    expect(problems).toEqual([]);
  });
});
