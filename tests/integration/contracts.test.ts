import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startSnowflakeEmulator } from '@model/snowflake-emulator';
import { describe, expect, it } from 'vitest';
import { queryDuckDb, runModel, writeProject } from '../helpers/project.js';
import { duckdbOutput, emulatorOutput, envVar, profilesYml } from '../helpers/profiles.js';

const PROFILES = profilesYml('shop', 'dev', { dev: duckdbOutput('target/shop.duckdb') });

function project(sql: string, yml: string, extra: Record<string, string> = {}): string {
  return writeProject({
    'dbt_project.yml': 'name: shop\nprofile: shop\n',
    'profiles.yml': PROFILES,
    'models/orders.sql': sql,
    'models/schema.yml': yml,
    ...extra,
  });
}

const CONTRACT_YML = `version: 2
models:
  - name: orders
    config:
      materialized: table
      contract: {enforced: true}
    constraints:
      - type: check
        expression: "amount >= 0"
    columns:
      - name: id
        data_type: integer
        constraints:
          - type: not_null
          - type: primary_key
      - name: amount
        data_type: decimal(10,2)
      - name: status
        data_type: varchar
`;

describe('model contracts (contract: {enforced: true})', () => {
  // dbt-adapters include/global_project/macros/relations/column/columns_spec_ddl.sql (get_table_columns_and_constraints)
  // and materializations/models/table.sql: the table is created with the declared types, then filled.
  it('builds the table with the declared column types, in contract order, with its constraints', async () => {
    const dir = project("select 'placed' as status, 2 as id, 1.5 as amount union all select 'shipped', 1, 3", CONTRACT_YML);
    const r = await runModel(['build'], { cwd: dir });
    expect(r.stderr + r.stdout).not.toMatch(/contract that failed/);
    expect(r.code).toBe(0);
    const cols = await queryDuckDb(
      path.join(dir, 'target', 'shop.duckdb'),
      "select column_name, data_type, is_nullable from information_schema.columns where table_name = 'orders' order by ordinal_position",
    );
    expect(cols).toEqual([
      { column_name: 'id', data_type: 'INTEGER', is_nullable: 'NO' },
      { column_name: 'amount', data_type: 'DECIMAL(10,2)', is_nullable: 'YES' },
      { column_name: 'status', data_type: 'VARCHAR', is_nullable: 'YES' },
    ]);
    const pk = await queryDuckDb(
      path.join(dir, 'target', 'shop.duckdb'),
      "select constraint_type from duckdb_constraints() where table_name = 'orders' order by 1",
    );
    expect(pk.map((c) => c.constraint_type)).toEqual(['CHECK', 'NOT NULL', 'PRIMARY KEY']);
  });

  // DuckDB enforces not_null, primary key and check (dbt-duckdb's constraint support): a row that breaks one fails the build
  // and the previous table stays.
  it('fails on a row that breaks an enforced constraint and keeps the previous table', async () => {
    const dir = project("select 'placed' as status, 1 as id, 1.5 as amount", CONTRACT_YML);
    expect((await runModel(['build'], { cwd: dir })).code).toBe(0);
    for (const sql of [
      "select 'placed' as status, 1 as id, 1.5 as amount union all select 'x', 1, 2.5",
      "select 'placed' as status, 7 as id, -1.5 as amount",
    ]) {
      writeFileSync(path.join(dir, 'models', 'orders.sql'), sql);
      const r = await runModel(['build'], { cwd: dir });
      expect(r.code).not.toBe(0);
      expect(r.stderr + r.stdout).toMatch(/constraint/i);
    }
    const rows = await queryDuckDb(path.join(dir, 'target', 'shop.duckdb'), 'select id, status from orders');
    expect(rows).toEqual([{ id: 1, status: 'placed' }]);
  });

  // dbt-adapters include/global_project/macros/materializations/models/table.sql → get_assert_columns_equivalent
  // (dbt/adapters/base/impl.py assert_valid_... raises "This model has an enforced contract that failed." with a table).
  it('refuses a query whose names or types differ, with dbt’s mismatch table, before building', async () => {
    const dir = project("select 'placed' as status, 'one' as id, 2 as total", CONTRACT_YML);
    const r = await runModel(['build'], { cwd: dir });
    expect(r.code).not.toBe(0);
    const out = r.stderr + r.stdout;
    expect(out).toMatch(/This model has an enforced contract that failed/);
    expect(out).toMatch(/\| column_name\s*\| definition_type\s*\| contract_type\s*\| mismatch_reason\s*\|/);
    expect(out).toMatch(/\| id\s*\| VARCHAR\s*\| INTEGER\s*\| data type mismatch/);
    expect(out).toMatch(/\| total\s*\|.*missing in contract/);
    expect(out).toMatch(/\| amount\s*\|\s*\| DECIMAL\(10,2\)\s*\| missing in definition/);
    // The first mismatch points at the line of the column's data_type in the properties file.
    expect(out).toMatch(/models[/\\]schema\.yml:12:9: error \[contract\]/);
  });

  it('points a column without data_type, and a data_type that is no type, at its YAML line', async () => {
    const untyped = await runModel(['build'], {
      cwd: project('select 1 as id, 2.5 as amount, 3 as status', CONTRACT_YML.replace('        data_type: varchar\n', '')),
    });
    expect(untyped.stderr + untyped.stdout).toMatch(
      /models[/\\]schema\.yml:18:9: error \[contract\]: model orders has an enforced contract, but columns status have no data_type/,
    );
    const badType = await runModel(['build'], {
      cwd: project('select 1 as id, 2.5 as amount, 3 as status', CONTRACT_YML.replace('data_type: varchar', 'data_type: nosuchtype')),
    });
    expect(badType.stderr + badType.stdout).toMatch(/models[/\\]schema\.yml:19:9: error \[contract\]: model orders: a declared data_type is not a type here/);
  });

  // dbt: contracts on views check names and types only (constraints are not applied to views).
  it('checks a view’s names and types', async () => {
    const yml = CONTRACT_YML.replace('materialized: table', 'materialized: view');
    const ok = await runModel(['build'], { cwd: project("select 1 as id, 1.5::decimal(10,2) as amount, 'a' as status", yml) });
    expect(ok.code).toBe(0);
    const bad = await runModel(['build'], { cwd: project("select 1.5 as id, 1.5::decimal(10,2) as amount, 'a' as status", yml) });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr + bad.stdout).toMatch(/enforced contract that failed/);
  });
});

const SF_PROFILES = profilesYml('shop', 'sf', {
  sf: emulatorOutput({
    password: 'model-password',
    database: 'analytics',
    warehouse: 'compute_wh',
    schema: 'public',
    access_url: envVar('SNOWFLAKE_ACCESS_URL'),
  }),
});

describe('model contracts on the Snowflake emulator', () => {
  // dbt-snowflake's constraint support (dbt/adapters/snowflake/impl.py CONSTRAINT_SUPPORT): not_null enforced,
  // primary_key/unique/foreign_key not enforced, check not supported.
  it('creates the declared types, enforces not_null, warns for check', async () => {
    const emulator = await startSnowflakeEmulator({ port: 0 });
    try {
      const dir = project("select 'placed' as status, 2 as id, 1.5 as amount", CONTRACT_YML, { 'profiles.yml': SF_PROFILES });
      const env = { SNOWFLAKE_ACCESS_URL: emulator.url };
      const r = await runModel(['build'], { cwd: dir, env });
      expect(r.stderr + r.stdout).toMatch(/check constraint is not supported on snowflake/);
      expect(r.stderr + r.stdout).toMatch(/primary_key constraint is created but not enforced/);
      expect(r.code).toBe(0);
      writeFileSync(path.join(dir, 'models', 'orders.sql'), "select 'placed' as status, cast(null as int) as id, 1.5 as amount");
      const bad = await runModel(['build'], { cwd: dir, env });
      expect(bad.code).not.toBe(0);
      expect(bad.stderr + bad.stdout).not.toMatch(/contract that failed/);
      expect(bad.stderr + bad.stdout).toMatch(/null/i);
      const rows = await emulator.query('select id from analytics.public.orders');
      expect(rows.map((x) => Number(Object.values(x)[0]))).toEqual([2]);
    } finally {
      await emulator.close();
    }
  });

  // dbt-snowflake builds tables transient unless `transient: false` (docs: "Snowflake configurations",
  // transient tables); a contracted table is the same kind, so it swaps with the table it replaces.
  it('replaces a table built before the contract was enforced, and rebuilds it again', async () => {
    const emulator = await startSnowflakeEmulator({ port: 0 });
    try {
      const sql = "select 'placed' as status, 2 as id, 1.5 as amount";
      const dir = project(sql, CONTRACT_YML.replace('      contract: {enforced: true}\n', ''), { 'profiles.yml': SF_PROFILES });
      const env = { SNOWFLAKE_ACCESS_URL: emulator.url };
      const plain = await runModel(['build'], { cwd: dir, env });
      expect(plain.code, plain.stderr + plain.stdout).toBe(0);
      writeFileSync(path.join(dir, 'models', 'schema.yml'), CONTRACT_YML);
      for (let i = 0; i < 2; i++) {
        const r = await runModel(['build'], { cwd: dir, env });
        expect(r.code, r.stderr + r.stdout).toBe(0);
      }
      const rows = await emulator.query('select id from analytics.public.orders');
      expect(rows.map((x) => Number(Object.values(x)[0]))).toEqual([2]);
    } finally {
      await emulator.close();
    }
  });
});
