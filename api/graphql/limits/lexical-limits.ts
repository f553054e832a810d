import { Lexer, Source, TokenKind } from 'graphql';
import type { GraphQLLimits } from './graphql-limits.ts';

const OPENING: ReadonlySet<string> = new Set([TokenKind.BRACE_L, TokenKind.BRACKET_L, TokenKind.PAREN_L]);
const CLOSING: ReadonlySet<string> = new Set([TokenKind.BRACE_R, TokenKind.BRACKET_R, TokenKind.PAREN_R]);

/**
 * Counts tokens the way graphql's parser does, and how deep brackets nest, without parsing;
 * says which limit the document is over, if any. A lexical error is left for the parser to report.
 * Nothing made with graphql's classes here (its Lexer) reaches yoga, whose realm of graphql may be
 * another build of the package (see `isGraphQLError` in ../readable-requests.plugin.ts).
 */
export function lexicalExcess(body: string, limits: Pick<GraphQLLimits, 'tokens' | 'nesting'>): string | null {
  const lexer = new Lexer(new Source(body));
  let count = 0;
  let open = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (++count > limits.tokens) return `the query has more than ${limits.tokens} tokens; the limit is ${limits.tokens}.`;
      if (OPENING.has(token.kind) && ++open > limits.nesting) {
        return `the query nests brackets more than ${limits.nesting} deep; the limit is ${limits.nesting}.`;
      }
      if (CLOSING.has(token.kind)) open = Math.max(0, open - 1);
    }
  } catch {
    return null;
  }
  return null;
}
