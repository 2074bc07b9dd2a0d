// A small SQL tokenizer for the Snowflake dialect. It keeps every character of
// the input (whitespace and comments included) so statements can be rewritten
// token by token without ever touching the inside of a literal.

export type TokenKind =
  | 'space'
  | 'comment'
  | 'string' // 'text', $$text$$; `value` holds the decoded text
  | 'quoted' // "Identifier"; `value` holds the name without quotes
  | 'word' // keyword or unquoted identifier
  | 'number'
  | 'param' // ?, :1, $1
  | 'variable' // $name: a session variable (SET name = …); `value` holds the upper-cased name
  | 'op'; // punctuation and operators

export interface Token {
  kind: TokenKind;
  /** source text as written */
  text: string;
  /** decoded content for strings and quoted identifiers */
  value?: string;
}

export class SqlSyntaxError extends Error {}

// Longest first, so '::' wins over ':'.
const OPERATORS = ['->>', '::', '||', '<=', '>=', '<>', '!=', '=>', '->', '**'];

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isWordStart = (c: string | undefined): boolean => c !== undefined && (/[A-Za-z_]/.test(c) || c.charCodeAt(0) > 127);
const isWordPart = (c: string | undefined): boolean => isWordStart(c) || isDigit(c) || c === '$';

// Snowflake single-quoted strings accept backslash escapes as well as ''.
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '0': '\0' };

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, start: number, value?: string): void => {
    const token: Token = { kind, text: sql.slice(start, i) };
    if (value !== undefined) token.value = value;
    tokens.push(token);
  };

  while (i < sql.length) {
    const start = i;
    const c = sql[i]!;
    const next = sql[i + 1];

    if (/\s/.test(c)) {
      while (i < sql.length && /\s/.test(sql[i]!)) i++;
      push('space', start);
    } else if ((c === '-' && next === '-') || (c === '/' && next === '/')) {
      while (i < sql.length && sql[i] !== '\n') i++;
      push('comment', start);
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) throw new SqlSyntaxError('unterminated comment');
      i = end + 2;
      push('comment', start);
    } else if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= sql.length) throw new SqlSyntaxError('unterminated string literal');
        const ch = sql[i]!;
        if (ch === "'" && sql[i + 1] === "'") {
          value += "'";
          i += 2;
        } else if (ch === "'") {
          i++;
          break;
        } else if (ch === '\\' && i + 1 < sql.length) {
          const escaped = sql[i + 1]!;
          value += ESCAPES[escaped] ?? escaped;
          i += 2;
        } else {
          value += ch;
          i++;
        }
      }
      push('string', start, value);
    } else if (c === '$' && next === '$') {
      const end = sql.indexOf('$$', i + 2);
      if (end < 0) throw new SqlSyntaxError('unterminated $$ string');
      const value = sql.slice(i + 2, end);
      i = end + 2;
      push('string', start, value);
    } else if (c === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= sql.length) throw new SqlSyntaxError('unterminated quoted identifier');
        const ch = sql[i]!;
        if (ch === '"' && sql[i + 1] === '"') {
          value += '"';
          i += 2;
        } else if (ch === '"') {
          i++;
          break;
        } else {
          value += ch;
          i++;
        }
      }
      push('quoted', start, value);
    } else if (isDigit(c) || (c === '.' && isDigit(next))) {
      while (isDigit(sql[i]) || sql[i] === '.') i++;
      if ((sql[i] === 'e' || sql[i] === 'E') && (isDigit(sql[i + 1]) || /[+-]/.test(sql[i + 1] ?? ''))) {
        i += 2;
        while (isDigit(sql[i])) i++;
      }
      push('number', start);
    } else if (isWordStart(c)) {
      while (isWordPart(sql[i])) i++;
      push('word', start);
    } else if (c === '$' && isWordStart(next)) {
      // A session variable: names are case-insensitive (docs.snowflake.com/en/sql-reference/session-variables).
      i++;
      while (isWordPart(sql[i])) i++;
      push('variable', start, sql.slice(start + 1, i).toUpperCase());
    } else if (c === '?') {
      i++;
      push('param', start);
    } else if ((c === ':' || c === '$') && isDigit(next) && sql[i - 1] !== ':') {
      i++;
      while (isDigit(sql[i])) i++;
      push('param', start);
    } else {
      const op = OPERATORS.find((o) => sql.startsWith(o, i));
      i += op ? op.length : 1;
      push('op', start);
    }
  }
  return tokens;
}

/** Splits a token list into statements at top-level semicolons; empty statements are dropped. */
export function splitStatements(tokens: Token[]): Token[][] {
  const statements: Token[][] = [];
  let current: Token[] = [];
  for (const token of tokens) {
    if (token.kind === 'op' && token.text === ';') {
      statements.push(current);
      current = [];
    } else {
      current.push(token);
    }
  }
  statements.push(current);
  return statements.filter((s) => s.some(isSignificant));
}

export const isSignificant = (t: Token): boolean => t.kind !== 'space' && t.kind !== 'comment';

export const quoteString = (value: string): string => `'${value.replaceAll("'", "''")}'`;
export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;
