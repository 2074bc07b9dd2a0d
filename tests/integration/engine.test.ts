import { createServer } from 'node:http';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { queryDuckDb, runModel, writeProject } from '../helpers/project.js';

const dbOf = (dir: string, name = 'shop') => path.join(dir, 'target', `${name}.duckdb`);

describe('materializations', () => {
  it('incremental append and merge on a unique key, then --full-refresh', async () => {
    const dir = writeProject({
      'project.yml': 'name: shop\n',
      'seeds/src.csv': 'id,v\n1,a\n2,b\n',
      'models/merged.sql':
        "{{ config(materialized='incremental', unique_key='id') }}\nselect id, v from {{ ref('src') }}\n{% if is_incremental() %}where id >= (select max(id) from {{ this }}){% endif %}",
      'models/appended.sql':
        "{{ config(materialized='incremental') }}\nselect id, v from {{ ref('src') }}\n{% if is_incremental() %}where id > (select max(id) from {{ this }}){% endif %}",
      'models/deleted.sql':
        "{{ config(materialized='incremental', unique_key=['id'], incremental_strategy='delete+insert') }}\nselect id, v from {{ ref('src') }}",
    });
    expect((await runModel(['build'], { cwd: dir })).code).toBe(0);
    writeFileSync(path.join(dir, 'seeds', 'src.csv'), 'id,v\n1,a\n2,B\n3,c\n');
    const second = await runModel(['build'], { cwd: dir });
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/incremental model main\.appended \.+ \[INSERT \(1 rows\)/);
    // The closing list does not pass the run's count off as the table's size.
    expect(second.stdout).toContain('shop.main.appended (1 rows added or updated)');
    const q = (t: string) => queryDuckDb(dbOf(dir), `select id, v from shop.main.${t} order by id, v`);
    expect(await q('merged')).toEqual([
      { id: 1, v: 'a' },
      { id: 2, v: 'B' },
      { id: 3, v: 'c' },
    ]);
    expect(await q('appended')).toEqual([
      { id: 1, v: 'a' },
      { id: 2, v: 'b' },
      { id: 3, v: 'c' },
    ]);
    expect(await q('deleted')).toEqual([
      { id: 1, v: 'a' },
      { id: 2, v: 'B' },
      { id: 3, v: 'c' },
    ]);
    writeFileSync(path.join(dir, 'seeds', 'src.csv'), 'id,v\n7,z\n');
    expect((await runModel(['build', '--full-refresh'], { cwd: dir })).code).toBe(0);
    expect(await q('appended')).toEqual([{ id: 7, v: 'z' }]);
  });

  it('inlines ephemeral models as CTEs, also into a query with its own WITH', async () => {
    const dir = writeProject({
      'project.yml': 'name: shop\n',
      'models/base.sql': "{{ config(materialized='ephemeral') }}\nselect 1 as id union all select 2",
      'models/doubled.sql': "{{ config(materialized='ephemeral') }}\nselect id * 2 as id from {{ ref('base') }}",
      'models/final.sql': "{{ config(materialized='table') }}\nwith x as (select * from {{ ref('doubled') }}) select sum(id) as total from x",
    });
    const r = await runModel(['build'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(await queryDuckDb(dbOf(dir), 'select total from shop.main.final')).toEqual([{ total: '6' }]);
    const compiled = readFileSync(path.join(dir, 'target', 'compiled', 'shop', 'models', 'final.sql'), 'utf8');
    expect(compiled).toMatch(/^with __dbt__cte__base as \([\s\S]*\),\n__dbt__cte__doubled as \([\s\S]*\),\nx as/);
    // Ephemeral models are not relations.
    expect(await queryDuckDb(dbOf(dir), "select count(*) as n from information_schema.tables where table_name in ('base', 'doubled')")).toEqual([{ n: '0' }]);
  });

  it('switches a relation between view and table', async () => {
    const dir = writeProject({ 'project.yml': 'name: shop\n', 'models/m.sql': "{{ config(materialized='view') }} select 1 as x" });
    expect((await runModel(['run'], { cwd: dir })).code).toBe(0);
    writeFileSync(path.join(dir, 'models', 'm.sql'), "{{ config(materialized='table') }} select 2 as x");
    expect((await runModel(['run'], { cwd: dir })).code).toBe(0);
    expect(await queryDuckDb(dbOf(dir), "select table_type from information_schema.tables where table_name = 'm'")).toEqual([{ table_type: 'BASE TABLE' }]);
    writeFileSync(path.join(dir, 'models', 'm.sql'), "{{ config(materialized='view') }} select 3 as x");
    expect((await runModel(['run'], { cwd: dir })).code).toBe(0);
    expect(await queryDuckDb(dbOf(dir), 'select x from shop.main.m')).toEqual([{ x: 3 }]);
  });
});

describe('configuration', () => {
  it('applies folder config, property-file config and config() in dbt precedence, and dbt schema naming', async () => {
    const dir = writeProject({
      'project.yml': ['name: shop', 'models:', '  shop:', '    +materialized: table', '    marts:', '      +schema: marts', '      +tags: [nightly]'].join(
        '\n',
      ),
      'models/marts/a.sql': 'select 1 as x',
      'models/marts/b.sql': "{{ config(materialized='view', alias='bee') }} select 2 as x",
      'models/marts/props.yml': 'version: 2\nmodels:\n  - name: a\n    config:\n      tags: [hourly]\n',
    });
    const r = await runModel(['ls', '--output', 'json'], { cwd: dir });
    expect(r.code).toBe(0);
    const nodes = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const a = nodes.find((n) => n.name === 'a');
    const b = nodes.find((n) => n.name === 'b');
    expect(a.config.materialized).toBe('table');
    expect(a.config.tags).toEqual(['nightly', 'hourly']);
    expect(a.relation).toBe('shop.main_marts.a');
    expect(b.config.materialized).toBe('view');
    expect(b.relation).toBe('shop.main_marts.bee');
    expect(b).toMatchObject({ alias: 'bee', package_name: 'shop', unique_id: 'model.shop.b', depends_on: { macros: [], nodes: [] } });
    const sel = await runModel(['ls', '-s', 'tag:hourly', '--output', 'name'], { cwd: dir });
    expect(sel.stdout.trim()).toBe('a');
  });

  it('reads targets from profiles.yml with env_var(), and --target picks one', async () => {
    const dir = writeProject({
      'project.yml': 'name: shop\nprofile: p\n',
      'profiles.yml':
        'p:\n  target: one\n  outputs:\n    one:\n      type: duckdb\n      path: "{{ env_var(\'SHOP_DB_DIR\') }}/one.duckdb"\n    two:\n      type: duckdb\n      path: two.duckdb\n      threads: 1\n',
      'models/m.sql': 'select 1 as x',
    });
    const one = await runModel(['run'], { cwd: dir, env: { SHOP_DB_DIR: 'dbs' } });
    expect(one.code).toBe(0);
    expect(existsSync(path.join(dir, 'dbs', 'one.duckdb'))).toBe(true);
    const two = await runModel(['run', '--target', 'two'], { cwd: dir, env: { SHOP_DB_DIR: 'dbs' } });
    expect(two.code).toBe(0);
    expect(await queryDuckDb(path.join(dir, 'two.duckdb'), 'select x from two.main.m')).toEqual([{ x: 1 }]);
    const missing = await runModel(['run'], { cwd: dir, env: { SHOP_DB_DIR: undefined } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^profiles\.yml:6:\d+: error \[project\]: environment variable 'SHOP_DB_DIR' is not set/m);
    const wrong = await runModel(['run', '--target', 'three'], { cwd: dir, env: { SHOP_DB_DIR: 'dbs' } });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/target 'three' is not defined in profile 'p'/);
  });
});

describe('running', () => {
  const chain = {
    'project.yml': 'name: shop\nmodels:\n  shop:\n    +materialized: table\n',
    'models/ok_a.sql': 'select 1 as x',
    'models/bad.sql': 'select * from missing_table',
    'models/after_bad.sql': "select * from {{ ref('bad') }}",
    'models/ok_b.sql': "select * from {{ ref('ok_a') }}",
  };

  it('skips the descendants of a failed node and runs the rest, on several threads', async () => {
    const dir = writeProject(chain);
    const r = await runModel(['run', '--threads', '3'], { cwd: dir });
    expect(r.code).toBe(1);
    const results = JSON.parse(readFileSync(path.join(dir, 'target', 'run_results.json'), 'utf8')).results;
    const status = Object.fromEntries(results.map((x: { unique_id: string; status: string }) => [x.unique_id, x.status]));
    expect(status).toEqual({
      'model.shop.ok_a': 'success',
      'model.shop.bad': 'error',
      'model.shop.after_bad': 'skipped',
      'model.shop.ok_b': 'success',
    });
  });

  it('stops starting nodes after the first failure with --fail-fast', async () => {
    const dir = writeProject(chain);
    const r = await runModel(['run', '--threads', '1', '--fail-fast', '-s', 'bad+', 'ok_b'], { cwd: dir });
    expect(r.code).toBe(1);
    const results = JSON.parse(readFileSync(path.join(dir, 'target', 'run_results.json'), 'utf8')).results;
    expect(results.filter((x: { status: string }) => x.status === 'error').length).toBe(1);
    expect(results.some((x: { status: string; message: string }) => x.status === 'skipped')).toBe(true);
  });

  it('compiles without a warehouse', async () => {
    const dir = writeProject({ 'project.yml': 'name: shop\n', 'models/m.sql': "select {{ var('n', 3) }} as n" });
    const r = await runModel(['compile'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(dir, 'target', 'compiled', 'shop', 'models', 'm.sql'), 'utf8').trim()).toBe('select 3 as n');
    expect(existsSync(dbOf(dir))).toBe(false);
    expect(JSON.parse(readFileSync(path.join(dir, 'target', 'manifest.json'), 'utf8')).nodes['model.shop.m'].raw_code).toContain('var(');
  });

  it('shows rows as a table, JSON and CSV, and cleans without losing the database', async () => {
    const dir = writeProject({ 'project.yml': 'name: shop\n', 'seeds/people.csv': 'id,name\n1,"Smith, Ann"\n2,Bo\n' });
    expect((await runModel(['seed'], { cwd: dir })).code).toBe(0);
    const json = await runModel(['show', 'people', '--format', 'json'], { cwd: dir });
    expect(JSON.parse(json.stdout)).toEqual([
      { id: 1, name: 'Smith, Ann' },
      { id: 2, name: 'Bo' },
    ]);
    const csv = await runModel(['show', '--inline', "select name from {{ ref('people') }} order by id", '--format', 'csv', '--limit', '1'], { cwd: dir });
    expect(csv.stdout.trim()).toBe('name\n"Smith, Ann"');
    const table = await runModel(['show', 'people'], { cwd: dir });
    expect(table.stdout).toContain('| id | name       |');
    const clean = await runModel(['clean'], { cwd: dir });
    expect(clean.code).toBe(0);
    expect(existsSync(dbOf(dir))).toBe(true);
    expect(existsSync(path.join(dir, 'target', 'run_results.json'))).toBe(false);
    const debug = await runModel(['debug'], { cwd: dir });
    expect(debug.code).toBe(0);
    expect(debug.stdout).toMatch(/All checks passed!/);
  });

  it('loads a CSV file source untouched, and a source downloaded over http once, with progress', async () => {
    const csv = 'a,b\n1,x\n,y\n';
    let hits = 0;
    const server = createServer((_req, res) => {
      hits++;
      res.writeHead(200, { 'content-type': 'text/csv', 'content-length': Buffer.byteLength(csv) });
      res.end(csv);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/files/data.csv`;
    try {
      const dir = writeProject({
        'project.yml': 'name: shop\nvars:\n  path: data.csv\n',
        'data.csv': csv,
        'models/sources.yml':
          'version: 2\nsources:\n  - name: landing\n    schema: raw\n    tables:\n      - name: things\n        external:\n          location: "{{ var(\'path\') }}"\n',
        'models/m.sql': "select count(*) as n, count(a) as a from {{ source('landing', 'things') }}",
      });
      const local = await runModel(['run'], { cwd: dir });
      expect(local.code).toBe(0);
      expect(await queryDuckDb(dbOf(dir), 'select * from shop.raw.things')).toEqual([
        { a: '1', b: 'x' },
        { a: null, b: 'y' },
      ]);
      const remote = await runModel(['run', '--vars', JSON.stringify({ path: url })], { cwd: dir });
      expect(remote.code).toBe(0);
      expect(remote.stderr).toContain(`Downloading ${url}`);
      expect(remote.stderr).toMatch(/100%/);
      const again = await runModel(['run', '--vars', JSON.stringify({ path: url })], { cwd: dir });
      expect(again.code).toBe(0);
      expect(hits).toBe(1);
    } finally {
      server.close();
    }
  });
});
