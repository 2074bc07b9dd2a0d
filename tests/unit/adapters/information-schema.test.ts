// DuckDB refuses `<db>.information_schema.<view>` (one information_schema holds every attached
// database); dbt_utils' default__get_tables_by_pattern_sql (macros/sql/get_tables_by_pattern_sql.sql)
// sends `from {{ database }}.information_schema.tables`, as Snowflake and Postgres accept it.
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { qualifyInformationSchema } from '../../../src/adapters/duckdb/information-schema.js';

describe('qualifyInformationSchema', () => {
  it('narrows a database-qualified view to that database, bare or quoted', () => {
    expect(qualifyInformationSchema('select * from analytics.information_schema.tables t')).toBe(
      "select * from (select * from information_schema.tables where table_catalog = 'analytics') t",
    );
    expect(qualifyInformationSchema('select 1 from "My ""Db""".INFORMATION_SCHEMA.SCHEMATA')).toBe(
      `select 1 from (select * from information_schema.schemata where catalog_name = 'My "Db"')`,
    );
  });

  it('leaves unqualified and unknown views, and other SQL, as they are', () => {
    for (const sql of ['select * from information_schema.tables', 'select * from db.information_schema.key_column_usage', 'select 1'])
      expect(qualifyInformationSchema(sql)).toBe(sql);
  });

  it('answers on DuckDB with the tables of the named database only', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const c = await instance.connect();
    await c.run("attach ':memory:' as other");
    await c.run('create table main.mine (a int)');
    await c.run('create table other.main.theirs (a int)');
    const rows = (
      await c.runAndReadAll(qualifyInformationSchema("select table_name from memory.information_schema.tables where table_name ilike '%'"))
    ).getRowsJson();
    expect(rows).toEqual([['mine']]);
    c.closeSync();
  });
});
