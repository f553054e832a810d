import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { DocumentNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../../api/graphql/schema.ts';

// The graphql build the schema was made with (Node's CommonJS one, as Pothos loads it): a schema
// is refused by another copy of the package, which an ESM import here would be.
const { parse, validate } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

const ROOT = new URL('../../', import.meta.url);
/** The README and every page of docs/: what a reader copies from. */
const PAGES = ['README.md', ...readdirSync(new URL('docs/', ROOT)).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

/** Every ```graphql block of each page (indented ones in lists too), with where it starts. */
const BLOCKS = PAGES.flatMap((page) => {
  const text = readFileSync(new URL(page, ROOT), 'utf8');
  return [...text.matchAll(/^( *)```graphql\n([\s\S]*?)^\1```/gm)].map((match) => ({
    at: `${page}:${text.slice(0, match.index).split('\n').length}`,
    text: match[2]!,
  }));
});

/**
 * The documentation's GraphQL examples are the schema's: each operation of each block parses and
 * validates against the schema the service serves (one operation at a time, since a block lists
 * several anonymous ones). Placeholders stay inside strings ("…"), so they are valid as written.
 */
describe("the README's and docs' GraphQL examples", () => {
  it('has examples to check in the README and in docs/api.md', () => {
    expect(BLOCKS.filter((block) => block.at.startsWith('README.md:')).length).toBeGreaterThan(0);
    expect(BLOCKS.filter((block) => block.at.startsWith('docs/api.md:')).length).toBeGreaterThan(3);
  });

  it.each(BLOCKS.map((block) => [block.at, block.text] as const))('block at %s parses and validates against the schema', (_line, text) => {
    const document = parse(text);
    const problems = document.definitions.flatMap((definition) =>
      validate(schema, { kind: document.kind, definitions: [definition] } as DocumentNode).map((error) => error.message),
    );

    expect(problems).toEqual([]);
  });
});
