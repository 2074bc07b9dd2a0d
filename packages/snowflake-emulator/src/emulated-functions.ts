// Snowflake functions that DuckDB lacks (or has with other arguments), emulated as session macros
// and a call rewrite, each as its page in Snowflake's SQL reference describes it:
//
// - ARRAY_CONSTRUCT  https://docs.snowflake.com/en/sql-reference/functions/array_construct
//   an ARRAY of zero or more values of any types; a SQL NULL becomes a null element.
// - ARRAY_APPEND     https://docs.snowflake.com/en/sql-reference/functions/array_append
//   the array with the element added at its end.
// - ARRAY_CAT        https://docs.snowflake.com/en/sql-reference/functions/array_cat
//   the elements of the first array, then the second's; NULL when either is NULL.
// - ARRAY_SLICE      https://docs.snowflake.com/en/sql-reference/functions/array_slice
//   elements from position `from` (0-based, included) to `to` (excluded); a negative position
//   counts from the end; both past one end give an empty array; NULL when any argument is NULL.
// - ARRAY_TO_STRING  https://docs.snowflake.com/en/sql-reference/functions/array_to_string
//   the elements as text (TO_VARCHAR: strings unquoted, arrays and objects as JSON) joined by the
//   separator; a null element is an empty string; a NULL argument gives NULL.
// - LAST_DAY         https://docs.snowflake.com/en/sql-reference/functions/last_day
//   the last day of the year, quarter, month (the default) or week (weeks start on Monday, the
//   WEEK_START default, which the emulator does not let a session change), always a DATE.
// - REGEXP_INSTR     https://docs.snowflake.com/en/sql-reference/functions/regexp_instr
//   the 1-based position of the `occurrence`-th match found from `position` on, or of the
//   character after it (`option` 1); 0 when there is none; regexp_parameters c, i, m, s as
//   in "String functions (regular expressions)"
//   (https://docs.snowflake.com/en/sql-reference/functions-regexp). Sub-match extraction (`e`,
//   `group_num`) is not emulated and fails as Unsupported.
// - RANDOM           https://docs.snowflake.com/en/sql-reference/functions/random
//   a pseudo-random 64-bit integer (DuckDB's random() is a double in [0, 1)). A seed (repeatable
//   sequences) is not emulated and fails as Unsupported.
// - UNIFORM          https://docs.snowflake.com/en/sql-reference/functions/uniform
//   a uniformly distributed number in the inclusive range [min, max], drawn from `gen` (a raw
//   source of 64-bit integers, typically RANDOM()); min and max are constants: an integer when
//   both are integers, a floating-point number when either is one. Constants here are integer
//   literals and literals cast to a floating-point type (`0::float`); any other min or max
//   fails as Unsupported.
// - TO_CHAR / TO_VARCHAR with a format, on a date or timestamp
//   https://docs.snowflake.com/en/sql-reference/functions/to_char: the value written in the
//   format, whose elements are those of "Date and time formats in conversion functions"
//   (https://docs.snowflake.com/en/sql-reference/functions-conversion#date-and-time-formats-in-conversion-functions):
//   YYYY, YY, MM, MON (`Nov`), MMMM (`November`), DD, DY (`Sun`), HH24, HH12, AM/PM, MI, SS, FF,
//   "quoted text". The format must be a string literal of those elements here; a numeric value
//   with a format fails (numeric formats are not emulated).
// - WIDTH_BUCKET     https://docs.snowflake.com/en/sql-reference/functions/width_bucket
//   the bucket (1 to num_buckets) of equal-width buckets between min and max that expr falls in;
//   0 below min, num_buckets + 1 at max or above; NULL when any argument is NULL.
//
// Arrays are DuckDB JSON values here (the emulator stores ARRAY columns as JSON); the macros also
// take DuckDB lists, which is what ARRAY_AGG gives.

import { closing, dateAddPart, topLevelCommas, type Wraps } from './strict.js';
import { hasUnknownFormatLetters, strptimeFormat } from './input-formats.js';
import { raiseSql, TranslationError } from './sql-error.js';
import type { Token } from './tokenizer.js';

const unsupported = (what: string): TranslationError => new TranslationError(`Unsupported feature '${what}' (not emulated).`, '002000', '0A000');

/** `error(…)` with a Snowflake "invalid argument" message for a bad parameter value. */
const invalidArgument = (fn: string, what: string): string =>
  raiseSql('100069', '22023', `'Invalid parameter value: ' || ${what} || '. Reason: invalid argument for function ${fn}'`);

export const EMULATED_FUNCTIONS_SQL: string[] = [
  // RANDOM(): uniform over the 64-bit integers (the product is kept below 2^64 so the cast cannot overflow).
  `CREATE OR REPLACE TEMP MACRO SF_RANDOM() AS
     CAST(CAST(least(random() * 18446744073709551616.0, 18446744073709549568.0) AS HUGEINT) - 9223372036854775808 AS BIGINT)`,
  // A 64-bit integer from UNIFORM's gen, as a fraction in [0, 1).
  `CREATE OR REPLACE TEMP MACRO SF_UNIT(gen) AS (CAST(gen AS HUGEINT) + 9223372036854775808) / 18446744073709551616.0`,
  `CREATE OR REPLACE TEMP MACRO SF_UNIFORM_INT(lo, hi, gen) AS CAST(lo + floor(SF_UNIT(gen) * (hi - lo + 1)) AS BIGINT)`,
  `CREATE OR REPLACE TEMP MACRO SF_UNIFORM_FLOAT(lo, hi, gen) AS CAST(lo AS DOUBLE) + SF_UNIT(gen) * (CAST(hi AS DOUBLE) - CAST(lo AS DOUBLE))`,
  // The elements of an ARRAY (JSON) or of a DuckDB list, as a list of JSON values.
  `CREATE OR REPLACE TEMP MACRO SF_ARRAY_ELEMENTS(a) AS CAST(to_json(a) AS JSON[])`,
  `CREATE OR REPLACE TEMP MACRO SF_ARRAY_APPEND(a, e) AS
     CASE WHEN a IS NULL THEN NULL ELSE to_json(list_append(SF_ARRAY_ELEMENTS(a), to_json(e))) END`,
  `CREATE OR REPLACE TEMP MACRO SF_ARRAY_CAT(a, b) AS
     CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE to_json(list_concat(SF_ARRAY_ELEMENTS(a), SF_ARRAY_ELEMENTS(b))) END`,
  // A 0-based, end-exclusive position, negative from the end, clamped to 0..n.
  `CREATE OR REPLACE TEMP MACRO SF_SLICE_BOUND(i, n) AS CASE WHEN i < 0 THEN greatest(n + i, 0) ELSE least(i, n) END`,
  `CREATE OR REPLACE TEMP MACRO SF_ARRAY_SLICE(a, f, t) AS
     CASE WHEN a IS NULL OR f IS NULL OR t IS NULL THEN NULL
     ELSE to_json(list_slice(SF_ARRAY_ELEMENTS(a),
       SF_SLICE_BOUND(f, len(SF_ARRAY_ELEMENTS(a))) + 1, SF_SLICE_BOUND(t, len(SF_ARRAY_ELEMENTS(a))))) END`,
  `CREATE OR REPLACE TEMP MACRO SF_ARRAY_TO_STRING(a, sep) AS
     CASE WHEN a IS NULL OR sep IS NULL THEN NULL
     ELSE array_to_string(list_transform(SF_ARRAY_ELEMENTS(a), x -> coalesce(json_extract_string(x, '$'), '')), sep) END`,
  `CREATE OR REPLACE TEMP MACRO SF_LAST_DAY(d, part) AS
     CAST(date_trunc(part, CAST(d AS DATE)) + CAST('1 ' || part AS INTERVAL) - INTERVAL 1 DAY AS DATE)`,
  // Inline RE2 flags for Snowflake's regexp_parameters: the last of c/i wins, m and s as given.
  `CREATE OR REPLACE TEMP MACRO SF_REGEXP_FLAGS(params) AS
     CASE WHEN regexp_matches(params, '[^cimes]') THEN ${invalidArgument('REGEXP_INSTR', "'''' || params || ''''")}
     WHEN contains(params, 'e') THEN ${raiseSql('002000', '0A000', "'Unsupported feature ''REGEXP_INSTR with e (sub-match extraction)'' (not emulated).'")}
     ELSE concat_ws('',
       CASE WHEN regexp_matches(params, 'i[^c]*$') THEN 'i' END,
       CASE WHEN contains(params, 'm') THEN 'm' END,
       CASE WHEN contains(params, 's') THEN 's' END) END`,
  // Where the occ-th match of re in t starts (the text before it: the split parts up to it and the
  // matches before it), plus the match's length for option 1; pos is where t starts in the subject.
  `CREATE OR REPLACE TEMP MACRO SF_REGEXP_INSTR_IN(t, re, pos, occ, opt) AS
     CASE WHEN len(regexp_extract_all(t, re)) < occ THEN 0
     ELSE pos + list_sum(list_transform(list_slice(regexp_split_to_array(t, re), 1, occ), x -> length(x)))
       + coalesce(list_sum(list_transform(list_slice(regexp_extract_all(t, re), 1, occ - 1), x -> length(x))), 0)
       + CASE WHEN opt = 1 THEN length(regexp_extract_all(t, re)[occ]) ELSE 0 END END`,
  `CREATE OR REPLACE TEMP MACRO SF_REGEXP_INSTR_ALL(s, p, pos, occ, opt, params) AS
     CASE WHEN s IS NULL OR p IS NULL OR pos IS NULL OR occ IS NULL OR opt IS NULL OR params IS NULL THEN NULL
     WHEN pos < 1 THEN ${invalidArgument('REGEXP_INSTR', 'CAST(pos AS VARCHAR)')}
     WHEN occ < 1 THEN ${invalidArgument('REGEXP_INSTR', 'CAST(occ AS VARCHAR)')}
     WHEN opt NOT IN (0, 1) THEN ${invalidArgument('REGEXP_INSTR', 'CAST(opt AS VARCHAR)')}
     ELSE SF_REGEXP_INSTR_IN(substr(s, pos),
       CASE WHEN SF_REGEXP_FLAGS(params) = '' THEN p ELSE '(?' || SF_REGEXP_FLAGS(params) || ')' || p END, pos, occ, opt) END`,
  `CREATE OR REPLACE TEMP MACRO SF_REGEXP_INSTR(s, p) AS SF_REGEXP_INSTR_ALL(s, p, 1, 1, 0, 'c'),
     (s, p, pos) AS SF_REGEXP_INSTR_ALL(s, p, pos, 1, 0, 'c'),
     (s, p, pos, occ) AS SF_REGEXP_INSTR_ALL(s, p, pos, occ, 0, 'c'),
     (s, p, pos, occ, opt) AS SF_REGEXP_INSTR_ALL(s, p, pos, occ, opt, 'c'),
     (s, p, pos, occ, opt, params) AS SF_REGEXP_INSTR_ALL(s, p, pos, occ, opt, params)`,
  `CREATE OR REPLACE TEMP MACRO SF_WIDTH_BUCKET(e, lo, hi, n) AS
     CASE WHEN e IS NULL OR lo IS NULL OR hi IS NULL OR n IS NULL THEN NULL
     WHEN e < lo THEN 0 WHEN e >= hi THEN n + 1
     ELSE CAST(floor((e - lo) * n / (hi - lo)) AS BIGINT) + 1 END`,
];

const RENAMES: Record<string, string> = {
  // DuckDB's json_array takes any number of values of any types, as ARRAY_CONSTRUCT does.
  ARRAY_CONSTRUCT: 'json_array',
  ARRAY_APPEND: 'SF_ARRAY_APPEND',
  ARRAY_CAT: 'SF_ARRAY_CAT',
  ARRAY_SLICE: 'SF_ARRAY_SLICE',
  ARRAY_TO_STRING: 'SF_ARRAY_TO_STRING',
  REGEXP_INSTR: 'SF_REGEXP_INSTR',
  WIDTH_BUCKET: 'SF_WIDTH_BUCKET',
};

const FLOAT_TYPES = new Set(['FLOAT', 'FLOAT4', 'FLOAT8', 'DOUBLE', 'REAL']);

/**
 * The kind of a UNIFORM bound written between `from` and `to` (exclusive): 'int' for an integer
 * literal, 'float' for a literal cast to a floating-point type, undefined for anything else.
 */
function constantKind(sig: Token[], from: number, to: number): 'int' | 'float' | undefined {
  let k = from;
  if (sig[k]?.kind === 'op' && (sig[k]!.text === '-' || sig[k]!.text === '+')) k++;
  const n = sig[k];
  if (n?.kind !== 'number') return undefined;
  const integer = /^\d+$/.test(n.text);
  k++;
  if (k === to) return integer ? 'int' : undefined;
  if (sig[k]?.text !== '::' || k + 2 !== to || sig[k + 1]?.kind !== 'word') return undefined;
  return FLOAT_TYPES.has(sig[k + 1]!.text.toUpperCase()) ? 'float' : undefined;
}

/** The date parts LAST_DAY takes. */
const LAST_DAY_PARTS = new Set(['year', 'quarter', 'month', 'week']);

/** Rewrites calls of the functions above to their emulation (see translate.ts's `generic`). */
export function rewriteEmulatedFunctions(sig: Token[], wraps: Wraps): void {
  for (let k = 0; k < sig.length - 1; k++) {
    const t = sig[k]!;
    if (t.kind !== 'word' || sig[k + 1]!.text !== '(' || sig[k - 1]?.text === '.') continue;
    const w = t.text.toUpperCase();
    const end = closing(sig, k + 1);
    const commas = topLevelCommas(sig, k + 1, end);
    if (w === 'REGEXP_INSTR' && commas.length >= 6) throw unsupported('REGEXP_INSTR with group_num (sub-match extraction)');
    if ((w === 'TO_CHAR' || w === 'TO_VARCHAR') && commas.length === 1) {
      const fmt = sig[sig.indexOf(commas[0]!) + 1];
      if (fmt?.kind !== 'string' || sig.indexOf(fmt) !== end - 1) throw unsupported(`${w} with a format that is not a string literal`);
      if (hasUnknownFormatLetters(fmt.value ?? '')) throw unsupported(`${w} with the format '${fmt.value}' (an element the emulator does not know)`);
      wraps.replace.set(t, 'strftime');
      wraps.replace.set(fmt, `'${strptimeFormat(fmt.value ?? '').replaceAll("'", "''")}'`);
      continue;
    }
    if (w === 'RANDOM') {
      if (end !== k + 2) throw unsupported('RANDOM with a seed');
      wraps.replace.set(t, 'SF_RANDOM');
      continue;
    }
    if (w === 'UNIFORM') {
      if (commas.length !== 2) {
        throw new TranslationError(
          `SQL compilation error:\n${commas.length < 2 ? 'not enough' : 'too many'} arguments for function UNIFORM, expected 3, got ${commas.length + 1}`,
          '001044',
          '42P13',
        );
      }
      const [c1, c2] = commas.map((c) => sig.indexOf(c));
      const lo = constantKind(sig, k + 2, c1!);
      const hi = constantKind(sig, c1! + 1, c2!);
      if (!lo || !hi) throw unsupported('UNIFORM with a min or max other than an integer literal or a literal cast to FLOAT');
      wraps.replace.set(t, lo === 'int' && hi === 'int' ? 'SF_UNIFORM_INT' : 'SF_UNIFORM_FLOAT');
      continue;
    }
    if (RENAMES[w]) {
      wraps.replace.set(t, RENAMES[w]!);
      continue;
    }
    if (w !== 'LAST_DAY') continue;
    wraps.replace.set(t, 'SF_LAST_DAY');
    if (commas.length === 0) {
      wraps.before.set(sig[end]!, `${wraps.before.get(sig[end]!) ?? ''}, 'month'`);
      continue;
    }
    // The date part: a keyword or a string literal, alone after the comma.
    const partToken = sig[sig.indexOf(commas[0]!) + 1];
    const name = partToken?.kind === 'string' ? (partToken.value ?? '') : partToken?.kind === 'word' ? partToken.text : undefined;
    const canonical = name === undefined ? undefined : dateAddPart(name)?.part;
    if (commas.length > 1 || partToken === undefined || sig.indexOf(partToken) !== end - 1 || !canonical || !LAST_DAY_PARTS.has(canonical)) {
      throw new TranslationError(
        `SQL compilation error:\nInvalid date part '${name ?? ''}' for function LAST_DAY: it takes year, quarter, month or week.`,
        '001044',
        '42P13',
      );
    }
    wraps.replace.set(partToken, `'${canonical}'`);
  }
}
