// What makes the emulator as strict as Snowflake where DuckDB alone is not: case-sensitive
// quoted names, Snowflake's function list and syntax, TRY_CAST on strings only, Snowflake's
// division scale, and the rules the server applies around a statement (nondeterministic MERGE,
// a warehouse for queries). Pure: no I/O.

import { SNOWFLAKE_FUNCTIONS } from './snowflake-functions.js';
import { raiseSql, syntaxError, TranslationError } from './sql-error.js';
import { isSignificant, quoteIdent, type Token } from './tokenizer.js';

// ---------------------------------------------------------------------------
// Names. DuckDB resolves names case-insensitively, even quoted ones; Snowflake folds unquoted
// names to upper case and matches quoted ones exactly. Every lower-case letter of a name is
// stored behind a private-use marker, so names that differ only in case stay distinct for DuckDB
// (`"foo"` is stored as `\uE000f\uE000o\uE000o` and no longer matches `FOO`). Names are decoded
// wherever they leave the emulator: result columns, SHOW/DESCRIBE/INFORMATION_SCHEMA, errors.

export const NAME_MARK = '\uE000';

/** The DuckDB name of a Snowflake name (as resolved: unquoted already upper-cased). */
export function encodeName(name: string): string {
  let out = '';
  for (const c of name) out += c !== c.toUpperCase() ? NAME_MARK + c : c;
  return out;
}

export const decodeName = (name: string): string => name.replaceAll(NAME_MARK, '');

export const quoteName = (name: string): string => quoteIdent(encodeName(name));

/** DuckDB SQL decoding a name column. */
export const decodeNameSql = (expr: string): string => `replace(${expr}, chr(${NAME_MARK.codePointAt(0)}), '')`;

// ---------------------------------------------------------------------------
// Functions and syntax

/** Words that can stand before '(' without being a function call. */
const KEYWORDS = new Set(
  `ALL AND ANY AS ASC AT BEFORE BETWEEN BY CHANGES CHECK CLUSTER COMMENT CONSTRAINT CUBE DEFAULT DELETE DESC DISTINCT
  ELSE END ESCAPE EXCEPT EXCLUDE EXISTS FILTER FOREIGN FROM FULL GRANTS GROUP HAVING IF IN INNER INTERSECT INTO IS JOIN
  KEY LATERAL LIMIT MATCH_CONDITION MATCH_RECOGNIZE MINUS NOT NULLS ON OR ORDER OUTER OVER PARTITION PIVOT PRIMARY
  QUALIFY RECURSIVE REFERENCES RENAME RETURN RETURNS ROLLUP SAMPLE SELECT SET SETS SOME TABLE TABLESAMPLE THEN TO UNION
  UNIQUE UNPIVOT UPDATE USING VALUES VIEW WHEN WHERE WINDOW WITH WITHIN IDENTIFIER`.split(/\s+/),
);

/** Snowflake data type names: `NUMBER(10,2)` is a type, `DATE(x)`/`TIME(x)`/`CHAR(n)` are conversions. */
export const TYPE_NAMES = new Set(
  `NUMBER NUMERIC DECIMAL DEC INT INTEGER BIGINT SMALLINT TINYINT BYTEINT FLOAT FLOAT4 FLOAT8 DOUBLE REAL VARCHAR CHAR
  CHARACTER NCHAR NVARCHAR NVARCHAR2 STRING TEXT BINARY VARBINARY BOOLEAN DATE DATETIME TIME TIMESTAMP TIMESTAMP_NTZ
  TIMESTAMP_LTZ TIMESTAMP_TZ VARIANT OBJECT ARRAY GEOGRAPHY GEOMETRY VECTOR`.split(/\s+/),
);

/**
 * Snowflake functions whose DuckDB namesake means something else and that no macro emulates:
 * refused rather than answered wrongly (DuckDB's DECODE decodes a BLOB, its HASH is another hash).
 */
const NOT_EMULATED = new Set(['DECODE', 'HASH', 'HASH_AGG']);

/** Words after which `name(` names a table or a column list, not a function. */
const NAME_CONTEXT = new Set(['INTO', 'TABLE', 'VIEW', 'EXISTS', 'REFERENCES', 'AS', 'WITH', 'FUNCTION', 'PROCEDURE', 'KEY']);

/** Statement heads DuckDB takes that Snowflake has no such command for. */
const DUCKDB_STATEMENTS = new Set([
  'FROM',
  'PRAGMA',
  'ATTACH',
  'DETACH',
  'INSTALL',
  'LOAD',
  'FORCE',
  'CHECKPOINT',
  'EXPORT',
  'IMPORT',
  'SUMMARIZE',
  'VACUUM',
  'PIVOT',
  'UNPIVOT',
  'RESET',
  'UPDATE EXTENSIONS',
]);

/** Where each token starts, as Snowflake reports it: line (1-based) and position (0-based). */
function positions(tokens: Token[]): Map<Token, { line: number; pos: number }> {
  const at = new Map<Token, { line: number; pos: number }>();
  let line = 1;
  let pos = 0;
  for (const t of tokens) {
    at.set(t, { line, pos });
    for (const c of t.text) {
      if (c === '\n') {
        line++;
        pos = 0;
      } else pos++;
    }
  }
  return at;
}

/**
 * Rejects what Snowflake rejects before DuckDB sees it: calls of functions Snowflake does not
 * have (002140), and DuckDB-only syntax (001003).
 */
export function checkSnowflakeSql(tokens: Token[]): void {
  const sig = tokens.filter(isSignificant);
  const word = (k: number): string | undefined => (sig[k]?.kind === 'word' ? sig[k]!.text.toUpperCase() : undefined);
  const op = (k: number, text: string): boolean => sig[k]?.kind === 'op' && sig[k]!.text === text;
  let where: Map<Token, { line: number; pos: number }> | undefined;
  const unexpected = (k: number, text = sig[k]!.text): TranslationError => {
    where ??= positions(tokens);
    const p = where.get(sig[k]!)!;
    return syntaxError(`line ${p.line} at position ${p.pos} unexpected '${text}'.`);
  };

  const head = word(0);
  if (head && (DUCKDB_STATEMENTS.has(head) || DUCKDB_STATEMENTS.has(`${head} ${word(1)}`))) throw unexpected(0);
  if (head === 'INSERT' && word(1) === 'OR') throw unexpected(1);
  if (head === 'SELECT' && word(1) === 'DISTINCT' && word(2) === 'ON') throw unexpected(2);

  for (let k = 0; k < sig.length; k++) {
    const t = sig[k]!;
    if (t.kind === 'op') {
      // DuckDB's named arguments (`a := 1`) and JSON operator: Snowflake writes `=>` and `:`/GET_PATH.
      if (t.text === ':' && op(k + 1, '=')) throw unexpected(k, ':=');
      if (t.text === '->>') throw unexpected(k);
      continue;
    }
    const w = word(k);
    if (w === undefined) continue;
    if ((w === 'ANTI' || w === 'SEMI' || w === 'POSITIONAL') && word(k + 1) === 'JOIN') throw unexpected(k);
    if (w === 'USING' && word(k + 1) === 'SAMPLE') throw unexpected(k + 1);
    if (w === 'RETURNING' || (w === 'ON' && word(k + 1) === 'CONFLICT')) throw unexpected(k);
    if (op(k + 1, '(') && NOT_EMULATED.has(w) && sig[k - 1]?.text !== '.') {
      throw new TranslationError(`Unsupported feature 'function ${w}' (not emulated).`, '002000', '0A000');
    }
    if (!op(k + 1, '(') || KEYWORDS.has(w) || TYPE_NAMES.has(w) || SNOWFLAKE_FUNCTIONS.has(w)) continue;
    const before = sig[k - 1];
    // Qualified (a user function or a table) or after a name (an alias with a column list).
    if (before && (before.text === '.' || before.text === ')' || before.kind === 'quoted')) continue;
    if (before?.kind === 'word' && (NAME_CONTEXT.has(before.text.toUpperCase()) || !KEYWORDS.has(before.text.toUpperCase()))) continue;
    // A CTE's column list: `name (a, b) AS (`.
    if (word(closing(sig, k + 1) + 1) === 'AS') continue;
    throw new TranslationError(`SQL compilation error:\nUnknown function ${w}`, '002140', '42601');
  }
}

/** Index of the ')' matching the '(' at k (the last index when unbalanced). */
export function closing(sig: Token[], k: number): number {
  let depth = 0;
  for (let j = k; j < sig.length; j++) {
    const t = sig[j]!;
    if (t.kind !== 'op') continue;
    if (t.text === '(' || t.text === '[') depth++;
    else if ((t.text === ')' || t.text === ']') && --depth === 0) return j;
  }
  return sig.length - 1;
}

/** Index of the '(' or '[' matching the ')' or ']' at k (-1 when unbalanced). */
function opening(sig: Token[], k: number): number {
  let depth = 0;
  for (let j = k; j >= 0; j--) {
    const t = sig[j]!;
    if (t.kind !== 'op') continue;
    if (t.text === ')' || t.text === ']') depth++;
    else if ((t.text === '(' || t.text === '[') && --depth === 0) return j;
  }
  return -1;
}

// ---------------------------------------------------------------------------
// Rewrites inside expressions, applied by translate.ts's token rewriter as text put before or
// after tokens.

export interface Wraps {
  before: Map<Token, string>;
  after: Map<Token, string>;
  replace: Map<Token, string>;
}

const prepend = (m: Map<Token, string>, t: Token, text: string): void => {
  m.set(t, text + (m.get(t) ?? ''));
};
const append = (m: Map<Token, string>, t: Token, text: string): void => {
  m.set(t, (m.get(t) ?? '') + text);
};

const isWordish = (t: Token | undefined): boolean => t?.kind === 'word' || t?.kind === 'quoted';
const isValue = (t: Token | undefined): boolean => t?.kind === 'number' || t?.kind === 'string' || t?.kind === 'param' || t?.kind === 'variable';

/** Start of the operand (primary with its `::type` casts and qualifiers) that ends at index `end`; -1 if none. */
function operandStart(sig: Token[], end: number): number {
  let k = end;
  const t = sig[k];
  if (!t) return -1;
  if (t.kind === 'op' && (t.text === ')' || t.text === ']')) {
    k = opening(sig, k);
    if (k < 0) return -1;
    const fn = sig[k - 1];
    if (isWordish(fn) && !KEYWORDS.has(fn!.text.toUpperCase())) {
      k--;
      // `f(...) OVER (...)`: the window belongs to the call before it.
    } else if (fn?.kind === 'word' && fn.text.toUpperCase() === 'OVER' && sig[k - 2]?.text === ')') {
      return operandStart(sig, k - 2);
    }
  } else if (t.kind === 'word' && t.text.toUpperCase() === 'END') {
    let depth = 0;
    for (; k >= 0; k--) {
      const w = sig[k]!.kind === 'word' ? sig[k]!.text.toUpperCase() : '';
      if (w === 'END') depth++;
      else if (w === 'CASE' && --depth === 0) break;
    }
    if (k < 0) return -1;
  } else if (isWordish(t)) {
    if (t.kind === 'word' && KEYWORDS.has(t.text.toUpperCase())) return -1;
  } else if (!isValue(t)) return -1;
  // Qualified names and path steps: a.b.c
  while (sig[k - 1]?.text === '.' && isWordish(sig[k - 2])) k -= 2;
  // `x::TYPE`: the cast applies to the operand before it.
  if (sig[k - 1]?.text === '::') return operandStart(sig, k - 2);
  return k;
}

/** End of the operand that starts at index `start` (after a unary sign); -1 if none. */
function operandEnd(sig: Token[], start: number): number {
  let k = start;
  while (sig[k]?.kind === 'op' && (sig[k]!.text === '-' || sig[k]!.text === '+')) k++;
  const t = sig[k];
  if (!t) return -1;
  if (t.kind === 'op' && (t.text === '(' || t.text === '[')) k = closing(sig, k);
  else if (t.kind === 'word' && t.text.toUpperCase() === 'CASE') {
    let depth = 0;
    for (; k < sig.length; k++) {
      const w = sig[k]!.kind === 'word' ? sig[k]!.text.toUpperCase() : '';
      if (w === 'CASE') depth++;
      else if (w === 'END' && --depth === 0) break;
    }
  } else if (t.kind === 'word' && t.text.toUpperCase() === 'INTERVAL' && sig[k + 1]?.kind === 'string') k++;
  else if (isWordish(t)) {
    if (t.kind === 'word' && KEYWORDS.has(t.text.toUpperCase())) return -1;
    while (sig[k + 1]?.text === '.' && isWordish(sig[k + 2])) k += 2;
    if (sig[k + 1]?.text === '(') {
      k = closing(sig, k + 1);
      if (sig[k + 1]?.kind === 'word' && sig[k + 1]!.text.toUpperCase() === 'OVER' && sig[k + 2]?.text === '(') k = closing(sig, k + 2);
    }
  } else if (!isValue(t)) return -1;
  // Casts after the operand: x::NUMBER(10,2)
  while (sig[k + 1]?.text === '::' && sig[k + 2]?.kind === 'word') {
    k += 2;
    if (sig[k + 1]?.text === '(') k = closing(sig, k + 1);
  }
  return k;
}

/**
 * `a / b` becomes `SF_DIV(a, b)`: Snowflake's division of fixed-point numbers has scale
 * max(S1, min(S1 + 6, 12)) and fails on a zero divisor; DuckDB's `/` gives a DOUBLE (and
 * Infinity). A chain `a * b / c` divides the whole left-hand term, as `*`, `/` and `%` bind
 * equally and from the left.
 */
export function rewriteDivisions(sig: Token[], wraps: Wraps): void {
  for (let k = 1; k < sig.length - 1; k++) {
    const t = sig[k]!;
    if (t.kind !== 'op' || t.text !== '/') continue;
    let start = operandStart(sig, k - 1);
    const end = operandEnd(sig, k + 1);
    if (start < 0 || end < 0) continue;
    for (;;) {
      const o = sig[start - 1];
      if (o?.kind !== 'op' || !['*', '/', '%'].includes(o.text)) break;
      const next = operandStart(sig, start - 2);
      if (next < 0) break;
      start = next;
    }
    prepend(wraps.before, sig[start]!, 'SF_DIV(');
    wraps.replace.set(t, ',');
    append(wraps.after, sig[end]!, ')');
  }
}

/**
 * `AVG(x)` as an aggregate (not a window, not DISTINCT) becomes `SF_AVG(x)`: Snowflake's average of
 * fixed-point numbers is a NUMBER with the division scale (the average of 1, 2, 2 is 1.666667);
 * DuckDB's is a DOUBLE.
 */
export function rewriteAverages(sig: Token[], wraps: Wraps): void {
  for (let k = 0; k < sig.length - 2; k++) {
    if (sig[k]!.kind !== 'word' || sig[k]!.text.toUpperCase() !== 'AVG' || sig[k + 1]!.text !== '(' || sig[k - 1]?.text === '.') continue;
    if (sig[k + 2]!.kind === 'word' && ['DISTINCT', 'ALL'].includes(sig[k + 2]!.text.toUpperCase())) continue;
    const end = closing(sig, k + 1);
    if (sig[end + 1]?.kind === 'word' && sig[end + 1]!.text.toUpperCase() === 'OVER') continue;
    wraps.replace.set(sig[k]!, 'SF_AVG');
  }
}

/** Functions DuckDB has under the same name with other semantics, renamed to their emulation. */
const SEMANTIC_RENAMES: Record<string, string> = {
  // Snowflake: NULL when any argument is NULL; DuckDB ignores NULLs (as the *_IGNORE_NULLS forms do).
  GREATEST: 'SF_GREATEST',
  LEAST: 'SF_LEAST',
  GREATEST_IGNORE_NULLS: 'greatest',
  LEAST_IGNORE_NULLS: 'least',
  // Snowflake: three-letter names ('Mar', 'Tue'); DuckDB: full names.
  MONTHNAME: 'SF_MONTHNAME',
  DAYNAME: 'SF_DAYNAME',
  // Snowflake replaces every match; DuckDB only the first unless told 'g'.
  REGEXP_REPLACE: 'SF_REGEXP_REPLACE',
  // Snowflake matches the whole subject.
  REGEXP_LIKE: 'regexp_full_match',
  RLIKE: 'regexp_full_match',
};

/**
 * Calls whose DuckDB namesake differs: CONCAT is NULL when any argument is (DuckDB's skips NULLs),
 * so it becomes `(a || b || …)`; GREATEST/LEAST take their arguments as a list; others are renamed
 * to an emulation (see SEMANTIC_RENAMES).
 */
export function rewriteFunctionSemantics(sig: Token[], wraps: Wraps): void {
  for (let k = 0; k < sig.length - 1; k++) {
    const t = sig[k]!;
    if (t.kind !== 'word' || sig[k + 1]!.text !== '(' || sig[k - 1]?.text === '.') continue;
    const w = t.text.toUpperCase();
    const end = closing(sig, k + 1);
    if (w === 'CONCAT') {
      wraps.replace.set(t, '');
      for (const comma of topLevelCommas(sig, k + 1, end)) wraps.replace.set(comma, ' ||');
    } else if (SEMANTIC_RENAMES[w]) {
      wraps.replace.set(t, SEMANTIC_RENAMES[w]!);
      if (w === 'GREATEST' || w === 'LEAST') {
        append(wraps.after, sig[k + 1]!, '[');
        prepend(wraps.before, sig[end]!, ']');
      }
    }
  }
}

export function topLevelCommas(sig: Token[], open: number, end: number): Token[] {
  const commas: Token[] = [];
  for (let j = open + 1, depth = 0; j < end; j++) {
    const t = sig[j]!;
    if (t.kind !== 'op') continue;
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') depth--;
    else if (depth === 0 && t.text === ',') commas.push(t);
  }
  return commas;
}

/** `TRY_CAST(x AS t)` checks that x is a string, as Snowflake only takes strings there. */
export function wrapTryCastInputs(sig: Token[], wraps: Wraps): void {
  for (let k = 0; k < sig.length - 2; k++) {
    if (sig[k]!.kind !== 'word' || sig[k]!.text.toUpperCase() !== 'TRY_CAST' || sig[k + 1]!.text !== '(') continue;
    const end = closing(sig, k + 1);
    let depth = 0;
    for (let j = k + 2; j < end; j++) {
      const x = sig[j]!;
      if (x.kind === 'op' && (x.text === '(' || x.text === '[')) depth++;
      else if (x.kind === 'op' && (x.text === ')' || x.text === ']')) depth--;
      else if (depth === 0 && x.kind === 'word' && x.text.toUpperCase() === 'AS' && j > k + 2) {
        prepend(wraps.before, sig[k + 2]!, 'SF_TRY_CAST_INPUT(');
        append(wraps.after, sig[j - 1]!, ')');
        break;
      }
    }
  }
}

/**
 * `(VALUES (…), (…))` without a column list: Snowflake names the columns COLUMN1, COLUMN2, …
 * (DuckDB: col0, col1, …).
 */
export function nameValuesColumns(sig: Token[], wraps: Wraps): void {
  for (let k = 0; k < sig.length - 2; k++) {
    if (sig[k]!.text !== '(' || sig[k + 1]!.kind !== 'word' || sig[k + 1]!.text.toUpperCase() !== 'VALUES' || sig[k + 2]!.text !== '(') continue;
    const firstRowEnd = closing(sig, k + 2);
    let columns = 1;
    for (let j = k + 3, depth = 0; j < firstRowEnd; j++) {
      const t = sig[j]!;
      if (t.kind === 'op' && (t.text === '(' || t.text === '[')) depth++;
      else if (t.kind === 'op' && (t.text === ')' || t.text === ']')) depth--;
      else if (depth === 0 && t.kind === 'op' && t.text === ',') columns++;
    }
    const end = closing(sig, k);
    const list = `(${Array.from({ length: columns }, (_, i) => `COLUMN${i + 1}`).join(', ')})`;
    let alias = end + 1;
    if (sig[alias]?.kind === 'word' && sig[alias]!.text.toUpperCase() === 'AS') alias++;
    const named = isWordish(sig[alias]) && !(sig[alias]!.kind === 'word' && KEYWORDS.has(sig[alias]!.text.toUpperCase()));
    if (named && sig[alias + 1]?.text === '(') continue;
    if (named) append(wraps.after, sig[alias]!, list);
    else append(wraps.after, sig[end]!, ` AS VALUES_${k}${list}`);
  }
}

/** `LISTAGG(x, d) WITHIN GROUP (ORDER BY y)` becomes DuckDB's `LISTAGG(x, d ORDER BY y)`. */
export function moveWithinGroup(sig: Token[], wraps: Wraps): void {
  for (let k = 0; k < sig.length - 3; k++) {
    const t = sig[k]!;
    if (t.kind !== 'word' || t.text.toUpperCase() !== 'WITHIN' || sig[k + 1]?.text.toUpperCase() !== 'GROUP' || sig[k + 2]?.text !== '(') continue;
    const call = sig[k - 1];
    if (call?.text !== ')') continue;
    const fn = sig[opening(sig, k - 1) - 1];
    if (!fn || !['LISTAGG', 'ARRAY_AGG', 'ARRAYAGG'].includes(fn.text.toUpperCase())) continue;
    wraps.replace.set(call, ' ');
    wraps.replace.set(t, '');
    wraps.replace.set(sig[k + 1]!, '');
    wraps.replace.set(sig[k + 2]!, '');
  }
}

/**
 * `CAST(x AS VARCHAR(n))` fails on a longer string and `TRY_CAST` gives NULL (the TRY_CAST page's
 * example: 'ABCD' AS CHAR(2) is NULL); DuckDB ignores the length.
 */
export function checkCastLengths(sig: Token[], wraps: Wraps): void {
  for (let k = 0; k < sig.length - 2; k++) {
    const fn = sig[k]!.kind === 'word' ? sig[k]!.text.toUpperCase() : '';
    if ((fn !== 'CAST' && fn !== 'TRY_CAST') || sig[k + 1]!.text !== '(') continue;
    const end = closing(sig, k + 1);
    const type = sig[end - 4];
    if (
      sig[end - 5]?.text.toUpperCase() !== 'AS' ||
      !type ||
      !LENGTH_TYPE_NAMES.has(type.text.toUpperCase()) ||
      sig[end - 3]?.text !== '(' ||
      sig[end - 2]?.kind !== 'number' ||
      sig[end - 1]?.text !== ')'
    ) {
      continue;
    }
    // CAST(x AS VARCHAR(5)) -> SF_CAST_VARCHAR(CAST(x AS VARCHAR), 5)
    prepend(wraps.before, sig[k]!, fn === 'CAST' ? 'SF_CAST_VARCHAR(' : 'SF_TRY_CAST_VARCHAR(');
    wraps.replace.set(type, 'VARCHAR');
    for (const j of [end - 3, end - 2, end - 1]) wraps.replace.set(sig[j]!, '');
    append(wraps.after, sig[end]!, `, ${sig[end - 2]!.text})`);
  }
}

/** `x::VARCHAR(n)` fails on a longer string, as CAST does. */
export function checkCastOperatorLengths(sig: Token[], wraps: Wraps): void {
  for (let k = 1; k < sig.length - 4; k++) {
    if (sig[k]!.text !== '::' || !LENGTH_TYPE_NAMES.has(sig[k + 1]!.text.toUpperCase())) continue;
    if (sig[k + 2]!.text !== '(' || sig[k + 3]!.kind !== 'number' || sig[k + 4]!.text !== ')') continue;
    const start = operandStart(sig, k - 1);
    if (start < 0) continue;
    prepend(wraps.before, sig[start]!, 'SF_CAST_VARCHAR(');
    wraps.replace.set(sig[k + 1]!, 'VARCHAR');
    for (const j of [k + 2, k + 3, k + 4]) wraps.replace.set(sig[j]!, '');
    append(wraps.after, sig[k + 4]!, `, ${sig[k + 3]!.text})`);
  }
}

const LENGTH_TYPE_NAMES = new Set(['VARCHAR', 'STRING', 'TEXT', 'CHAR', 'CHARACTER', 'NCHAR', 'NVARCHAR', 'NVARCHAR2']);

/** Snowflake's date parts for DATEADD, by alias (see "Supported date and time parts"). */
const DATE_PARTS: Record<string, string> = {};
const TIME_PARTS: Record<string, string> = {};
for (const [canonical, aliases] of Object.entries({
  year: 'Y YY YYY YYYY YR YEARS YRS',
  quarter: 'Q QTR QTRS QUARTERS',
  month: 'MM MON MONS MONTHS',
  week: 'W WK WEEKOFYEAR WOY WY WEEKS',
  day: 'D DD DAYS DAYOFMONTH',
})) {
  for (const a of [canonical.toUpperCase(), ...aliases.split(' ')]) DATE_PARTS[a] = canonical;
}
for (const [canonical, aliases] of Object.entries({
  hour: 'H HH HR HOURS HRS',
  minute: 'M MI MIN MINUTES MINS',
  second: 'S SEC SECONDS SECS',
  millisecond: 'MS MSEC MILLISECONDS',
  microsecond: 'US USEC MICROSECONDS',
  nanosecond: 'NS NSEC NANOSEC NSECOND NANOSECONDS NANOSECS NSECONDS',
})) {
  for (const a of [canonical.toUpperCase(), ...aliases.split(' ')]) TIME_PARTS[a] = canonical;
}

/**
 * DATEADD/TIMESTAMPADD with a known part: a date part keeps a DATE a DATE, a time part makes it a
 * TIMESTAMP_NTZ (per the DATEADD page). Returns the macro and the canonical part, or undefined.
 */
export function dateAddPart(part: string): { macro: string; part: string } | undefined {
  const upper = part.toUpperCase();
  if (DATE_PARTS[upper]) return { macro: 'SF_DATEADD_DATE_PART', part: DATE_PARTS[upper]! };
  if (TIME_PARTS[upper]) return { macro: 'SF_DATEADD_TIME_PART', part: TIME_PARTS[upper]! };
  return undefined;
}

// ---------------------------------------------------------------------------
// Session setup: the macros the rewrites call, and Snowflake's NULL order.

export const STRICT_SESSION_SQL: string[] = [
  // ORDER BY: NULLs sort as the largest value (NULLS LAST ascending, NULLS FIRST descending).
  `SET default_null_order = 'nulls_last_on_asc_first_on_desc'`,
  // The value in DOUBLE, typed as Snowflake types it: a DOUBLE when either side is one, else a
  // NUMBER with scale max(S1, min(S1 + 6, 12)) (DuckDB's decimal rules build that type: a product
  // adds scales, round() to 12 caps it, a sum takes the larger).
  `CREATE OR REPLACE TEMP MACRO SF_DIV(a, b) AS cast_to_type(
     CASE WHEN b = 0 THEN ${raiseSql('100051', '22012', "'Division by zero'")} ELSE CAST(a AS DOUBLE) / CAST(b AS DOUBLE) END,
     round(a * 1.000000, 12) + a * 0 + round(b, 0) * 0)`,
  `CREATE OR REPLACE TEMP MACRO SF_GREATEST(l) AS CASE WHEN list_bool_or(list_transform(l, x -> x IS NULL)) THEN NULL ELSE list_max(l) END`,
  `CREATE OR REPLACE TEMP MACRO SF_LEAST(l) AS CASE WHEN list_bool_or(list_transform(l, x -> x IS NULL)) THEN NULL ELSE list_min(l) END`,
  `CREATE OR REPLACE TEMP MACRO SF_MONTHNAME(d) AS strftime(d, '%b')`,
  `CREATE OR REPLACE TEMP MACRO SF_DAYNAME(d) AS strftime(d, '%a')`,
  `CREATE OR REPLACE TEMP MACRO SF_REGEXP_REPLACE(s, p) AS regexp_replace(s, p, '', 'g'), (s, p, r) AS regexp_replace(s, p, r, 'g')`,
  `CREATE OR REPLACE TEMP MACRO SF_AVG(x) AS cast_to_type(avg(x), any_value(round(x * 1.000000, 12) + x * 0))`,
  // Bound, not run: DuckDB's suffix() takes only strings, so any other input type fails while the
  // statement compiles (see tryCastInputError), even over an empty table.
  `CREATE OR REPLACE TEMP MACRO SF_TRY_CAST_INPUT(x) AS CASE WHEN suffix(x, '') IS NULL THEN x ELSE x END`,
  `CREATE OR REPLACE TEMP MACRO SF_DATEADD_DATE_PART(part, amount, value) AS cast_to_type(value + CAST(amount || ' ' || part AS INTERVAL), value)`,
  `CREATE OR REPLACE TEMP MACRO SF_DATEADD_TIME_PART(part, amount, value) AS value + CAST(amount || ' ' || part AS INTERVAL)`,
  `CREATE OR REPLACE TEMP MACRO SF_CAST_VARCHAR(value, n) AS CASE WHEN length(value) > n
     THEN ${raiseSql('100074', '22000', "'String ''' || value || ''' is too long and would be truncated'")} ELSE value END`,
  `CREATE OR REPLACE TEMP MACRO SF_TRY_CAST_VARCHAR(value, n) AS CASE WHEN length(value) > n THEN NULL ELSE value END`,
  `CREATE OR REPLACE TEMP MACRO SF_DATE_TRUNC(part, value) AS cast_to_type(date_trunc(part, value), value)`,
];

/** The Snowflake error for a TRY_CAST of a non-string, from DuckDB's binder error for SF_TRY_CAST_INPUT. */
export function tryCastInputError(duckdbMessage: string): TranslationError | undefined {
  const match = /No function matches the given name and argument types 'suffix\((.+), STRING_LITERAL\)'/.exec(duckdbMessage);
  if (!match) return undefined;
  return new TranslationError(`SQL compilation error:\nInvalid argument types for function 'TRY_CAST': (${snowflakeTypeName(match[1]!)})`, '001044', '42P13');
}

/** Snowflake's name for a DuckDB type, as error messages show it. */
function snowflakeTypeName(duckdbType: string): string {
  if (/^(TINY|SMALL|BIG|HUGE|U?)INT(EGER)?$|^U(TINY|SMALL|BIG|HUGE)INT$/.test(duckdbType)) return 'NUMBER(38,0)';
  if (duckdbType.startsWith('DECIMAL')) return duckdbType.replace('DECIMAL', 'NUMBER');
  if (duckdbType === 'DOUBLE' || duckdbType === 'FLOAT') return 'FLOAT';
  if (duckdbType === 'TIMESTAMP') return 'TIMESTAMP_NTZ(9)';
  if (duckdbType === 'TIMESTAMP WITH TIME ZONE') return 'TIMESTAMP_LTZ(9)';
  if (duckdbType === 'BLOB') return 'BINARY';
  return duckdbType;
}

// ---------------------------------------------------------------------------
// MERGE: two source rows joined to one target row that a WHEN MATCHED clause updates or deletes
// is an error while ERROR_ON_NONDETERMINISTIC_MERGE is TRUE (the default).

/**
 * The Snowflake query that counts target rows joined to more than one source row, or undefined
 * when the MERGE has no WHEN MATCHED clause (inserts alone are deterministic).
 */
export function mergeDuplicateQuery(tokens: Token[]): string | undefined {
  const sig = tokens.filter(isSignificant);
  const word = (k: number): string => (sig[k]?.kind === 'word' ? sig[k]!.text.toUpperCase() : '');
  let depth = 0;
  let using = -1;
  let on = -1;
  const whens: number[] = [];
  for (let k = 2; k < sig.length; k++) {
    const t = sig[k]!;
    if (t.kind === 'op' && t.text === '(') depth++;
    else if (t.kind === 'op' && t.text === ')') depth--;
    if (depth !== 0) continue;
    if (word(k) === 'USING' && using < 0) using = k;
    else if (word(k) === 'ON' && using >= 0 && on < 0) on = k;
    else if (word(k) === 'WHEN' && on >= 0) whens.push(k);
  }
  if (word(1) !== 'INTO' || using < 0 || on < 0 || whens.length === 0) return undefined;
  const text = (from: number, to: number): string =>
    tokens
      .slice(tokens.indexOf(sig[from]!), to < sig.length ? tokens.indexOf(sig[to]!) : tokens.length)
      .map((t) => t.text)
      .join('');
  // Rows some WHEN MATCHED clause acts on: its AND predicate, or every joined row.
  const predicates: string[] = [];
  for (const k of whens) {
    if (word(k + 1) !== 'MATCHED') continue;
    if (word(k + 2) !== 'AND') {
      predicates.push('TRUE');
      break;
    }
    let then = k + 3;
    for (let d = 0; then < sig.length; then++) {
      if (sig[then]!.text === '(') d++;
      else if (sig[then]!.text === ')') d--;
      else if (d === 0 && word(then) === 'THEN') break;
    }
    predicates.push(`(${text(k + 3, then).trim()})`);
  }
  if (predicates.length === 0) return undefined;
  const targetAlias = sig[using - 1]!.text;
  return (
    `SELECT COUNT(*) FROM (SELECT ${targetAlias}.ROWID FROM ${text(2, using)} JOIN ${text(using + 1, on)} ON ${text(on + 1, whens[0]!)} ` +
    `WHERE ${predicates.join(' OR ')} GROUP BY ${targetAlias}.ROWID HAVING COUNT(*) > 1)`
  );
}

// ---------------------------------------------------------------------------
// Warehouses: a query or DML statement needs one; DDL, SHOW, USE and constant SELECTs do not.

export function needsWarehouse(tokens: Token[]): boolean {
  const words = tokens.filter((t) => t.kind === 'word').map((t) => t.text.toUpperCase());
  const head = words[0];
  if (head === 'INSERT' || head === 'UPDATE' || head === 'DELETE' || head === 'MERGE' || head === 'COPY') return true;
  if (head === 'SELECT' || head === 'WITH') return words.includes('FROM');
  if (head === 'CREATE') return words.includes('SELECT') && words.includes('FROM') && !words.includes('VIEW');
  return false;
}
