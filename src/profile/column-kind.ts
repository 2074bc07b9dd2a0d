/** How a column is profiled, from its warehouse type name (DuckDB's or Snowflake's). */
export type ColumnKind = 'integer' | 'number' | 'timestamp' | 'date' | 'text' | 'boolean' | 'scalar' | 'other';

export function columnKind(type: string): ColumnKind {
  const t = type.trim().toUpperCase();
  if (/^(TINYINT|SMALLINT|INTEGER|INT|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|INT\d*|BYTEINT)$/.test(t)) return 'integer';
  // Snowflake's NUMBER(p, 0) holds whole numbers.
  if (/^(NUMBER|NUMERIC|DECIMAL)\s*\(\s*\d+\s*,\s*0\s*\)$/.test(t)) return 'integer';
  if (/^(DOUBLE|FLOAT\d*|REAL|DECIMAL|NUMERIC|NUMBER|DOUBLE PRECISION)\b/.test(t)) return 'number';
  if (/^DATE$/.test(t)) return 'date';
  if (/^(TIMESTAMP|DATETIME)/.test(t)) return 'timestamp';
  if (/^(VARCHAR|TEXT|STRING|CHAR|CHARACTER|BPCHAR|NVARCHAR|NCHAR)\b/.test(t)) return 'text';
  if (/^(BOOLEAN|BOOL)$/.test(t)) return 'boolean';
  // Ordered values with no histogram: times of day, UUIDs.
  if (/^(TIME|TIMETZ|TIME WITH TIME ZONE|UUID)$/.test(t) || /^TIME\s*\(\d+\)$/.test(t)) return 'scalar';
  return 'other';
}

/** Kinds whose values can be ordered and counted as plain scalars. */
export function isScalar(kind: ColumnKind): boolean {
  return kind !== 'other';
}

/** Kinds that get a histogram. */
export function hasHistogram(kind: ColumnKind): boolean {
  return kind === 'integer' || kind === 'number' || kind === 'timestamp' || kind === 'date';
}
