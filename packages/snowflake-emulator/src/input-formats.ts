// TIMESTAMP_INPUT_FORMAT and DATE_INPUT_FORMAT, which Snowflake applies when it reads a string as a
// timestamp or a date (docs.snowflake.com/en/sql-reference/parameters#timestamp-input-format,
// #date-input-format; the elements in docs.snowflake.com/en/sql-reference/date-time-input-output).
// With AUTO (the default) DuckDB's own parsing stands in; with a format, CAST and TRY_CAST of a
// string follow it, so a string in another shape fails (CAST) or becomes NULL (TRY_CAST), as on
// Snowflake. Not covered: the TO_TIMESTAMP/TO_DATE functions without a format argument.

export interface InputFormats {
  timestamp?: string;
  date?: string;
}

const ELEMENTS: [RegExp, string][] = [
  [/^YYYY/i, '%Y'],
  [/^YY/i, '%y'],
  [/^MMMM/i, '%B'],
  [/^MON/i, '%b'],
  [/^MM/i, '%m'],
  [/^DY/i, '%a'],
  [/^DD/i, '%d'],
  [/^HH24/i, '%H'],
  [/^HH12/i, '%I'],
  [/^HH/i, '%H'],
  [/^AM|^PM/i, '%p'],
  [/^MI/i, '%M'],
  [/^SS/i, '%S'],
  [/^FF\d?/i, '%n'],
  [/^TZH:TZM/i, '%z'],
  [/^TZHTZM/i, '%z'],
];

/** Whether `format` has a letter outside its elements and "quoted text" (Snowflake refuses such a format). */
export function hasUnknownFormatLetters(format: string): boolean {
  let rest = format;
  while (rest.length) {
    if (rest.startsWith('"')) {
      const end = rest.indexOf('"', 1);
      rest = end < 0 ? '' : rest.slice(end + 1);
      continue;
    }
    const found = ELEMENTS.find(([re]) => re.test(rest));
    if (found) rest = rest.slice(found[0].exec(rest)![0].length);
    else if (/^[A-Za-z]/.test(rest)) return true;
    else rest = rest.slice(1);
  }
  return false;
}

/** A Snowflake date/time format as a DuckDB strptime format. */
export function strptimeFormat(format: string): string {
  let out = '';
  let rest = format;
  while (rest.length) {
    if (rest.startsWith('"')) {
      const end = rest.indexOf('"', 1);
      const literal = end < 0 ? rest.slice(1) : rest.slice(1, end);
      out += literal.replaceAll('%', '%%');
      rest = end < 0 ? '' : rest.slice(end + 1);
      continue;
    }
    const found = ELEMENTS.find(([re]) => re.test(rest));
    if (found) {
      out += found[1];
      rest = rest.slice(found[0].exec(rest)![0].length);
    } else {
      out += rest[0] === '%' ? '%%' : rest[0];
      rest = rest.slice(1);
    }
  }
  return out;
}

/** The index of the parenthesis closing the one at `open`, skipping string literals and quoted names. */
function closing(sql: string, open: number): number {
  let depth = 0;
  for (let i = open; i < sql.length; i++) {
    const ch = sql[i];
    if (ch === "'" || ch === '"') {
      const end = sql.indexOf(ch, i + 1);
      if (end < 0) return -1;
      i = end;
    } else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return i;
  }
  return -1;
}

/** Position of the last `AS` at the top level of a cast's argument. */
function lastTopLevelAs(inner: string): number {
  let depth = 0;
  let found = -1;
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i];
    if (ch === "'" || ch === '"') {
      const end = inner.indexOf(ch, i + 1);
      if (end < 0) return -1;
      i = end;
    } else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0 && /\s/.test(ch ?? '') && /^\s+AS\s+/i.test(inner.slice(i))) found = i;
  }
  return found;
}

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * Rewrites CAST/TRY_CAST(… AS TIMESTAMP|DATE) of strings to parse with the session's input
 * formats; values that are not strings convert as before.
 */
export function applyInputFormats(sql: string, formats: InputFormats): string {
  const timestamp = formats.timestamp && formats.timestamp.toUpperCase() !== 'AUTO' ? strptimeFormat(formats.timestamp) : undefined;
  const date = formats.date && formats.date.toUpperCase() !== 'AUTO' ? strptimeFormat(formats.date) : undefined;
  if (!timestamp && !date) return sql;
  let out = '';
  let i = 0;
  const cast = /\b(TRY_CAST|CAST)\s*\(/gi;
  for (;;) {
    cast.lastIndex = i;
    const m = cast.exec(sql);
    if (!m) break;
    // Skip matches inside string literals: count the quotes before the match.
    const before = sql.slice(i, m.index);
    if ((out + before).split("'").length % 2 === 0) {
      out += sql.slice(i, m.index + m[0].length);
      i = m.index + m[0].length;
      continue;
    }
    const open = m.index + m[0].length - 1;
    const close = closing(sql, open);
    if (close < 0) break;
    const inner = sql.slice(open + 1, close);
    const as = lastTopLevelAs(inner);
    const type =
      as < 0
        ? ''
        : inner
            .slice(as)
            .replace(/^\s+AS\s+/i, '')
            .trim();
    const fmt = /^TIMESTAMP(\s*\(\s*\d\s*\))?$/i.test(type) ? timestamp : /^DATE$/i.test(type) ? date : undefined;
    out += before;
    if (as < 0 || !fmt) {
      out += `${m[0]}${applyInputFormats(inner, formats)})`;
    } else {
      const expr = applyInputFormats(inner.slice(0, as), formats);
      const tryCast = m[1]!.toUpperCase() === 'TRY_CAST';
      const parse = `${tryCast ? 'try_strptime' : 'strptime'}(CAST((${expr}) AS VARCHAR), ${literal(fmt)})`;
      const parsed = /^DATE$/i.test(type) ? `CAST(${parse} AS DATE)` : `CAST(${parse} AS TIMESTAMP)`;
      out += `(CASE WHEN typeof(${expr}) = 'VARCHAR' THEN ${parsed} ELSE ${m[1]}((${expr}) AS ${type}) END)`;
    }
    i = close + 1;
  }
  return out + sql.slice(i);
}
