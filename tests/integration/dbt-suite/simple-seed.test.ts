// Ports of dbt's simple_seed/ adapter tests (dbt-labs/dbt-adapters,
// dbt-tests-adapter/src/dbt/tests/adapter/simple_seed/test_seed.py and test_seed_type_override.py;
// fixtures from seeds.py and, for the column_type test and the models, dbt-core's copy of
// fixtures.py), on the embedded DuckDB and the loopback Snowflake emulator. The fixtures are
// shortened (5 of seed_actual's 500 rows, the NULL first_name row kept); `seed_expected` is made by a
// `run-operation` in place of upstream's `project.run_sql(seeds__expected_sql)`.
import { afterEach, describe, expect, it } from 'vitest';
import { dbt, query, relationTypes, runResults, schemaOf, stopEmulator, suiteEmulator, suiteProject, type Target } from '../../helpers/dbt-suite.js';
import { runModel } from '../../helpers/project.js';

const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

const ROWS = [
  [1, 'Larry', 'lking0@miitbeian.gov.cn', '69.135.206.194', '2008-09-12 19:08:31'],
  [2, 'Larry', 'lperkins1@toplist.cz', '64.210.133.162', '1978-05-09 04:15:14'],
  [3, 'Anna', 'amontgomery2@miitbeian.gov.cn', '168.104.64.114', '2011-10-16 04:07:57'],
  [499, null, 'ethomasdu@hhs.gov', '6.241.88.250', '2007-09-14 13:03:34'],
  [500, 'Paula', 'pshawdv@networksolutions.com', '123.27.47.249', '2003-10-30 21:19:20'],
] as const;
const HEADER = ['seed_id', 'first_name', 'email', 'ip_address', 'birthday'];
const csv = (sep: string) => `${[HEADER, ...ROWS].map((r) => r.map((v) => v ?? '').join(sep)).join('\n')}\n`;
const SEED_ACTUAL = csv(',');
const PIPE_SEPARATED = csv('|');

/** seeds.py's seeds__expected_sql, in the target's types, as a macro run by `run-operation`. */
const CREATE_EXPECTED = `{% macro create_expected() %}
{% if target.type == 'snowflake' %}{% do run_query("create database if not exists " ~ target.database) %}{% do run_query("create schema if not exists " ~ target.database ~ "." ~ target.schema) %}{% endif %}
{% do run_query("create or replace table " ~ target.database ~ "." ~ target.schema ~ ".seed_expected (seed_id " ~ dbt.type_int() ~ ", first_name " ~ dbt.type_string() ~ ", email " ~ dbt.type_string() ~ ", ip_address " ~ dbt.type_string() ~ ", birthday " ~ dbt.type_timestamp() ~ ")") %}
{% do run_query("insert into " ~ target.database ~ "." ~ target.schema ~ ".seed_expected values ${ROWS.map((r) => `(${r.map((v) => (v === null ? 'null' : typeof v === 'number' ? v : `'${v}'`)).join(', ')})`).join(', ')}") %}
{% endmacro %}
`;

const ENABLED_CSV = `seed_id,first_name,email,ip_address,birthday
1,Larry,lking0@miitbeian.gov.cn,69.135.206.194,2008-09-12 19:08:31
2,Larry,lperkins1@toplist.cz,64.210.133.162,1978-05-09 04:15:14
`;
// For the column_types override to `date`: upstream's seed_enabled has timestamps, which Postgres
// casts to a date; DuckDB refuses '2008-09-12 19:08:31' as a DATE, so the port's birthdays are dates.
const ENABLED_DATES_CSV =
  'seed_id,first_name,email,ip_address,birthday\n1,Larry,lking0@miitbeian.gov.cn,69.135.206.194,2008-09-12\n2,Larry,lperkins1@toplist.cz,64.210.133.162,1978-05-09\n';
const TRICKY_CSV = `seed_id,seed_id_str,a_bool,looks_like_a_bool,a_date,looks_like_a_date,relative,weekday
1,1,true,true,2019-01-01 12:32:30,2019-01-01 12:32:30,tomorrow,Saturday
2,2,True,True,2019-01-01 12:32:31,2019-01-01 12:32:31,today,Sunday
3,3,TRUE,TRUE,2019-01-01 12:32:32,2019-01-01 12:32:32,yesterday,Monday
4,4,false,false,2019-01-01 01:32:32,2019-01-01 01:32:32,tomorrow,Saturday
5,5,False,False,2019-01-01 01:32:32,2019-01-01 01:32:32,today,Sunday
6,6,FALSE,FALSE,2019-01-01 01:32:32,2019-01-01 01:32:32,yesterday,Monday
`;

/** The rows of a relation (schema-qualified on the target), sorted: check_relations_equal. */
async function rowsOf(dir: string, target: Target, relation: string): Promise<string[]> {
  const rows = await query(dir, target, `select * from ${relation} order by 1`);
  return rows.map((r) => JSON.stringify(r));
}

for (const target of ['duckdb', 'snowflake'] as const satisfies Target[]) {
  describe(`simple_seed/ on ${target}`, () => {
    // A new emulator per case: each case starts from an empty warehouse, as upstream's per-class schema.
    afterEach(async () => {
      if (target === 'snowflake') await stopEmulator();
    });
    const schema = schemaOf(target);
    const seedProject = (projectYml: string, files: Record<string, string> = {}) =>
      suiteProject({ 'macros/create_expected.sql': CREATE_EXPECTED, 'seeds/seed_actual.csv': SEED_ACTUAL, ...files }, projectYml);
    const setUp = async (dir: string) => {
      const op = await dbt(dir, target, ['run-operation', 'create_expected']);
      expect(op.code, out(op)).toBe(0);
    };

    // SeedTestBase._build_relations_for_test and _check_relation_end_state. Upstream's end state
    // after a full refresh is "the downstream view is gone" (Postgres' drop … cascade); DuckDB
    // and Snowflake keep views when the table under them is replaced, so here it still reads it.
    const build = async (dir: string) => {
      const seed = await dbt(dir, target, ['seed']);
      expect(seed.code, out(seed)).toBe(0);
      expect(runResults(dir).size).toBe(1);
      expect(await rowsOf(dir, target, `${schema}.seed_actual`)).toEqual(await rowsOf(dir, target, `${schema}.seed_expected`));
      const run = await dbt(dir, target, ['run']);
      expect(run.code, out(run)).toBe(0);
      expect(runResults(dir).size).toBe(1);
      expect(await rowsOf(dir, target, `${schema}.models__downstream_from_seed_actual`)).toEqual(await rowsOf(dir, target, `${schema}.seed_expected`));
    };
    const endState = async (dir: string, args: string[]) => {
      const r = await dbt(dir, target, ['seed', ...args]);
      expect(r.code, out(r)).toBe(0);
      expect(runResults(dir).size).toBe(1);
      expect(await rowsOf(dir, target, `${schema}.seed_actual`)).toEqual(await rowsOf(dir, target, `${schema}.seed_expected`));
      expect((await relationTypes(dir, target)).models__downstream_from_seed_actual).toBe('view');
    };
    const downstream = { 'models/models__downstream_from_seed_actual.sql': "select * from {{ ref('seed_actual') }}\n" };

    it('test_seed.py BaseBasicSeedTests (seed, seed again, seed --full-refresh)', async () => {
      const dir = seedProject('seeds:\n  quote_columns: false\n', downstream);
      await setUp(dir);
      await build(dir);
      await endState(dir, []);
      await endState(dir, ['--full-refresh']);
    });

    it('test_seed.py BaseSeedConfigFullRefreshOn / BaseSeedConfigFullRefreshOff', async () => {
      for (const fullRefresh of [true, false]) {
        const dir = seedProject(`seeds:\n  quote_columns: false\n  full_refresh: ${fullRefresh}\n`, downstream);
        await setUp(dir);
        await build(dir);
        await endState(dir, []);
        if (!fullRefresh) await endState(dir, ['--full-refresh']);
      }
    });

    it('test_seed.py BaseSeedCustomSchema', async () => {
      const dir = seedProject('seeds:\n  schema: custom_schema\n  quote_columns: false\n');
      await setUp(dir);
      for (const args of [[], [], ['--full-refresh']]) {
        const r = await dbt(dir, target, ['seed', ...args]);
        expect(r.code, out(r)).toBe(0);
        expect(runResults(dir).size).toBe(1);
        expect(await rowsOf(dir, target, `${schema}_custom_schema.seed_actual`)).toEqual(await rowsOf(dir, target, `${schema}.seed_expected`));
      }
    });

    it('test_seed.py BaseSeedWithUniqueDelimiter', async () => {
      const dir = suiteProject(
        {
          'macros/create_expected.sql': CREATE_EXPECTED,
          'seeds/seed_pipe_separated.csv': PIPE_SEPARATED,
          'models/models__downstream_from_seed_pipe_separated.sql': "select * from {{ ref('seed_pipe_separated') }}\n",
        },
        'seeds:\n  quote_columns: false\n  delimiter: "|"\n',
      );
      await setUp(dir);
      for (const step of ['seed', 'run', 'seed']) {
        const r = await dbt(dir, target, [step]);
        expect(r.code, out(r)).toBe(0);
        expect(runResults(dir).size).toBe(1);
      }
      for (const relation of ['seed_pipe_separated', 'models__downstream_from_seed_pipe_separated']) {
        expect(await rowsOf(dir, target, `${schema}.${relation}`)).toEqual(await rowsOf(dir, target, `${schema}.seed_expected`));
      }
    });

    // The whole pipe-separated header is one column name: unquoted (quote_columns: false), it is
    // the warehouse's syntax error, which is the seed's result.
    it('test_seed.py BaseSeedWithWrongDelimiter', async () => {
      const dir = suiteProject({ 'seeds/seed_pipe_separated.csv': PIPE_SEPARATED }, 'seeds:\n  quote_columns: false\n  delimiter: ";"\n');
      const r = await dbt(dir, target, ['seed']);
      expect(r.code).not.toBe(0);
      const [result] = [...runResults(dir).values()];
      expect(result?.status).toBe('error');
      expect(result?.message?.toLowerCase()).toContain('syntax error');
    });

    it('test_seed.py BaseSeedWithEmptyDelimiter', async () => {
      const dir = suiteProject({ 'seeds/seed_pipe_separated.csv': PIPE_SEPARATED }, 'seeds:\n  quote_columns: false\n  delimiter: ""\n');
      const r = await dbt(dir, target, ['seed']);
      expect(r.code).not.toBe(0);
      const [result] = [...runResults(dir).values()];
      expect(result?.status).toBe('error');
      expect(result?.message?.toLowerCase()).toContain('compilation error');
    });

    it('test_seed.py BaseSimpleSeedEnabledViaConfig (all, --select, --exclude)', async () => {
      const files = { 'seeds/seed_enabled.csv': ENABLED_CSV, 'seeds/seed_disabled.csv': ENABLED_CSV, 'seeds/seed_tricky.csv': TRICKY_CSV };
      const projectYml = 'seeds:\n  suite:\n    seed_enabled:\n      enabled: true\n    seed_disabled:\n      enabled: false\n  quote_columns: false\n';
      for (const [args, results, tables] of [
        [[], 2, ['seed_enabled', 'seed_tricky']],
        [['--select', 'seed_enabled'], 1, ['seed_enabled']],
        [['--exclude', 'seed_enabled'], 1, ['seed_tricky']],
      ] as const) {
        if (target === 'snowflake') await stopEmulator(); // an empty warehouse for each step, as upstream drops the schema
        const dir = suiteProject(files, projectYml);
        const r = await dbt(dir, target, ['seed', ...args]);
        expect(r.code, out(r)).toBe(0);
        expect(runResults(dir).size).toBe(results);
        expect(Object.keys(await relationTypes(dir, target)).sort()).toEqual([...tables]);
      }
    });

    it('test_seed.py BaseSeedParsing (run does not read seeds; seed fails)', async () => {
      const dir = suiteProject(
        {
          'macros/create_expected.sql': CREATE_EXPECTED,
          'seeds/seed.csv': 'a,b,c\n1,7,23,90,5\n2\n',
          'models/model.sql': 'select * from {{ this.schema }}.seed_expected\n',
        },
        'seeds:\n  quote_columns: false\n',
      );
      await setUp(dir);
      const run = await dbt(dir, target, ['run']);
      expect(run.code, out(run)).toBe(0);
      expect(runResults(dir).size).toBe(1);
      expect((await dbt(dir, target, ['seed'])).code).not.toBe(0);
    });

    it('test_seed.py BaseSimpleSeedWithBOM', async () => {
      // The file starts with a UTF-8 byte order mark, which is not part of the first column's name.
      const dir = suiteProject(
        { 'macros/create_expected.sql': CREATE_EXPECTED, 'seeds/seed_bom.csv': `\uFEFF${SEED_ACTUAL}` },
        'seeds:\n  quote_columns: false\n',
      );
      await setUp(dir);
      const r = await dbt(dir, target, ['seed']);
      expect(r.code, out(r)).toBe(0);
      expect(runResults(dir).size).toBe(1);
      expect(await rowsOf(dir, target, `${schema}.seed_bom`)).toEqual(await rowsOf(dir, target, `${schema}.seed_expected`));
    });

    it('test_seed.py BaseSeedSpecificFormats (20,000 rows, dots in the name, unicode) + BaseTestEmptySeed', async () => {
      const big = ['seed_id', ...Array.from({ length: 20_000 }, (_, i) => String(i))].join('\n');
      const dir = suiteProject(
        {
          'seeds/big_seed.csv': `${big}\n`,
          'seeds/seed.with.dots.csv': 'seed_id\n1\n',
          'seeds/seed_unicode.csv': 'seed_id\nUh – Oh\n',
          'seeds/empty_with_header.csv': 'a,b,c',
        },
        'seeds:\n  quote_columns: false\n',
      );
      const r = await dbt(dir, target, ['seed']);
      expect(r.code, out(r)).toBe(0);
      expect(runResults(dir).size).toBe(4);
      expect(await query(dir, target, `select count(*) as n from ${schema}.big_seed`)).toEqual([{ n: 20_000 }]);
      expect(await query(dir, target, `select count(*) as n from ${schema}.empty_with_header`)).toEqual([{ n: 0 }]);
      expect(await query(dir, target, `select seed_id from ${schema}.seed_unicode`)).toEqual([{ seed_id: 'Uh – Oh' }]);
    });

    // test_seed_type_override.py: column_types win over inference; the column_type test reads
    // adapter.get_columns_in_relation. Upstream's expected types are Postgres' names (text,
    // timestamp without time zone): here the names this engine's Column.data_type gives on the target.
    it('test_seed_type_override.py BaseSimpleSeedColumnOverride', async () => {
      const [text, date, integer, boolean, timestamp] =
        target === 'duckdb' ? ['VARCHAR', 'DATE', 'INTEGER', 'BOOLEAN', 'TIMESTAMP'] : ['VARCHAR', 'DATE', 'NUMBER(38,0)', 'BOOLEAN', 'TIMESTAMP_NTZ'];
      const test = (column: string, type: string) => `  - name: ${column}\n    data_tests:\n    - column_type:\n        type: ${type}\n`;
      const dir = suiteProject(
        {
          'seeds/seed_enabled.csv': ENABLED_DATES_CSV,
          'seeds/seed_disabled.csv': ENABLED_CSV,
          'seeds/seed_tricky.csv': TRICKY_CSV,
          'macros/schema_test.sql': `{% test column_type(model, column_name, type) %}
    {% set cols = adapter.get_columns_in_relation(model) %}
    {% set col_types = {} %}
    {% for col in cols %}
        {% do col_types.update({col.name: col.data_type}) %}
    {% endfor %}
    {% set validation_message = 'Got a column type of ' ~ col_types.get(column_name) ~ ', expected ' ~ type %}
    {% set val = 0 if col_types.get(column_name) == type else 1 %}
    {% if val == 1 and execute %}
        {{ log(validation_message, info=True) }}
    {% endif %}
    select '{{ validation_message }}' as validation_error
    from (select true) as nothing
    where {{ val }} = 1
{% endtest %}
`,
          'models/schema.yml': `version: 2
seeds:
- name: seed_enabled
  columns:
${test('birthday', date)}${test('seed_id', text)}
- name: seed_tricky
  columns:
${test('seed_id', integer)}${test('seed_id_str', text)}${test('a_bool', boolean)}${test('looks_like_a_bool', text)}${test('a_date', timestamp)}${test('looks_like_a_date', text)}${test('relative', text)}${test('weekday', text)}`,
        },
        `seeds:
  suite:
    enabled: false
    quote_columns: true
    seed_enabled:
      enabled: true
      +column_types: {seed_id: text, birthday: date}
    seed_tricky:
      enabled: true
      +column_types: {seed_id_str: text, looks_like_a_bool: text, looks_like_a_date: text}
`,
      );
      const seed = await dbt(dir, target, ['seed', '--show']);
      expect(seed.code, out(seed)).toBe(0);
      expect(runResults(dir).size).toBe(2);
      const tests = await dbt(dir, target, ['test']);
      expect(tests.code, out(tests)).toBe(0);
      expect(runResults(dir).size).toBe(10);
    });

    // test_seed.py BaseSeedConcurrent.test_concurrent_seeds: after a seed, two `seed` commands at
    // once (two processes here, upstream's two threads of run_dbt); either may fail (upstream
    // ignores their results: on DuckDB the second cannot open the locked file, on Snowflake the
    // build lock makes one wait), but the table is never left half-built: a last seed passes
    // with one result and the table equals seed_expected.
    it('test_seed.py BaseSeedConcurrent', async () => {
      const dir = seedProject('seeds:\n  quote_columns: false\n', downstream);
      await setUp(dir);
      expect((await dbt(dir, target, ['seed'])).code).toBe(0);
      const env: Record<string, string> =
        target === 'snowflake' ? { SNOWFLAKE_PASSWORD: 'model-password', SNOWFLAKE_ACCESS_URL: (await suiteEmulator()).url } : {};
      await Promise.all([0, 1].map(() => runModel(['seed', '--target', target], { cwd: dir, env })));
      const final = await dbt(dir, target, ['seed']);
      expect(final.code, out(final)).toBe(0);
      expect(runResults(dir).size).toBe(1);
      expect(await rowsOf(dir, target, `${schema}.seed_actual`)).toEqual(await rowsOf(dir, target, `${schema}.seed_expected`));
    });
  });
}
