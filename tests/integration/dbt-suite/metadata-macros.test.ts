// Ports of dbt's adapter tests that call dbt's metadata and relation macros from a model
// (dbt-labs/dbt-adapters, dbt-tests-adapter/src/dbt/tests/adapter/empty/test_empty.py
// MetadataWithEmptyFlag, with _models.py's fixtures), on the embedded DuckDB and the loopback
// Snowflake emulator. The macros are dbt-adapters' global_project/macros/adapters/columns.sql,
// persist_docs.sql and relations/*.sql, with dbt-duckdb's and dbt-snowflake's overrides.
import { afterEach, describe, expect, it } from 'vitest';
import { dbt, query, schemaOf, stopEmulator, suiteProject, type Target } from '../../helpers/dbt-suite.js';

const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

const METADATA_MODELS: Record<string, string> = {
  'seeds/my_seed.csv': 'my_id,my_value\n1,a\n2,b\n3,c\n',
  'models/schema.yml': `version: 2

seeds:
  - name: my_seed
    description: "This is my_seed"
    columns:
      - name: id
        description: "This is my_seed.my_id"
`,
  'models/control.sql': 'select * from {{ ref("my_seed") }}\n',
  'models/get_columns_in_relation.sql':
    '{{ config(materialized="table") }}\n{% set columns = adapter.get_columns_in_relation(ref("my_seed")) %}\nselect * from {{ ref("my_seed") }}\n',
  'models/alter_column_type.sql':
    '{{ config(materialized="table") }}\n{{ alter_column_type(ref("my_seed"), "MY_VALUE", "varchar") }}\nselect * from {{ ref("my_seed") }}\n',
  'models/alter_relation_comment.sql':
    '{{ config(\n    materialized="table",\n    persist_docs={"relations": True},\n) }}\nselect * from {{ ref("my_seed") }}\n',
  'models/alter_column_comment.sql': '{{ config(\n    materialized="table",\n    persist_docs={"columns": True},\n) }}\nselect * from {{ ref("my_seed") }}\n',
  'models/alter_relation_add_remove_columns.sql': `{{ config(materialized="table") }}
{% set my_seed = adapter.Relation.create(this.database, this.schema, "my_seed", "table") %}
{% set my_column = api.Column("my_column", "varchar") %}
{% do alter_relation_add_remove_columns(my_seed, [my_column], none) %}
{% do alter_relation_add_remove_columns(my_seed, none, [my_column]) %}
select * from {{ ref("my_seed") }}
`,
  'models/truncate_relation.sql': `{{ config(materialized="table") }}
{% set my_seed = adapter.Relation.create(this.database, this.schema, "my_seed", "table") %}
{{ truncate_relation(my_seed) }}
select * from {{ ref("my_seed") }}
`,
};

for (const target of ['duckdb', 'snowflake'] as const satisfies Target[]) {
  describe(`on ${target}`, () => {
    afterEach(async () => {
      if (target === 'snowflake') await stopEmulator();
    });

    // empty/test_empty.py MetadataWithEmptyFlag.test_run: each model, run alone with --empty,
    // succeeds; the macros get the relation itself (relation.render()), not --empty's subquery.
    it('empty/test_empty.py MetadataWithEmptyFlag', async () => {
      const dir = suiteProject(METADATA_MODELS);
      const seed = await dbt(dir, target, ['seed']);
      expect(seed.code, out(seed)).toBe(0);
      const seedRows = async () => (await query(dir, target, `select count(*) as n from ${schemaOf(target)}.my_seed`))[0];
      for (const model of [
        'control',
        'get_columns_in_relation',
        'alter_column_type',
        'alter_relation_comment',
        'alter_column_comment',
        'alter_relation_add_remove_columns',
        'truncate_relation',
      ]) {
        if (model === 'truncate_relation') expect(await seedRows()).toEqual({ n: 3 });
        const run = await dbt(dir, target, ['run', '--empty', '--select', model]);
        expect(run.code, `${model}: ${out(run)}`).toBe(0);
      }
      // The column added and dropped again is gone; truncate_relation emptied the seed.
      const cols = await query(
        dir,
        target,
        `select lower(column_name) as c from information_schema.columns where lower(table_name) = 'my_seed' and lower(table_schema) = '${schemaOf(target).split('.').pop()!.toLowerCase()}' order by 1`,
      );
      expect(cols).toEqual([{ c: 'my_id' }, { c: 'my_value' }]);
      expect(await seedRows()).toEqual({ n: 0 });
    });

    // persist_docs (dbt-adapters persist_docs.sql, called by the materializations after the
    // post-hooks): the model's and its columns' descriptions become the warehouse's comments; a
    // documented column the relation lacks is left out. The relation macros make, rename and
    // drop a relation; a project macro replaces a built-in one (adapter.dispatch finds it first).
    it('persist_docs, rename_relation, make_temp_relation, drop_relation, and a project override', async () => {
      const dir = suiteProject({
        'models/documented.sql': "{{ config(materialized='table', persist_docs={'relation': true, 'columns': true}) }}\nselect 1 as id, 'x' as name\n",
        'models/documented_view.sql': "{{ config(materialized='view', persist_docs={'relation': true}) }}\nselect 1 as id\n",
        'seeds/documented_seed.csv': 'id\n1\n',
        'models/schema.yml': `version: 2
models:
  - name: documented
    description: "It's documented"
    columns:
      - name: id
        description: The key
      - name: not_there
        description: nowhere
  - name: documented_view
    description: A view
seeds:
  - name: documented_seed
    config:
      persist_docs: {columns: true}
    columns:
      - name: id
        description: The seed's key
`,
        'macros/default__truncate_relation.sql':
          "{% macro default__truncate_relation(relation) %}{% do run_query('delete from ' ~ relation.render() ~ ' where id = 1') %}{% endmacro %}\n",
        'models/moves.sql': `{{ config(materialized="table") }}
{% set base = adapter.Relation.create(this.database, this.schema, "scratch", "table") %}
{% set tmp = make_temp_relation(base) %}
{% do run_query("create table " ~ tmp.render() ~ " as select 1 as id union all select 2 as id") %}
{% do rename_relation(tmp, base) %}
{% do truncate_relation(base) %}
{% set left = run_query("select count(*) from " ~ base.render()) %}
{% do drop_relation(base) %}
select '{{ tmp.identifier }}' as tmp_name, {{ left.rows[0][0] if execute else 0 }} as rows_left, {{ 'true' if execute and adapter.get_relation(base.database, base.schema, base.identifier) is none else 'false' }} as dropped
`,
      });
      const run = await dbt(dir, target, ['build']);
      expect(run.code, out(run)).toBe(0);
      expect(out(run)).toMatch(/not_there/);
      expect(out(run)).not.toMatch(/no effect: .*persist_docs/);
      expect(await query(dir, target, `select * from ${schemaOf(target)}.moves`)).toEqual([{ tmp_name: 'scratch__dbt_tmp', rows_left: 1, dropped: true }]);
      const schema = schemaOf(target).split('.').pop()!.toLowerCase();
      expect(
        await query(dir, target, `select comment from duckdb_tables() where lower(table_name) = 'documented' and lower(schema_name) = '${schema}'`),
      ).toEqual([{ comment: "It's documented" }]);
      expect(
        await query(
          dir,
          target,
          `select lower(column_name) as c, comment from duckdb_columns() where lower(table_name) = 'documented' and lower(schema_name) = '${schema}' order by 1`,
        ),
      ).toEqual([
        { c: 'id', comment: 'The key' },
        { c: 'name', comment: null },
      ]);
      expect(
        await query(dir, target, `select comment from duckdb_views() where lower(view_name) = 'documented_view' and lower(schema_name) = '${schema}'`),
      ).toEqual([{ comment: 'A view' }]);
      expect(
        await query(dir, target, `select comment from duckdb_columns() where lower(table_name) = 'documented_seed' and lower(schema_name) = '${schema}'`),
      ).toEqual([{ comment: "The seed's key" }]);
    });
  });
}
