import type { Dialect, SeedType } from '../warehouse/dialect.js';
import { ProjectError } from '../core/errors.js';
import type { CsvTable } from '../project/csv.js';

const INT = /^[+-]?\d+$/;
const NUM = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const BOOL = /^(true|false)$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?$/;

function validDate(s: string): boolean {
  const [y, m, d] = s.slice(0, 10).split('-').map(Number) as [number, number, number];
  const dt = new Date(Date.UTC(y, m - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d;
}

const CHECKS: Record<SeedType, (v: string) => boolean> = {
  integer: (v) => INT.test(v) && Math.abs(Number(v)) <= 2147483647,
  bigint: (v) => INT.test(v) && BigInt(v) <= 9223372036854775807n && BigInt(v) >= -9223372036854775808n,
  double: (v) => NUM.test(v) || /^[+-]?(inf|infinity|nan)$/i.test(v),
  boolean: (v) => BOOL.test(v),
  date: (v) => DATE.test(v) && validDate(v),
  timestamp: (v) => (TIMESTAMP.test(v) || DATE.test(v)) && validDate(v),
  text: () => true,
};

const ORDER: SeedType[] = ['integer', 'bigint', 'double', 'boolean', 'date', 'timestamp', 'text'];

/** The narrowest type every non-empty value of a column fits. */
export function inferType(values: Iterable<string>): SeedType {
  let candidates = ORDER;
  let seen = false;
  for (const v of values) {
    if (v === '') continue;
    seen = true;
    candidates = candidates.filter((t) => CHECKS[t](v));
    if (candidates.length === 1) break;
  }
  // A column of only empty values is text, the type that takes anything later.
  return seen ? (candidates[0] ?? 'text') : 'text';
}

/** Maps a user's `column_types` entry to the family we can check in advance, if any. */
export function familyOf(sqlType: string): SeedType | undefined {
  const t = sqlType.trim().toLowerCase();
  if (/^(int|integer|int4|smallint|tinyint|int2|int1|signed)$/.test(t)) return 'integer';
  if (/^(bigint|int8|long|hugeint|number\(\s*\d+\s*(,\s*0\s*)?\))$/.test(t)) return 'bigint';
  if (/^(double|float|float4|float8|real|double precision|decimal|numeric|number)(\s*\(.*\))?$/.test(t)) return 'double';
  if (/^(bool|boolean|logical)$/.test(t)) return 'boolean';
  if (t === 'date') return 'date';
  if (/^(timestamp|datetime|timestamp_ntz|timestamp without time zone)(\(\d\))?$/.test(t)) return 'timestamp';
  if (/^(varchar|text|string|char|bpchar)(\s*\(.*\))?$/.test(t)) return 'text';
  return undefined;
}

export interface TypedSeed {
  columns: { name: string; type: string }[];
  rows: (string | null)[][];
}

/**
 * Decides each column's type (inferred, or `column_types`) and checks every value fits, so a bad
 * value is reported with its line and column instead of as a warehouse cast error.
 */
export function typeSeed(table: CsvTable, file: string, dialect: Dialect, columnTypes: Record<string, string> = {}): TypedSeed {
  const lowerTypes = new Map(Object.entries(columnTypes).map(([k, v]) => [k.toLowerCase(), { name: k, type: v }]));
  for (const [, { name }] of lowerTypes) {
    if (!table.header.some((h) => h.toLowerCase() === name.toLowerCase())) {
      throw new ProjectError('seed', `column_types names column '${name}', which is not in the header (${table.header.join(', ')})`, {
        location: { file, line: 1 },
      });
    }
  }
  const columns = table.header.map((name, idx) => {
    const override = lowerTypes.get(name.toLowerCase());
    if (override) return { name, type: override.type, family: familyOf(override.type) };
    const inferred = inferType(table.rows.map((r) => r.values[idx]!.trim()));
    return { name, type: dialect.seedColumnType(inferred), family: inferred };
  });
  const rows = table.rows.map((r) =>
    r.values.map((raw, idx) => {
      const col = columns[idx]!;
      const v = col.family === 'text' ? raw : raw.trim();
      if (v === '' && !(col.family === 'text' && r.quoted[idx])) return null;
      if (col.family && !CHECKS[col.family](v)) {
        throw new ProjectError('seed', `value '${raw}' in column '${col.name}' is not a valid ${col.type.toLowerCase()}`, {
          location: { file, line: r.line },
          hint: lowerTypes.has(col.name.toLowerCase())
            ? `column_types sets '${col.name}' to ${col.type}`
            : `the type was inferred from the column's other values; set column_types for '${col.name}' to change it`,
        });
      }
      return col.family === 'boolean' ? v.toLowerCase() : v;
    }),
  );
  return { columns: columns.map(({ name, type }) => ({ name, type })), rows };
}
