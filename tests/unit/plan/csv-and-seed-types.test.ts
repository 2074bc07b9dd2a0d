import { describe, expect, it } from 'vitest';
import { duckDbDialect } from '../../../src/adapters/duckdb/duckdb-dialect.js';
import { ProjectError } from '../../../src/core/errors.js';
import { parseCsv } from '../../../src/project/csv.js';
import { inferType, typeSeed } from '../../../src/plan/seed-types.js';

function errorOf(fn: () => unknown): ProjectError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProjectError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

describe('CSV parsing', () => {
  it('reads quoted fields with commas, quotes and newlines, and keeps each row line', () => {
    const t = parseCsv('a,b\n1,"x, ""y"""\n2,"multi\nline"\n3,z\n', 'seeds/s.csv');
    expect(t.header).toEqual(['a', 'b']);
    expect(t.rows.map((r) => r.values)).toEqual([
      ['1', 'x, "y"'],
      ['2', 'multi\nline'],
      ['3', 'z'],
    ]);
    expect(t.rows.map((r) => r.line)).toEqual([2, 3, 5]);
  });

  it('accepts CRLF, a BOM and a missing final newline, and skips blank lines', () => {
    const t = parseCsv('\ufeffa,b\r\n1,2\r\n\r\n3,4', 's.csv');
    expect(t.rows.map((r) => r.values)).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
  });

  it('reports a ragged row with its file and line', () => {
    const e = errorOf(() => parseCsv('a,b\n1,2\n3,4,5\n', 'seeds/rules.csv'));
    expect(e.headline).toBe('seeds/rules.csv:3: error [seed]: row has 3 values but the header has 2 columns (a, b)');
  });

  it('reports an unclosed quote, an empty file and duplicate headers', () => {
    expect(errorOf(() => parseCsv('a\n"open\n', 's.csv')).message).toMatch(/never closed/);
    expect(errorOf(() => parseCsv('', 's.csv')).message).toMatch(/empty/);
    expect(errorOf(() => parseCsv('a,A\n1,2\n', 's.csv')).message).toMatch(/appears twice/);
  });
});

describe('seed types', () => {
  it('infers the narrowest type', () => {
    expect(inferType(['1', '2', ''])).toBe('integer');
    expect(inferType(['1', '9999999999'])).toBe('bigint');
    expect(inferType(['1', '2.5'])).toBe('double');
    expect(inferType(['true', 'False'])).toBe('boolean');
    expect(inferType(['2020-01-01'])).toBe('date');
    expect(inferType(['2020-01-01 10:00:00', '2020-01-02'])).toBe('timestamp');
    expect(inferType(['2020-02-30'])).toBe('text');
    expect(inferType(['abc', '1'])).toBe('text');
    expect(inferType(['', ''])).toBe('text');
  });

  it('maps empty values to NULL and keeps an empty quoted text', () => {
    const t = parseCsv('n,s\n1,""\n,x\n', 's.csv');
    const typed = typeSeed(t, 's.csv', duckDbDialect);
    expect(typed.columns).toEqual([
      { name: 'n', type: 'INTEGER' },
      { name: 's', type: 'VARCHAR' },
    ]);
    expect(typed.rows).toEqual([
      ['1', ''],
      [null, 'x'],
    ]);
  });

  it('checks values against column_types and names line and column', () => {
    const t = parseCsv('segment_type,min_value\nfrequent,1\nrecency,ten\n', 'seeds/rules.csv');
    const e = errorOf(() => typeSeed(t, 'seeds/rules.csv', duckDbDialect, { min_value: 'integer' }));
    expect(e.headline).toBe("seeds/rules.csv:3: error [seed]: value 'ten' in column 'min_value' is not a valid integer");
    expect(e.hint).toMatch(/column_types/);
  });

  it('rejects column_types for a column the file does not have', () => {
    const t = parseCsv('a\n1\n', 's.csv');
    expect(errorOf(() => typeSeed(t, 's.csv', duckDbDialect, { b: 'integer' })).message).toMatch(/'b', which is not in the header/);
  });
});
