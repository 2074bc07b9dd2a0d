// Ports of dbt's adapter tests for unit_testing/ (dbt-labs/dbt-adapters,
// dbt-tests-adapter/src/dbt/tests/adapter/unit_testing/) and of the behaviour dbt-core documents and
// implements for `unit_tests:` (core/dbt/parser/unit_tests.py, core/dbt/task/test.py, the `unit`
// materialization and get_fixture_sql.sql in dbt-adapters), on the embedded DuckDB and the loopback
// Snowflake emulator. One project holds every case, so each target builds once.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliResult } from '../../helpers/project.js';
import { dbt, runResults, stopEmulator, suiteProject, type Target } from '../../helpers/dbt-suite.js';

const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

/** test_types.py BaseUnitTestingTypes: (upstream SQL value, YAML value) per target; Postgres' `::json` and TIMESTAMPTZ spelled per warehouse. */
function typeCases(target: Target): [string, string, string][] {
  const common: [string, string, string][] = [
    ['int', '1', '1'],
    ['str', "'1'", '1'],
    ['bool', 'true', 'true'],
    ['date', "DATE '2020-01-02'", '2020-01-02'],
    ['ts', "TIMESTAMP '2013-11-03 00:00:00'", '2013-11-03 00:00:00'],
    ['numeric', "cast('1' as numeric)", '1'],
  ];
  return target === 'duckdb'
    ? // DuckDB casts a string with a zone offset written as +00, not Postgres' -0.
      [
        ...common,
        ['tstz', "TIMESTAMPTZ '2013-11-03 00:00:00+00'", '2013-11-03 00:00:00+00'],
        ['json', `'{"bar": "baz", "balance": 7.77, "active": false}'::json`, `'{"bar": "baz", "balance": 7.77, "active": false}'`],
      ]
    : // The emulator refuses an offset in a string cast to TIMESTAMP_TZ (Snowflake takes one): the session's zone here.
      [...common, ['tstz', "cast('2013-11-03 00:00:00' as timestamp_tz)", '2013-11-03 00:00:00']];
}

function files(target: Target): Record<string, string> {
  const types = typeCases(target);
  const out: Record<string, string> = {
    // test_case_insensitivity.py, test_invalid_input.py, test_quoted_reserved_word_column_names.py: my_model on my_upstream_model.
    'models/my_upstream_model.sql': 'select 1 as tested_column\n',
    'models/my_model.sql': "select\n    tested_column from {{ ref('my_upstream_model')}}\n",
    'models/invalid_model.sql': "select\n    tested_column from {{ ref('my_upstream_model')}}\n",
    'models/reserved_upstream.sql': `select 1 as ${target === 'duckdb' ? '"GROUP"' : '"GROUP"'}\n`,
    'models/reserved_model.sql': "select\n    * from {{ ref('reserved_upstream')}}\n",
    'tests/fixtures/input_fixture.csv': '\nGROUP\n1\n2\n3\n',
    'tests/fixtures/expect_fixture.csv': '\nGROUP\n1\n2\n3\n',
    // test_types.py BaseUnitTestingVarcharFixtureNoTruncation
    'models/narrow_upstream.sql': "select cast('short' as varchar(5)) as tested_column\n",
    'models/narrow_model.sql': "select tested_column, length(tested_column) as col_len from {{ ref('narrow_upstream')}}\n",
    // test_pseudocolumns.py BasePseudocolumnUnitTest: a source over a seeded table.
    'seeds/external_table.csv': 'id,pseudocolumn_value\n1,seed_value_1\n2,seed_value_2\n3,seed_value_3\n',
    'models/pseudo_model.sql': "select\n    id,\n    pseudocolumn_value\nfrom {{ source('test_source', 'external_table') }}\n",
    // The documented formats, overrides and inputs (docs: "Unit tests", "Unit test overrides", "Supported data formats for unit tests").
    'seeds/people.csv': 'id,name\n1,ann\n2,bob\n',
    'models/orders.sql': "select 1 as order_id, 1 as person_id, 10.5 as amount, 'placed' as status\n",
    'models/order_people.sql': `select o.order_id, p.name, o.amount * {{ var('mult', 1) }} as total, '{{ env_var('UT_REGION', 'eu') }}' as region, {{ status_label('o.status') }} as label
from {{ ref('orders') }} o left join {{ ref('people') }} p on p.id = o.person_id
`,
    'macros/status_label.sql': '{% macro status_label(col) %}upper({{ col }}){% endmacro %}\n',
    'models/downstream_of_order_people.sql': "select * from {{ ref('order_people') }}\n",
    'models/eph.sql': "{{ config(materialized='ephemeral') }}\nselect order_id, amount from {{ ref('orders') }}\n",
    'models/from_eph.sql': "select order_id, amount * 2 as doubled from {{ ref('eph') }}\n",
    'models/inc.sql': `{{ config(materialized='incremental', unique_key='order_id') }}
select order_id, amount from {{ ref('orders') }}
{% if is_incremental() %}where order_id > (select max(order_id) from {{ this }}){% endif %}
`,
    'models/dim.sql': "select 1 as id, 'v1' as version_label\n",
    'models/dim_v2.sql': "select id, 'v2' as version_label from {{ ref('orders') }} cross join (select 1 as id) x\n",
    // Two versions of one model read side by side: their fixture CTEs must not share a name.
    'models/both_dims.sql': "select version_label from {{ ref('dim', v=1) }} union all select version_label from {{ ref('dim', v=2) }}\n",
    'tests/fixtures/people_fixture.csv': 'id,name\n1,cat\n',
    'tests/fixtures/expected_people.sql': "select 1 as order_id, 'cat' as name, 10.5 as total, 'eu' as region, 'PLACED' as label\n",
    // A data test on a unit-tested model: it runs after the model, the unit test before.
    'models/tested.yml': `models:
  - name: my_model
    columns:
      - name: tested_column
        data_tests: [not_null]
`,
    'models/sources.yml': `sources:
  - name: test_source
    schema: "{{ target.schema }}"
    tables:
      - name: external_table
        columns:
          - name: id
models:
  - name: dim
    latest_version: 2
    versions:
      - v: 1
        defined_in: dim
      - v: 2
`,
    'models/unit_tests.yml': `unit_tests:
  # test_case_insensitivity.py BaseUnitTestCaseInsensivity
  - name: test_my_model
    model: my_model
    given:
      - input: ref('my_upstream_model')
        rows:
          - {tested_column: 1}
          - {TESTED_COLUMN: 2}
          - {tested_colUmn: 3}
    expect:
      rows:
          - {tested_column: 1}
          - {TESTED_COLUMN: 2}
          - {tested_colUmn: 3}
  # test_invalid_input.py BaseUnitTestInvalidInput
  - name: test_invalid_input_column_name
    model: invalid_model
    given:
      - input: ref('my_upstream_model')
        rows:
          - {invalid_column_name: 1}
    expect:
      rows:
          - {tested_column: 1}
  - name: test_invalid_expect_column_name
    model: invalid_model
    given:
      - input: ref('my_upstream_model')
        rows:
          - {tested_column: 1}
    expect:
      rows:
          - {invalid_column_name: 1}
  # test_quoted_reserved_word_column_names.py BaseUnitTestQuotedReservedWordColumnNames
  - name: test_reserved
    model: reserved_model
    given:
      - input: ref('reserved_upstream')
        format: csv
        fixture: input_fixture
    expect:
      format: csv
      fixture: expect_fixture
  # test_types.py BaseUnitTestingVarcharFixtureNoTruncation
  - name: test_narrow
    model: narrow_model
    given:
      - input: ref('narrow_upstream')
        rows:
          - {tested_column: "longer_string_value"}
    expect:
      rows:
        - {tested_column: "longer_string_value", col_len: 19}
  # test_pseudocolumns.py BasePseudocolumnUnitTest
  - name: test_pseudocolumn_support
    model: pseudo_model
    given:
      - input: source('test_source', 'external_table')
        rows:
          - {id: 1, pseudocolumn_value: 'test_value'}
    expect:
      rows:
        - {id: 1, pseudocolumn_value: 'test_value'}
  # dict rows, a csv fixture file, a sql expectation; overrides for vars, env_vars and a macro; columns not given are NULL
  - name: joins_people
    model: order_people
    config: {tags: [joins]}
    overrides:
      vars: {mult: 2}
      env_vars: {UT_REGION: eu}
    given:
      - input: ref('orders')
        rows:
          - {order_id: 1, person_id: 1, amount: 10.5, status: placed}
          - {order_id: 2, amount: 3}
      - input: ref('people')
        format: csv
        fixture: people_fixture
    expect:
      format: sql
      rows: |
        select 1 as order_id, 'cat' as name, 21.0 as total, 'eu' as region, 'PLACED' as label
        union all
        select 2, null, 6.0, 'eu', null
  - name: macro_override
    model: order_people
    overrides:
      macros: {status_label: "'fixed'"}
      env_vars: {UT_REGION: us}
    given:
      - input: ref('orders')
        format: csv
        rows: |
          order_id,person_id,amount,status
          7,,1,x
      - input: ref('people')
        rows: []
    expect:
      rows:
        - {order_id: 7, name: null, region: us, label: fixed}
  - name: from_sql_fixture
    model: order_people
    given:
      - input: ref('orders')
        format: sql
        rows: select 1 as order_id, 1 as person_id, 10.5 as amount, 'placed' as status
      - input: ref('people')
        format: csv
        fixture: people_fixture
    expect:
      format: sql
      fixture: expected_people
  # docs (unit test input): a seed left out of given: is read as it is.
  - name: seed_left_out
    model: order_people
    given:
      - input: ref('orders')
        rows: [{order_id: 1, person_id: 2}]
    expect:
      rows: [{order_id: 1, name: bob}]
  # A failing unit test: build skips the model and what reads it.
  - name: wrong_total
    model: order_people
    given:
      - input: ref('orders')
        rows: [{order_id: 1, person_id: 2, amount: 3}, {order_id: 2, amount: 1}]
      - input: ref('people')
    expect:
      rows:
        - {order_id: 1, name: bob, total: 4}
        - {order_id: 2, name: null, total: 1}
  - name: disabled_one
    model: order_people
    config: {enabled: false}
    given: []
    expect: {rows: []}
  # An ephemeral input, given as dict rows (its columns from its own SQL).
  - name: ephemeral_input
    model: from_eph
    given:
      - input: ref('eph')
        rows: [{order_id: 3, amount: 2}]
    expect:
      rows: [{order_id: 3, doubled: 4}]
  # is_incremental() overridden, with a 'this' input.
  - name: incremental_rows
    model: inc
    overrides: {macros: {is_incremental: true}}
    given:
      - input: ref('orders')
        rows: [{order_id: 1}, {order_id: 5, amount: 2}]
      - input: this
        rows: [{order_id: 3}]
    expect:
      rows: [{order_id: 5, amount: 2}]
  - name: full_refresh_rows
    model: inc
    overrides: {macros: {is_incremental: false}}
    given:
      - input: ref('orders')
        rows: [{order_id: 1}, {order_id: 5}]
    expect:
      rows: [{order_id: 1}, {order_id: 5}]
  # Inputs for two versions of one model (dbt-core parser/unit_tests.py: each input its own ephemeral node).
  - name: two_versions
    model: both_dims
    given:
      - input: ref('dim', v=1)
        rows: [{id: 1, version_label: old}]
      - input: ref('dim', v=2)
        rows: [{id: 2, version_label: new}]
    expect:
      rows: [{version_label: old}, {version_label: new}]
  # versions: one unit test per version, v1 excluded here.
  - name: versioned
    model: dim
    versions: {exclude: [1]}
    given:
      - input: ref('orders')
        rows: [{order_id: 1}]
    expect:
      rows: [{id: 1, version_label: v2}]
`,
  };
  for (const [name, sql, value] of types) {
    out[`models/up_${name}.sql`] = `select\n  ${sql} as tested_column\n`;
    out[`models/type_${name}.sql`] = `select\n    tested_column from {{ ref('up_${name}')}}\n`;
    out[`models/type_${name}.yml`] = `unit_tests:
  - name: test_type_${name}
    model: type_${name}
    given:
      - input: ref('up_${name}')
        rows:
          - { tested_column: ${value} }
    expect:
      rows:
        - { tested_column: ${value} }
`;
  }
  return out;
}

const id = (model: string, name: string) => `unit_test.suite.${model}.${name}`;

for (const target of ['duckdb', 'snowflake'] as const satisfies Target[]) {
  describe(`unit tests on ${target}`, () => {
    let dir: string;
    let built: CliResult;
    beforeAll(async () => {
      dir = suiteProject(files(target));
      // test_pseudocolumns.py seeds the table its source reads first (a source is not a graph child of a seed).
      expect((await dbt(dir, target, ['seed'])).code).toBe(0);
      built = await dbt(dir, target, ['build']);
    }, 120_000);
    afterAll(async () => {
      if (target === 'snowflake') await stopEmulator();
    });

    // test_case_insensitivity.py, test_quoted_reserved_word_column_names.py, test_types.py (both classes), test_pseudocolumns.py, and the documented formats and overrides.
    it('build runs the unit tests before their models, and they pass', () => {
      const results = runResults(dir);
      const passing = [
        id('my_model', 'test_my_model'),
        id('reserved_model', 'test_reserved'),
        id('narrow_model', 'test_narrow'),
        id('pseudo_model', 'test_pseudocolumn_support'),
        id('order_people', 'joins_people'),
        id('order_people', 'macro_override'),
        id('order_people', 'from_sql_fixture'),
        id('order_people', 'seed_left_out'),
        id('from_eph', 'ephemeral_input'),
        id('inc', 'incremental_rows'),
        id('inc', 'full_refresh_rows'),
        id('dim', 'versioned_v2'),
        id('both_dims', 'two_versions'),
        ...typeCases(target).map(([n]) => id(`type_${n}`, `test_type_${n}`)),
      ];
      for (const u of passing) expect(results.get(u)?.status, `${u}: ${results.get(u)?.message}\n${out(built)}`).toBe('pass');
      // A passing unit test runs before its model, which is then built.
      const order = JSON.parse(readFileSync(path.join(dir, 'target', 'run_results.json'), 'utf8')).results.map((r: { unique_id: string }) => r.unique_id);
      expect(order.indexOf(id('my_model', 'test_my_model'))).toBeLessThan(order.indexOf('model.suite.my_model'));
      expect(results.get('model.suite.my_model')?.status).toBe('success');
      // ...and its data test after it (a data test never gates a unit test, which would be a cycle).
      const notNull = [...results.keys()].find((k) => k.startsWith('test.suite.not_null_my_model_tested_column'));
      expect(notNull && results.get(notNull)?.status).toBe('pass');
      expect(order.indexOf(notNull)).toBeGreaterThan(order.indexOf('model.suite.my_model'));
      // versions: exclude [1] tests v2 only; a disabled unit test is not run.
      expect(results.has(id('dim', 'versioned_v1'))).toBe(false);
      expect(results.has(id('order_people', 'disabled_one'))).toBe(false);
    });

    // core/dbt/task/test.py: a failure is `fail` with 1 failure and the rendered diff as its message; build skips the model and its children.
    it('a failing unit test shows the differing rows and skips its model and children', () => {
      const results = runResults(dir);
      const failed = results.get(id('order_people', 'wrong_total'))!;
      expect(failed.status).toBe('fail');
      expect(failed.failures).toBe(1);
      expect(failed.message).toContain('actual differs from expected:');
      // Column names as the warehouse spells them (upper case on Snowflake).
      const lines = failed.message!.split('\n').map((l) => l.replace(/\s+/g, '').toLowerCase());
      expect(lines).toContain('@@,order_id,name,total');
      expect(lines.some((l) => /^\+\+\+,1,bob,3(\.0+)?$/.test(l))).toBe(true);
      expect(lines.some((l) => /^---,1,bob,4(\.0+)?$/.test(l))).toBe(true);
      expect(lines.some((l) => /^,2,,1(\.0+)?$/.test(l))).toBe(true);
      expect(results.get('model.suite.order_people')?.status).toBe('skipped');
      expect(results.get('model.suite.downstream_of_order_people')?.status).toBe('skipped');
      expect(out(built)).toMatch(/FAIL unit_test order_people::wrong_total/);
      expect(out(built)).toMatch(/declared at models\/unit_tests\.yml:\d+/);
    });

    // test_invalid_input.py BaseUnitTestInvalidInput: get_fixture_sql.sql's format_row messages.
    it('test_invalid_input.py BaseUnitTestInvalidInput', async () => {
      let r = await dbt(dir, target, ['test', '--select', 'test_name:test_invalid_input_column_name']);
      expect(r.code).toBe(1);
      expect(out(r)).toContain("Invalid column name: 'invalid_column_name' in unit test fixture for 'my_upstream_model'.");
      expect(out(r)).toMatch(/models\/unit_tests\.yml:\d+:\d+: error/);
      r = await dbt(dir, target, ['test', '--select', 'test_name:test_invalid_expect_column_name']);
      expect(r.code).toBe(1);
      expect(out(r)).toContain("Invalid column name: 'invalid_column_name' in unit test fixture for expected output.");
    });

    // Selection as dbt's: test_type:unit, resource_type:unit_test, by the model (indirect), by tag, --exclude-resource-type.
    it.skipIf(target === 'snowflake')('model test selects unit tests as dbt does', async () => {
      const ran = async (args: string[]) => {
        await dbt(dir, target, ['test', ...args]);
        return [...runResults(dir).keys()].filter((k) => k.startsWith('unit_test.')).sort();
      };
      const all = await ran(['--select', 'test_type:unit']);
      expect(all).toContain(id('my_model', 'test_my_model'));
      expect(await ran(['--select', 'resource_type:unit_test'])).toEqual(all);
      expect(await ran(['--select', 'my_model'])).toEqual([id('my_model', 'test_my_model')]);
      expect(await ran(['--select', 'tag:joins'])).toEqual([id('order_people', 'joins_people')]);
      expect(await ran(['--exclude-resource-type', 'unit_test'])).toEqual([]);
      expect(await ran(['--resource-type', 'unit_test', '--select', 'inc'])).toEqual([id('inc', 'full_refresh_rows'), id('inc', 'incremental_rows')]);
    });

    // manifest.json: unit tests under `unit_tests`, resource_type unit_test, depends_on the tested model (dbt's manifest v12).
    it.skipIf(target === 'snowflake')('manifest.json lists the unit tests', () => {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'target', 'manifest.json'), 'utf8'));
      const u = manifest.unit_tests[id('order_people', 'joins_people')];
      expect(u).toMatchObject({
        resource_type: 'unit_test',
        model: 'order_people',
        name: 'joins_people',
        original_file_path: 'models/unit_tests.yml',
        depends_on: { nodes: ['model.suite.order_people'] },
        fqn: ['suite', 'order_people', 'joins_people'],
        overrides: { vars: { mult: 2 }, env_vars: { UT_REGION: 'eu' } },
        config: { tags: ['joins'], enabled: true },
      });
      expect(u.given[0]).toMatchObject({ input: "ref('orders')", format: 'dict' });
      expect(manifest.nodes[id('order_people', 'joins_people')]).toBeUndefined();
      expect(manifest.child_map['model.suite.order_people']).toContain(id('order_people', 'joins_people'));
    });

    // state:modified (dbt's unit test checksum of fixtures and overrides): only the edited unit test.
    it.skipIf(target === 'snowflake')('state:modified selects a unit test whose fixtures changed', async () => {
      const state = path.join(dir, 'prod-state');
      mkdirSync(state, { recursive: true });
      copyFileSync(path.join(dir, 'target', 'manifest.json'), path.join(state, 'manifest.json'));
      const yml = path.join(dir, 'models', 'unit_tests.yml');
      writeFileSync(yml, readFileSync(yml, 'utf8').replace('- {tested_colUmn: 3}\n    expect:', '- {tested_colUmn: 4}\n    expect:'));
      const r = await dbt(dir, target, ['test', '--select', 'state:modified', '--state', state]);
      expect([...runResults(dir).keys()], out(r)).toEqual([id('my_model', 'test_my_model')]);
      expect(runResults(dir).get(id('my_model', 'test_my_model'))?.status).toBe('fail');
    });
  });
}

/** Projects whose unit-test YAML is wrong: errors at parse time with file:line, nothing run, no stack. */
describe('bad unit test YAML', () => {
  const project = (yml: string, extra: Record<string, string> = {}) =>
    suiteProject({
      'models/up.sql': 'select 1 as id\n',
      'models/other.sql': 'select 2 as id\n',
      'models/m.sql': "select id from {{ ref('up') }}\n",
      'models/inc.sql': "{{ config(materialized='incremental') }}\nselect id from {{ ref('up') }}{% if is_incremental() %} where id > 0{% endif %}\n",
      'models/unit.yml': yml,
      ...extra,
    });

  it('names the file and line of each mistake (unknown model, input the model does not read, malformed row, bad csv, unknown key, missing override)', async () => {
    const dir = project(`unit_tests:
  - name: t_unknown_model
    model: n
    given: []
    expect: {rows: []}
  - name: t_not_read
    model: m
    given:
      - input: ref('up')
        rows: []
      - input: ref('other')
        rows: []
    expect: {rows: []}
  - name: t_bad_row
    model: m
    given:
      - input: ref('up')
        rows: [1]
    expect: {rows: []}
  - name: t_bad_csv
    model: m
    given:
      - input: ref('up')
        format: csv
        rows: |
          id
          1,2
    expect: {rows: []}
  - name: t_unknown_key
    model: m
    expected: {rows: []}
    expect: {rows: []}
  - name: t_missing_input
    model: m
    given: []
    expect: {rows: []}
  - name: t_incremental
    model: inc
    given:
      - input: ref('up')
        rows: []
    expect: {rows: []}
  - name: t_missing_fixture
    model: m
    given:
      - input: ref('up')
        format: csv
        fixture: nope
    expect: {rows: []}
`);
    const r = await dbt(dir, 'duckdb', ['test']);
    const text = out(r);
    expect(r.code).toBe(2);
    expect(text).not.toMatch(/internal error|\n\s+at /);
    expect(text).toMatch(/models\/unit\.yml:3:5: error \[project\]: unit test 't_unknown_model': Unable to find model 'suite\.n'/);
    expect(text).toMatch(/models\/unit\.yml:11:9: error \[project\]: unit test 't_not_read': model 'm' does not read ref\('other'\)/);
    expect(text).toMatch(/models\/unit\.yml:18:16: error \[project\]: unit test 't_bad_row': input row 1 is not a mapping/);
    expect(text).toMatch(/models\/unit\.yml:27: error \[project\]: unit test 't_bad_csv': input csv: row has 2 values but the header has 1 column/);
    expect(text).toMatch(/models\/unit\.yml:31:5: error \[project\]: unknown key 'expected' in unit_tests\[4\]/);
    expect(text).toMatch(/models\/unit\.yml:35:5: error \[project\]: unit test 't_missing_input': model 'm' reads ref\('up'\), which has no input in given:/);
    expect(text).toMatch(/unit test 't_incremental': Boolean override for 'is_incremental' must be provided/);
    expect(text).toMatch(/unit test 't_missing_fixture': File not found for fixture 'nope'/);
  });
});
