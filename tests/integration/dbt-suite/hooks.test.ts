// Ports of dbt's hook tests: dbt-labs/dbt-adapters, dbt-tests-adapter/src/dbt/tests/adapter/hooks/
// (test_model_hooks.py, test_run_hooks.py; the fixtures are written here in the same shape). The
// upstream checks read a table the hooks insert into: here `on_model_hook` / `on_run_hook`,
// created by an on-run-start hook (upstream creates it with seed_model.sql before the run). The
// `target.*` values asserted are this target's (upstream asserts its Postgres profile's): dbname,
// host, user and pass are not keys of this target, so they print as '' (Jinja's Undefined, as dbt does).
import { afterEach, describe, expect, it } from 'vitest';
import { dbt, query, relationTypes, runResults, schemaOf, stopEmulator, suiteProject, type Target } from '../../helpers/dbt-suite.js';

const COLUMNS =
  'test_state, target_dbname, target_host, target_name, target_schema, target_type, target_user, target_pass, target_threads, run_started_at, invocation_id, thread_id';
const createTable = (name: string) =>
  `create table if not exists {{ target.schema }}.${name} (test_state varchar, target_dbname varchar, target_host varchar, target_name varchar, target_schema varchar, target_type varchar, target_user varchar, target_pass varchar, target_threads int, run_started_at varchar, invocation_id varchar, thread_id varchar)`;
const values = (state: string) =>
  `'${state}', '{{ target.dbname }}', '{{ target.host }}', '{{ target.name }}', '{{ target.schema }}', '{{ target.type }}', '{{ target.user }}', '{{ target.get("pass", "") }}', {{ target.threads }}, '{{ run_started_at }}', '{{ invocation_id }}', '{{ thread_id }}'`;
const MODEL_PRE_HOOK = `insert into {{this.schema}}.on_model_hook (${COLUMNS}) VALUES (${values('start')})`;
const MODEL_POST_HOOK = `insert into {{this.schema}}.on_model_hook (${COLUMNS}) VALUES (${values('end')})`;

const yamlList = (items: string[]) => items.map((i) => `      - ${JSON.stringify(i)}`).join('\n');

/** BaseTestPrePost.check_hooks: `count` rows of `state`, each with this target's context. */
async function checkHooks(dir: string, target: Target, table: string, state: string, count = 1, thread = /^Thread-/) {
  const rows = await query(dir, target, `select * from ${schemaOf(target)}.${table} where test_state = '${state}'`);
  expect(rows.length, `${state} rows in ${table}`).toBe(count);
  for (const r of rows) {
    expect(r.target_dbname).toBe('');
    expect(r.target_host).toBe('');
    expect(r.target_name).toBe(target);
    expect(String(r.target_schema).toLowerCase()).toBe(target === 'duckdb' ? 'main' : 'public');
    expect(r.target_threads).toBe(2);
    expect(r.target_type).toBe(target);
    expect(r.target_user).toBe('');
    expect(r.target_pass).toBe('');
    expect(String(r.run_started_at).length).toBeGreaterThan(0);
    expect(String(r.invocation_id).length).toBeGreaterThan(0);
    expect(String(r.thread_id)).toMatch(thread);
  }
}

const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

for (const target of ['duckdb', 'snowflake'] as const satisfies Target[]) {
  // `vacuum` (upstream's transaction: false hooks) is Postgres' and DuckDB's; Snowflake has none.
  const vacuum = target === 'duckdb' ? ['vacuum {{ this.schema }}.on_model_hook'] : [];

  describe(`hooks/ on ${target}`, () => {
    // A fresh emulator per case: the cases write the same tables.
    afterEach(async () => {
      if (target === 'snowflake') await stopEmulator();
    });

    for (const [cls, pre, post] of [
      ['TestPrePostModelHooks', 'pre-hook', 'post-hook'],
      ['TestPrePostModelHooksUnderscores', 'pre_hook', 'post_hook'],
    ] as const) {
      // test_model_hooks.py BasePrePostModelHooks.test_pre_and_post_run_hooks
      it(`test_model_hooks.py ${cls}`, async () => {
        const dir = suiteProject(
          { 'models/hooks.sql': 'select 1 as id\n' },
          `on-run-start:\n  - ${JSON.stringify(createTable('on_model_hook'))}\nmodels:\n  suite:\n    ${pre}:\n${yamlList([MODEL_PRE_HOOK, ...vacuum])}\n    ${post}:\n${yamlList([...vacuum, MODEL_POST_HOOK])}\n`,
        );
        const run = await dbt(dir, target, ['run']);
        expect(run.code, out(run)).toBe(0);
        await checkHooks(dir, target, 'on_model_hook', 'start');
        await checkHooks(dir, target, 'on_model_hook', 'end');
      });
    }

    // test_model_hooks.py BaseHookRefs.test_pre_post_model_hooks_refed
    it('test_model_hooks.py TestHookRefs', async () => {
      const hook = (state: string) =>
        `insert into {{this.schema}}.on_model_hook select test_state, '{{ target.dbname }}', '{{ target.host }}', '{{ target.name }}', '{{ target.schema }}', '{{ target.type }}', '{{ target.user }}', '{{ target.get("pass", "") }}', {{ target.threads }}, '{{ run_started_at }}', '{{ invocation_id }}', '{{ thread_id }}' from {{ ref('${state}') }}`;
      const dir = suiteProject(
        {
          'models/pre.sql': "select 'start' as test_state\n",
          'models/post.sql': "select 'end' as test_state\n",
          'models/hooked.sql': `{{ config(pre_hook="${hook('pre').replace(/"/g, '\\"')}") }}\nselect 1 as id\n`,
        },
        `on-run-start:\n  - ${JSON.stringify(createTable('on_model_hook'))}\nmodels:\n  suite:\n    hooked:\n      post-hook:\n        - ${JSON.stringify(hook('post'))}\n`,
      );
      const run = await dbt(dir, target, ['run']);
      expect(run.code, out(run)).toBe(0);
      await checkHooks(dir, target, 'on_model_hook', 'start');
      await checkHooks(dir, target, 'on_model_hook', 'end');
    });

    // test_model_hooks.py BasePrePostModelHooksOnSeeds (and the +-prefixed variants): a test on the column a post-hook adds.
    for (const [cls, key] of [
      ['TestPrePostModelHooksOnSeeds', 'post-hook'],
      ['TestPrePostModelHooksOnSeedsPlusPrefixed', '+post-hook'],
    ] as const) {
      it(`test_model_hooks.py ${cls}`, async () => {
        const dir = suiteProject(
          {
            'seeds/example_seed.csv': 'a,b,c\n1,2,3\n',
            'models/schema.yml': 'version: 2\nseeds:\n- name: example_seed\n  columns:\n  - name: new_col\n    data_tests:\n    - not_null\n',
          },
          `seed-paths: ["seeds"]\nmodels: {}\nseeds:\n  ${key}:\n    - "alter table {{ this }} add column new_col int"\n    - "update {{ this }} set new_col = 1"\n    - "select cast(null as {{ dbt.type_int() }}) as id"\n  quote_columns: false\n`,
        );
        const seed = await dbt(dir, target, ['seed']);
        expect(seed.code, out(seed)).toBe(0);
        expect(runResults(dir).size).toBe(1);
        const test = await dbt(dir, target, ['test']);
        expect(test.code, out(test)).toBe(0);
        expect(runResults(dir).size).toBe(1);
      });
    }

    // test_model_hooks.py BaseHooksRefsOnSeeds.test_hook_with_ref_on_seeds: `dbt parse` fails.
    it('test_model_hooks.py TestHooksRefsOnSeeds', async () => {
      const dir = suiteProject(
        { 'seeds/example_seed.csv': 'a,b,c\n1,2,3\n', 'models/post.sql': "select 'end' as test_state\n" },
        `seeds:\n  post-hook:\n    - "select * from {{ ref('post') }}"\n`,
      );
      const parse = await dbt(dir, target, ['parse']);
      expect(parse.code).not.toBe(0);
      expect(parse.stderr).toMatch(/dbt_project\.yml:\d+:\d+: error \[project\]: .*seeds cannot depend on other nodes/i);
    });

    // test_model_hooks.py BasePrePostModelHooksInConfig (a config() dict with backslash-newline strings), …WithCount, …Kwargs.
    const configured = (dict: boolean) => {
      const pre = `\\\n            ${MODEL_PRE_HOOK}`;
      const post = `\\\n            ${MODEL_POST_HOOK}`;
      const q = (s: string) => `"${s.replace(/"/g, '\\"')}"`;
      return dict
        ? `{{\n    config({\n        "pre_hook": ${q(pre)},\n        "post-hook": ${q(post)}\n    })\n}}\n\nselect 3 as id\n`
        : `{{\n    config(\n        pre_hook=${q(pre)},\n        post_hook=${q(post)},\n    )\n}}\n\nselect 3 as id\n`;
    };
    for (const [cls, dict, withProject] of [
      ['TestPrePostModelHooksInConfig', true, false],
      ['TestPrePostModelHooksInConfigWithCount', true, true],
      ['TestPrePostModelHooksInConfigKwargs', false, false],
    ] as const) {
      it(`test_model_hooks.py ${cls}`, async () => {
        const projectHooks = withProject
          ? `models:\n  suite:\n    pre-hook:\n${yamlList([MODEL_PRE_HOOK, ...vacuum])}\n    post-hook:\n${yamlList([...vacuum, MODEL_POST_HOOK])}\n`
          : '';
        const dir = suiteProject(
          { 'models/hooks.sql': configured(dict) },
          `on-run-start:\n  - ${JSON.stringify(createTable('on_model_hook'))}\n${projectHooks}`,
        );
        const run = await dbt(dir, target, ['run']);
        expect(run.code, out(run)).toBe(0);
        await checkHooks(dir, target, 'on_model_hook', 'start', withProject ? 2 : 1);
        await checkHooks(dir, target, 'on_model_hook', 'end', withProject ? 2 : 1);
      });
    }

    // test_model_hooks.py BaseDuplicateHooksInConfigs.test_run_duplicate_hook_defs
    it('test_model_hooks.py TestDuplicateHooksInConfigs', async () => {
      const dir = suiteProject({
        'models/hooks.sql': '{{\n    config({\n        "pre_hook": "select 1",\n        "pre-hook": "select 2",\n    })\n}}\n\nselect 1 as id\n',
      });
      const run = await dbt(dir, target, ['run']);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toMatch(/models\/hooks\.sql:2:\d+: error \[template\]: .*'pre_hook'.*'pre-hook'/);
    });

    // test_run_hooks.py BasePrePostRunHooks: on-run-start/on-run-end in order, `schemas` and `database_schemas`.
    for (const command of ['run', 'seed']) {
      it(`test_run_hooks.py TestPrePostRunHooks.test_pre_and_post_${command}_hooks`, async () => {
        const hook = `{% macro custom_run_hook(state, target, run_started_at, invocation_id) %}
   insert into {{ target.schema }}.on_run_hook (${COLUMNS}) VALUES (
    '{{ state }}', '{{ target.dbname }}', '{{ target.host }}', '{{ target.name }}', '{{ target.schema }}', '{{ target.type }}', '{{ target.user }}',
    '{{ target.get("pass", "") }}', {{ target.threads }}, '{{ run_started_at }}', '{{ invocation_id }}', '{{ thread_id }}'
   )
{% endmacro %}
`;
        const dir = suiteProject(
          { 'macros/hook.sql': hook, 'models/hooks.sql': 'select 1 as id\n', 'seeds/example_seed.csv': 'a,b,c\n1,2,3\n' },
          `on-run-start:
  - ${JSON.stringify(createTable('on_run_hook'))}
  - "{{ custom_run_hook('start', target, run_started_at, invocation_id) }}"
  - "create table {{ target.schema }}.start_hook_order_test ( id int )"
  - "drop table {{ target.schema }}.start_hook_order_test"
  - "{{ log(env_var('TERM_TEST'), info=True) }}"
on-run-end:
  - "{{ custom_run_hook('end', target, run_started_at, invocation_id) }}"
  - "create table {{ target.schema }}.end_hook_order_test ( id int )"
  - "drop table {{ target.schema }}.end_hook_order_test"
  - "create table {{ target.schema }}.schemas ( schema varchar )"
  - "insert into {{ target.schema }}.schemas (schema) values {% for schema in schemas %}( '{{ schema }}' ){% if not loop.last %},{% endif %}{% endfor %}"
  - "create table {{ target.schema }}.db_schemas ( db varchar, schema varchar )"
  - "insert into {{ target.schema }}.db_schemas (db, schema) values {% for db, schema in database_schemas %}('{{ db }}', '{{ schema }}' ){% if not loop.last %},{% endif %}{% endfor %}"
seeds:
  quote_columns: false
`,
        );
        const r = await dbt(dir, target, [command], { TERM_TEST: 'TESTING' });
        expect(r.code, out(r)).toBe(0);
        await checkHooks(dir, target, 'on_run_hook', 'start', 1, /^(Thread-|MainThread$)/);
        await checkHooks(dir, target, 'on_run_hook', 'end', 1, /^(Thread-|MainThread$)/);
        const types = await relationTypes(dir, target);
        expect(types.start_hook_order_test).toBeUndefined();
        expect(types.end_hook_order_test).toBeUndefined();
        const schemas = await query(dir, target, `select * from ${schemaOf(target)}.schemas`);
        expect(schemas.map((s) => String(s.schema).toLowerCase())).toEqual([target === 'duckdb' ? 'main' : 'public']);
        const db = await query(dir, target, `select * from ${schemaOf(target)}.db_schemas`);
        expect(db.map((s) => [String(s.db).toLowerCase(), String(s.schema).toLowerCase()])).toEqual([
          [target === 'duckdb' ? 'suite' : 'suite_db', target === 'duckdb' ? 'main' : 'public'],
        ]);
      });
    }

    // test_run_hooks.py BaseAfterRunHooks.test_missing_column_pre_hook: a failing on-run-start query fails the run.
    it('test_run_hooks.py TestAfterRunHooks', async () => {
      const dir = suiteProject(
        {
          'macros/temp_macro.sql': `{% macro export_table_check() %}
    {% set table = 'test_export' %}
    {% set query %}
        SELECT column_name FROM {{ ref(table) }} LIMIT 1
    {% endset %}
    {% if execute %}
        {% set results = run_query(query) %}
    {% endif %}
{% endmacro %}
`,
          'models/test_export.sql': 'select 1 as id\n',
          'models/test_column.sql': 'select 1 as col\n',
        },
        'on-run-start:\n  - "{{ export_table_check() }}"\n',
      );
      const run = await dbt(dir, target, ['run']);
      expect(run.code).not.toBe(0);
      expect(out(run)).toMatch(/column_name/i);
    });
  });
}
