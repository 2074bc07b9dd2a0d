// catalog.json's stats as dbt's format_stats (dbt-core task/docs/generate.py) builds them from
// dbt-snowflake's catalog columns (dbt/include/snowflake/macros/catalog.sql), and the relations read
// from a `Dialect.catalogSql` answer.
import { describe, expect, it } from 'vitest';
import { catalogRelations, catalogStats } from '../../../src/execute/catalog-artifact.js';

const COLUMNS = [
  'table_database',
  'table_schema',
  'table_name',
  'table_type',
  'table_comment',
  'table_owner',
  'column_name',
  'column_index',
  'column_type',
  'column_comment',
  'row_count',
  'bytes',
  'last_altered',
  'clustering_key',
];
const result = (rows: unknown[][]) => ({ columns: COLUMNS.map((name) => ({ name, type: 'VARCHAR' })), rows });

describe('catalog stats', () => {
  it('a Snowflake table: row_count, bytes and last_modified included (expected_stats.py snowflake_stats), has_stats true', () => {
    const rels = catalogRelations(
      result([
        ['DB', 'PUBLIC', 'SEED', 'BASE TABLE', null, 'SYSADMIN', 'id', '1', 'NUMBER', null, '1', '2048', '2026-12-07 12:30:15.000 -0800', null],
        ['DB', 'PUBLIC', 'SEED', 'BASE TABLE', null, 'SYSADMIN', 'name', '2', 'TEXT', null, '1', '2048', '2026-12-07 12:30:15.000 -0800', null],
      ]),
    );
    const seed = rels.get('seed')!;
    expect(seed.columns).toEqual([
      { name: 'id', type: 'NUMBER', index: 1, comment: null },
      { name: 'name', type: 'TEXT', index: 2, comment: null },
    ]);
    expect(seed.owner).toBe('SYSADMIN');
    expect(catalogStats(seed)).toEqual({
      row_count: { id: 'row_count', label: 'Row Count', value: 1, include: true, description: 'An approximate count of rows in this table' },
      bytes: { id: 'bytes', label: 'Approximate Size', value: 2048, include: true, description: 'Approximate size of the table as reported by Snowflake' },
      // to_varchar(convert_timezone('UTC', last_altered), 'yyyy-mm-dd HH24:MI'||'UTC')
      last_modified: {
        id: 'last_modified',
        label: 'Last Modified',
        value: '2026-12-07 20:30UTC',
        include: true,
        description: 'The timestamp for last update/change',
      },
      has_stats: { id: 'has_stats', label: 'Has Stats?', value: true, include: false, description: 'Indicates whether there are statistics for this table' },
    });
  });

  it('a view, or a warehouse that reports nothing (DuckDB): has_stats false alone', () => {
    const rels = catalogRelations(result([['DB', 'PUBLIC', 'V', 'VIEW', null, 'SYSADMIN', 'id', 1, 'NUMBER', null, null, null, '2026-12-07T20:30:00Z', null]]));
    expect(catalogStats(rels.get('v')!)).toEqual({
      has_stats: { id: 'has_stats', label: 'Has Stats?', value: false, include: false, description: 'Indicates whether there are statistics for this table' },
    });
  });

  it('a clustered table shows its clustering key', () => {
    const rels = catalogRelations(result([['DB', 'S', 'T', 'BASE TABLE', 'a table', null, 'id', 1, 'NUMBER', 'the id', null, null, null, 'LINEAR(id)']]));
    const t = rels.get('t')!;
    expect(t.comment).toBe('a table');
    expect(t.columns[0]?.comment).toBe('the id');
    expect(catalogStats(t).clustering_key).toEqual({
      id: 'clustering_key',
      label: 'Clustering Key',
      value: 'LINEAR(id)',
      include: true,
      description: 'The key used to cluster this table',
    });
    expect(catalogStats(t).has_stats?.value).toBe(true);
  });
});
