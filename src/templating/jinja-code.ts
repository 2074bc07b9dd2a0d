import nunjucks from 'nunjucks';
import { preprocess } from './nunjucks-patches.js';

interface Token {
  type: string;
  value: unknown;
}
const lexer = (nunjucks as unknown as { lexer: { lex(src: string): { nextToken(): Token | null } } }).lexer;

/**
 * The code of a template, as nunjucks' own lexer splits it: what stands inside `{{ }}` and `{% %}`
 * (string literals included), without the output text and the `{# #}` comments, so a word in a
 * comment or in the SQL is not taken for a call. Raw and verbatim blocks are found by the parser,
 * not the lexer, so a template holding one is given whole, and so is one the lexer refuses.
 */
export function jinjaCode(source: string): string {
  const parts: string[] = [];
  try {
    const tokens = lexer.lex(preprocess(source));
    let inTag = false;
    let tagStart = false;
    for (let tok = tokens.nextToken(); tok; tok = tokens.nextToken()) {
      if (tok.type === 'block-start' || tok.type === 'variable-start') {
        inTag = true;
        tagStart = tok.type === 'block-start';
        continue;
      }
      if (tok.type === 'block-end' || tok.type === 'variable-end') {
        inTag = false;
        parts.push('\n');
        continue;
      }
      if (!inTag || tok.type === 'whitespace') continue;
      if (tagStart && (tok.value === 'raw' || tok.value === 'verbatim')) return source;
      tagStart = false;
      const v = tok.value as string | { body: string };
      parts.push(typeof v === 'string' ? v : v.body, ' ');
    }
  } catch {
    return source;
  }
  return parts.join('');
}
