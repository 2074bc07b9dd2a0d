// Ports of dbt's cross-database macro tests: dbt-labs/dbt-adapters,
// dbt-tests-adapter/src/dbt/tests/adapter/utils/ (test_<macro>.py with fixture_<macro>.py). Each
// upstream class is a seed, a model calling the macro and an `assert_equal` test of actual against
// expected (base_utils.py, BaseUtils.test_build_assert_equal: `dbt build` passes); the array ones
// compare an `actual` and an `expected` model (base_array_utils.py, BaseArrayUtils). All cases build
// in one project, so one `model build` per target runs them all; each case is its own test here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_UTILS_MACROS, dbt, query, runResults, schemaOf, stopEmulator, suiteProject, type RunResult, type Target } from '../../helpers/dbt-suite.js';

interface UtilsCase {
  /** The upstream file and class. */
  upstream: string;
  /** The model's name (`test_<macro>`), its SQL, and seeds it reads. */
  model: string;
  sql: string;
  seeds?: Record<string, string>;
  actual?: string;
  expected?: string;
  /** Why the case does not run on a target (shown in docs/dbt-compatibility.md too). */
  skip?: Partial<Record<Target, string>>;
}

const CASES: UtilsCase[] = [
  {
    upstream: 'test_any_value.py TestAnyValue',
    model: 'test_any_value',
    seeds: { data_any_value: 'key_name,static_col,num_rows\nabc,dbt,2\njkl,dbt,3\nxyz,test,1\n' },
    sql: `with data as (select * from {{ ref('data_any_value') }}),
data_output as (select * from {{ ref('data_any_value') }})
select {{ any_value('static_col') }} as actual, 'dbt' as expected from data where key_name = 'abc'`,
  },
  {
    upstream: 'test_bool_or.py TestBoolOr',
    model: 'test_bool_or',
    seeds: { data_bool_or: 'key,val1,val2\nabc,1,1\nabc,1,0\ndef,1,0\nhij,1,1\nhij,1,\nklm,1,0\nklm,1,\n' },
    sql: `with data as (select * from {{ ref('data_bool_or') }}),
expected as (select 'abc' as key, true as value union all select 'def', false union all select 'hij', true union all select 'klm', false),
actual as (select key, {{ bool_or('val1 = val2') }} as value from data group by key)
select actual.value as actual, expected.value as expected from actual left join expected on expected.key = actual.key`,
  },
  {
    upstream: 'test_concat.py TestConcat',
    model: 'test_concat',
    seeds: { data_concat: 'input_1,input_2,output\na,b,ab\na,,a\n,b,b\n' },
    sql: `with data as (select * from {{ ref('data_concat') }})
select {{ concat(['input_1', 'input_2']) }} as actual, output as expected from data where input_1 is not null and input_2 is not null`,
  },
  {
    upstream: 'test_current_timestamp.py TestCurrentTimestamp (the value is a timestamp near now)',
    model: 'test_current_timestamp',
    sql: `select abs({{ datediff(current_timestamp(), "cast('" ~ modules.datetime.datetime.utcnow().isoformat() ~ "' as timestamp)", 'minute') }}) < 5 as actual, true as expected`,
  },
  {
    upstream: 'test_date.py TestDate',
    model: 'test_date',
    actual: 'date_day',
    sql: `with generated_dates as (
    {{ dbt.date_spine("day", date(2023, 9, 7), date(2023, 9, 10), ) }}
),
expected_dates as (
    select cast('2023-09-07' as date) as expected union all select cast('2023-09-08' as date) union all select cast('2023-09-09' as date)
),
joined as (
    select generated_dates.date_day, expected_dates.expected
    from generated_dates full outer join expected_dates on generated_dates.date_day = expected_dates.expected
)
select * from joined`,
  },
  {
    upstream: 'test_dateadd.py TestDateAdd',
    model: 'test_dateadd',
    seeds: {
      data_dateadd:
        'from_time,interval_length,datepart,result\n2018-01-01 01:00:00,1,day,2018-01-02 01:00:00\n2018-01-01 01:00:00,1,month,2018-02-01 01:00:00\n2018-01-01 01:00:00,1,year,2019-01-01 01:00:00\n2018-01-01 01:00:00,1,hour,2018-01-01 02:00:00\n,1,day,\n',
    },
    sql: `with data as (select * from {{ ref('data_dateadd') }})
select
    case
        when datepart = 'hour' then cast({{ dateadd('hour', 'interval_length', 'from_time') }} as {{ api.Column.translate_type('timestamp') }})
        when datepart = 'day' then cast({{ dateadd('day', 'interval_length', 'from_time') }} as {{ api.Column.translate_type('timestamp') }})
        when datepart = 'month' then cast({{ dateadd('month', 'interval_length', 'from_time') }} as {{ api.Column.translate_type('timestamp') }})
        when datepart = 'year' then cast({{ dateadd('year', 'interval_length', 'from_time') }} as {{ api.Column.translate_type('timestamp') }})
        else null
    end as actual,
    result as expected
from data`,
  },
  {
    upstream: 'test_datediff.py TestDateDiff',
    model: 'test_datediff',
    seeds: {
      data_datediff:
        'first_date,second_date,datepart,result\n2018-01-01 01:00:00,2018-01-02 01:00:00,day,1\n2018-01-01 01:00:00,2018-02-01 01:00:00,month,1\n2018-01-01 01:00:00,2019-01-01 01:00:00,year,1\n2018-01-01 01:00:00,2018-01-01 02:00:00,hour,1\n2018-01-01 01:00:00,2018-01-01 02:01:00,minute,61\n2018-01-01 01:00:00,2018-01-01 02:00:01,second,3601\n2019-12-31 00:00:00,2019-12-27 00:00:00,week,-1\n2019-12-31 00:00:00,2019-12-30 00:00:00,week,0\n2019-12-31 00:00:00,2020-01-02 00:00:00,week,0\n2019-12-31 00:00:00,2020-01-06 02:00:00,week,1\n,2018-01-01 02:00:00,hour,\n2018-01-01 02:00:00,,hour,\n',
    },
    sql: `with data as (select * from {{ ref('data_datediff') }})
select
    case
        when datepart = 'second' then {{ datediff('first_date', 'second_date', 'second') }}
        when datepart = 'minute' then {{ datediff('first_date', 'second_date', 'minute') }}
        when datepart = 'hour' then {{ datediff('first_date', 'second_date', 'hour') }}
        when datepart = 'day' then {{ datediff('first_date', 'second_date', 'day') }}
        when datepart = 'week' then {{ datediff('first_date', 'second_date', 'week') }}
        when datepart = 'month' then {{ datediff('first_date', 'second_date', 'month') }}
        when datepart = 'year' then {{ datediff('first_date', 'second_date', 'year') }}
        else null
    end as actual,
    result as expected
from data
{% for part in ['microsecond', 'millisecond', 'second', 'minute', 'hour', 'day', 'month', 'quarter', 'year'] %}
union all select {{ datediff("'1999-12-31 23:59:59.999999'", "'2000-01-01 00:00:00.000000'", part) }} as actual, 1 as expected
{% endfor %}
union all select {{ datediff("'1999-12-31 23:59:59.999999'", "'2000-01-03 00:00:00.000000'", "week") }} as actual, 1 as expected`,
  },
  {
    upstream: 'test_escape_single_quotes.py TestEscapeSingleQuotes',
    model: 'test_escape_single_quotes',
    sql: `select '{{ escape_single_quotes("they're") }}' as actual, 'they''re' as expected,
{{ length(string_literal(escape_single_quotes("they're"))) }} as actual_length, 7 as expected_length
union all
select '{{ escape_single_quotes("they are") }}' as actual, 'they are' as expected,
{{ length(string_literal(escape_single_quotes("they are"))) }} as actual_length, 8 as expected_length`,
  },
  {
    upstream: 'test_except.py TestExcept',
    model: 'test_except',
    sql: `with a as (select 1 as id union all select 2), b as (select 2 as id),
x as (select id from a {{ except() }} select id from b)
select id as actual, 1 as expected from x`,
  },
  {
    upstream: 'test_get_intervals_between.py TestGetIntervalsBetween (ISO dates: DuckDB reads no MM/DD/YYYY text, as dbt-duckdb overrides the fixture)',
    model: 'test_get_intervals_between',
    actual: 'intervals',
    sql: `select {{ get_intervals_between("'2023-09-01'", "'2023-09-12'", "day") }} as intervals, 11 as expected`,
  },
  {
    upstream: 'test_get_powers_of_two.py TestGetPowersOfTwo',
    model: 'test_powers_of_two',
    sql: [1, 4, 27, 256, 3125, 46656, 823543]
      .map((n, i) => `select {{ get_powers_of_two(${n}) }} as actual, ${[1, 2, 5, 8, 12, 16, 20][i]} as expected`)
      .join('\nunion all\n'),
  },
  {
    upstream: 'test_generate_series.py TestGenerateSeries',
    model: 'test_generate_series',
    sql: `with generated_numbers as ({{ dbt.generate_series(10) }}),
expected_numbers as ({% for i in range(1, 11) %}select {{ i }} as expected{% if not loop.last %} union all {% endif %}{% endfor %}),
joined as (select generated_numbers.generated_number, expected_numbers.expected from generated_numbers left join expected_numbers on generated_numbers.generated_number = expected_numbers.expected)
select generated_number as actual, expected from joined`,
  },
  {
    upstream: 'test_hash.py TestHash',
    model: 'test_hash',
    seeds: { data_hash: 'input_1,output\nab,187ef4436122d1cc2f40dc2b92f0eba0\na,0cc175b9c0f1b6a831c399e269772661\n1,c4ca4238a0b923820dcc509a6f75849b\n' },
    sql: `with data as (select * from {{ ref('data_hash') }})
select {{ hash('input_1') }} as actual, output as expected from data`,
  },
  {
    upstream: 'test_intersect.py TestIntersect',
    model: 'test_intersect',
    sql: `with a as (select 1 as id union all select 2), b as (select 2 as id),
x as (select id from a {{ intersect() }} select id from b)
select id as actual, 2 as expected from x`,
  },
  {
    upstream: 'test_last_day.py TestLastDay',
    model: 'test_last_day',
    seeds: { data_last_day: 'date_day,date_part,result\n2018-01-02,month,2018-01-31\n2018-01-02,quarter,2018-03-31\n2018-01-02,year,2018-12-31\n,month,\n' },
    sql: `with data as (select * from {{ ref('data_last_day') }})
select
    case
        when date_part = 'month' then {{ last_day('date_day', 'month') }}
        when date_part = 'quarter' then {{ last_day('date_day', 'quarter') }}
        when date_part = 'year' then {{ last_day('date_day', 'year') }}
        else null
    end as actual,
    result as expected
from data`,
  },
  {
    upstream: 'test_length.py TestLength',
    model: 'test_length',
    seeds: { data_length: 'expression,output\nabcdef,6\nfishtown,8\nabcdefghijklmnopqrstuvwxyz,26\n' },
    sql: `with data as (select * from {{ ref('data_length') }})
select {{ length('expression') }} as actual, output as expected from data`,
  },
  {
    upstream: 'test_listagg.py TestListagg',
    model: 'test_listagg',
    seeds: { data_listagg: 'group_col,string_text,order_col\n1,a,1\n1,b,2\n1,c,3\n2,a,2\n2,1,1\n2,p,3\n3,g,1\n3,g,2\n3,g,3\n' },
    sql: `with data as (select * from {{ ref('data_listagg') }}),
default_delimiter as (select group_col, {{ listagg('string_text') }} as actual, 'default' as version from data group by group_col),
bottom_ordered as (select group_col, {{ listagg('string_text', "', '", "order by order_col") }} as actual, 'bottom_ordered' as version from data group by group_col),
bottom_ordered_limited as (select group_col, {{ listagg('string_text', "', '", "order by order_col", 2) }} as actual, 'bottom_ordered_limited' as version from data group by group_col),
expected as (
    select 1 as group_col, 'a, b, c' as expected, 'bottom_ordered' as version union all
    select 2, '1, a, p', 'bottom_ordered' union all
    select 3, 'g, g, g', 'bottom_ordered' union all
    select 1, 'a, b', 'bottom_ordered_limited' union all
    select 2, '1, a', 'bottom_ordered_limited' union all
    select 3, 'g, g', 'bottom_ordered_limited' union all
    select 3, 'g,g,g', 'default'
),
unioned as (select * from bottom_ordered union all select * from bottom_ordered_limited union all select * from default_delimiter where group_col = 3)
select unioned.actual, expected.expected from unioned left join expected on unioned.group_col = expected.group_col and unioned.version = expected.version`,
  },
  {
    upstream: 'test_position.py TestPosition',
    model: 'test_position',
    seeds: { data_position: 'substring_text,string_text,result\ndef,abcdef,4\nabc,abcdef,1\nbcd,abcdef,2\nxyz,abcdef,0\n' },
    sql: `with data as (select * from {{ ref('data_position') }})
select {{ position('substring_text', 'string_text') }} as actual, result as expected from data`,
  },
  {
    upstream: 'test_replace.py TestReplace',
    model: 'test_replace',
    seeds: { data_replace: 'string_text,search_chars,replace_chars,result\na,a,b,b\nhttp://google.com,http://,"",google.com\n' },
    sql: `with data as (select coalesce(search_chars, '') as old_chars, coalesce(replace_chars, '') as new_chars, * from {{ ref('data_replace') }})
select {{ replace('string_text', 'old_chars', 'new_chars') }} as actual, result as expected from data`,
  },
  {
    upstream: 'test_right.py TestRight',
    model: 'test_right',
    seeds: { data_right: 'string_text,length_expression,output\nabcdef,3,def\nfishtown,4,town\nfishtownanalytics,5,lytics\n' },
    sql: `with data as (select * from {{ ref('data_right') }} where output <> 'lytics')
select {{ right('string_text', 'length_expression') }} as actual, output as expected from data`,
  },
  {
    upstream: 'test_safe_cast.py TestSafeCast',
    model: 'test_safe_cast',
    seeds: { data_safe_cast: 'field,output\nabc,\n123,123\n' },
    sql: `with data as (select * from {{ ref('data_safe_cast') }})
select {{ safe_cast('field', api.Column.translate_type('integer')) }} as actual, output as expected from data`,
  },
  {
    upstream: 'test_split_part.py TestSplitPart',
    model: 'test_split_part',
    seeds: {
      data_split_part: 'parts,split_on,result_1,result_2,result_3,result_4\na|b|c,|,a,b,c,c\n1|2|3,|,1,2,3,3\nEMPTY|EMPTY|EMPTY,|,EMPTY,EMPTY,EMPTY,EMPTY\n',
    },
    sql: `with data as (select * from {{ ref('data_split_part') }})
select {{ split_part('parts', 'split_on', 1) }} as actual, result_1 as expected from data
union all select {{ split_part('parts', 'split_on', 2) }} as actual, result_2 as expected from data
union all select {{ split_part('parts', 'split_on', 3) }} as actual, result_3 as expected from data
union all select {{ split_part('parts', 'split_on', -1) }} as actual, result_4 as expected from data`,
  },
  {
    upstream: 'test_string_literal.py TestStringLiteral',
    model: 'test_string_literal',
    sql: `select {{ string_literal("abc") }} as actual, 'abc' as expected union all
select {{ string_literal("1") }} as actual, '1' as expected union all
select {{ string_literal("") }} as actual, '' as expected union all
select {{ string_literal(none) }} as actual, 'None' as expected`,
  },
  {
    upstream: 'test_cast_bool_to_text.py TestCastBoolToText',
    model: 'test_cast_bool_to_text',
    sql: `select {{ cast_bool_to_text("0 = 1") }} as actual, 'false' as expected union all
select {{ cast_bool_to_text("1 = 1") }} as actual, 'true' as expected union all
select {{ cast_bool_to_text("cast(null as boolean)") }} as actual, null as expected`,
  },
  {
    upstream: 'test_cast.py TestCast',
    model: 'test_cast',
    seeds: { data_cast: 'field,output\n3,3\n4,4\n' },
    sql: `with data as (select * from {{ ref('data_cast') }})
select {{ cast('field', api.Column.translate_type('string')) }} as actual, cast(output as {{ type_string() }}) as expected from data`,
  },
  {
    upstream: 'test_equals.py TestEquals (the behaviour flag off: nulls are not equal, so null rows are left out)',
    model: 'test_equals',
    seeds: { data_equals: 'key_name,x,y,expected\n1,1,1,same\n2,1,2,different\n3,,2,different\n' },
    actual: 'result',
    sql: `select case when {{ equals('x', 'y') }} then 'same' else 'different' end as result, expected from {{ ref('data_equals') }}`,
  },
  {
    // dbt-snowflake runs it (dbt-adapters dbt-snowflake/tests/functional/adapter/utils/test_utils.py, TestDateSpine);
    // dbt-duckdb runs its own dbt_utils date_spine case instead. The expected days are text on Snowflake, as
    // upstream's default branch writes them, and dates elsewhere, as its typed branches do (DuckDB compares no
    // DATE with VARCHAR columns).
    upstream: 'test_date_spine.py TestDateSpine',
    model: 'test_date_spine',
    skip: { duckdb: "dbt-duckdb does not run it: its dateadd (`'2023-09-01' + interval …`) cannot add to a text literal" },
    actual: 'date_day',
    sql: `with generated_dates as (
    {{ date_spine("day", "'2023-09-01'", "'2023-09-10'") }}
), expected_dates as (
    {% for d in range(1, 10) %}{% if not loop.first %} union all {% endif %}select {% if target.type == 'snowflake' %}'2023-09-0{{ d }}'{% else %}cast('2023-09-0{{ d }}' as date){% endif %} as expected{% endfor %}
), joined as (
    select generated_dates.date_day, expected_dates.expected
    from generated_dates left join expected_dates on generated_dates.date_day = expected_dates.expected
)
select * from joined`,
  },
  {
    // dbt-duckdb and dbt-snowflake both run it (tests/functional/adapter/utils/test_utils.py, TestDateTrunc).
    upstream: 'test_date_trunc.py TestDateTrunc',
    model: 'test_date_trunc',
    seeds: { data_date_trunc: 'updated_at,day,month\n2018-01-05 12:00:00,2018-01-05,2018-01-01\n,,\n' },
    sql: `select cast({{ date_trunc('day', 'updated_at') }} as date) as actual, day as expected from {{ ref('data_date_trunc') }}
union all
select cast({{ date_trunc('month', 'updated_at') }} as date) as actual, month as expected from {{ ref('data_date_trunc') }}`,
  },
  {
    // dbt-snowflake runs it (dbt-adapters dbt-snowflake/tests/functional/adapter/utils/test_utils.py,
    // TestEscapeSingleQuotes(BaseEscapeSingleQuotesBackslash)); dbt-duckdb runs only the quote variant:
    // DuckDB's strings take no backslash escapes.
    upstream: 'test_escape_single_quotes.py BaseEscapeSingleQuotesBackslash',
    model: 'test_escape_single_quotes_backslash',
    sql: `select '{{ escape_single_quotes("they're") }}' as actual, 'they\\'re' as expected,
{{ length(string_literal(escape_single_quotes("they're"))) }} as actual_length, 7 as expected_length
union all
select '{{ escape_single_quotes("they are") }}' as actual, 'they are' as expected,
{{ length(string_literal(escape_single_quotes("they are"))) }} as actual_length, 8 as expected_length`,
    skip: { duckdb: "dbt-duckdb runs only BaseEscapeSingleQuotesQuote: DuckDB reads 'they\\'re' as an unterminated string" },
  },
  {
    upstream: 'data_types/test_type_*.py (type_string, type_int, type_bigint, type_float, type_numeric, type_boolean, type_timestamp build)',
    model: 'test_data_types',
    sql: `select cast('x' as {{ type_string() }}) = 'x' and cast(1 as {{ type_int() }}) = 1 and cast(1 as {{ type_bigint() }}) = 1
  and cast(1.5 as {{ type_float() }}) = 1.5 and cast(1.5 as {{ type_numeric() }}) = 1.5 and cast(true as {{ type_boolean() }})
  and cast('2024-01-02 03:04:05' as {{ type_timestamp() }}) is not null as actual, true as expected`,
  },
];

/** The array macros (BaseArrayUtils): `actual` and `expected` models hold the same rows. */
const ARRAY_CASES = [
  {
    upstream: 'test_array_construct.py TestArrayConstruct',
    name: 'array_construct',
    expected: 'select 1 as id, {{ array_construct([1,2,3]) }} as array_col union all select 2 as id, {{ array_construct([]) }} as array_col',
    actual: 'select 1 as id, {{ array_construct([1,2,3]) }} as array_col union all select 2 as id, {{ array_construct([]) }} as array_col',
  },
  {
    upstream: 'test_array_append.py TestArrayAppend',
    name: 'array_append',
    expected: 'select 1 as id, {{ array_construct([1,2,3,4]) }} as array_col union all select 2 as id, {{ array_construct([4]) }} as array_col',
    actual:
      'select 1 as id, {{ array_append(array_construct([1,2,3]), 4) }} as array_col union all select 2 as id, {{ array_append(array_construct([]), 4) }} as array_col',
  },
  {
    upstream: 'test_array_concat.py TestArrayConcat',
    name: 'array_concat',
    expected:
      'select 1 as id, {{ array_construct([1,2,3,4,5,6]) }} as array_col union all select 2 as id, {{ array_construct([2]) }} as array_col union all select 3 as id, {{ array_construct([3]) }} as array_col',
    actual:
      'select 1 as id, {{ array_concat(array_construct([1,2,3]), array_construct([4,5,6])) }} as array_col union all select 2 as id, {{ array_concat(array_construct([]), array_construct([2])) }} as array_col union all select 3 as id, {{ array_concat(array_construct([3]), array_construct([])) }} as array_col',
  },
];

function project(target: Target): string {
  const files: Record<string, string> = { ...BASE_UTILS_MACROS };
  // A case skipped on this target is left out of its project (its model would fail there).
  for (const c of CASES.filter((c) => c.skip?.[target] === undefined)) {
    files[`models/${c.model}.sql`] = `{{ config(materialized='table') }}\n${c.sql}\n`;
    files[`models/${c.model}.yml`] = `version: 2
models:
  - name: ${c.model}
    data_tests:
      - assert_equal:
          actual: ${c.actual ?? 'actual'}
          expected: ${c.expected ?? 'expected'}
`;
    for (const [name, csv] of Object.entries(c.seeds ?? {})) files[`seeds/${name}.csv`] = csv;
  }
  for (const a of ARRAY_CASES) {
    files[`models/${a.name}_actual.sql`] = `{{ config(materialized='table') }}\n${a.actual}\n`;
    files[`models/${a.name}_expected.sql`] = `{{ config(materialized='table') }}\n${a.expected}\n`;
  }
  return suiteProject(files);
}

for (const target of ['duckdb', 'snowflake'] as const) {
  describe(`utils/ on ${target}`, () => {
    let dir: string;
    let results: Map<string, RunResult>;
    let output = '';
    beforeAll(async () => {
      dir = project(target);
      const r = await dbt(dir, target, ['build']);
      output = r.stdout + r.stderr;
      results = runResults(dir);
    }, 180_000);
    afterAll(async () => {
      if (target === 'snowflake') await stopEmulator();
    });

    for (const c of CASES) {
      const skip = c.skip?.[target];
      it.skipIf(skip !== undefined)(`${c.upstream}`, () => {
        const model = results.get(`model.suite.${c.model}`);
        expect(model?.status, `${c.model}: ${model?.message ?? ''}\n${output}`).toBe('success');
        const test = [...results.values()].find((r) =>
          r.unique_id.startsWith(`test.suite.assert_equal_${c.model}_${c.actual ?? 'actual'}__${c.expected ?? 'expected'}`),
        );
        expect(test?.status, `${c.model}: ${test?.message ?? 'no test result'}`).toBe('pass');
      });
    }

    for (const a of ARRAY_CASES) {
      it(`${a.upstream}`, async () => {
        for (const side of ['actual', 'expected']) expect(results.get(`model.suite.${a.name}_${side}`)?.status, output).toBe('success');
        const rows = async (side: string) => query(dir, target, `select * from ${schemaOf(target)}.${a.name}_${side} order by id`);
        expect(await rows('actual')).toEqual(await rows('expected'));
        const types = async (side: string) =>
          query(dir, target, `select column_name, data_type from information_schema.columns where table_name = '${a.name}_${side}' order by ordinal_position`);
        expect((await types('actual')).map((t) => t.data_type)).toEqual((await types('expected')).map((t) => t.data_type));
      });
    }
  });
}

// test_equals.py BaseEquals (dbt-snowflake runs it: dbt-adapters dbt-snowflake/tests/functional/adapter/utils/test_utils.py,
// TestEquals): with dbt's behaviour flag enable_truthy_nulls_equals_macro on, `equals` holds for two nulls,
// so 3 of the 9 rows are equal and 6 are not. dbt-duckdb does not run it; it is not DuckDB-specific, so both run it.
for (const target of ['duckdb', 'snowflake'] as const) {
  describe(`utils/ BaseEquals on ${target}`, () => {
    afterAll(async () => {
      if (target === 'snowflake') await stopEmulator();
    });
    it('test_equals.py BaseEquals (flags: enable_truthy_nulls_equals_macro: true)', async () => {
      const dir = suiteProject(
        {
          ...BASE_UTILS_MACROS,
          'seeds/data_equals.csv':
            'key_name,x,y,expected\n1,1,1,same\n2,1,2,different\n3,1,null,different\n4,2,1,different\n5,2,2,same\n6,2,null,different\n7,null,1,different\n8,null,2,different\n9,null,null,same\n',
          'models/equal_values.sql': "with data as (select * from {{ ref('data_equals') }})\nselect * from data where {{ equals('x', 'y') }}\n",
          'models/not_equal_values.sql': "with data as (select * from {{ ref('data_equals') }})\nselect * from data where not {{ equals('x', 'y') }}\n",
        },
        'flags:\n  enable_truthy_nulls_equals_macro: true\n',
      );
      expect((await dbt(dir, target, ['seed'])).code).toBe(0);
      const run = await dbt(dir, target, ['run']);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.stdout + run.stderr).not.toMatch(/not supported, so ignored/);
      const count = async (model: string, expected: string) =>
        (await query(dir, target, `select count(*) as num_rows from ${schemaOf(target)}.${model} where expected = '${expected}'`))[0];
      expect(await count('equal_values', 'same')).toEqual({ num_rows: 3 });
      expect(await count('not_equal_values', 'different')).toEqual({ num_rows: 6 });
    });

    // test_null_compare.py BaseNullCompare and BaseMixedNullCompare (neither dbt-duckdb nor dbt-snowflake runs them):
    // BaseUtils' assert_equal over `equals`; two nulls are equal, so that test passes, and 1 against null is not, so
    // `test` fails on that one. Their expectations hold with the behaviour flag on (off, `1 = null` is null and no row fails).
    it('test_null_compare.py BaseNullCompare, BaseMixedNullCompare', async () => {
      const yml = (m: string) =>
        `version: 2\nmodels:\n  - name: ${m}\n    data_tests:\n      - assert_equal:\n          actual: actual\n          expected: expected\n`;
      const dir = suiteProject(
        {
          ...BASE_UTILS_MACROS,
          'models/test_null_compare.sql': 'select null as actual, null as expected\n',
          'models/test_null_compare.yml': yml('test_null_compare'),
          'models/test_mixed_null_compare.sql': 'select 1 as actual, null as expected\n',
          'models/test_mixed_null_compare.yml': yml('test_mixed_null_compare'),
        },
        'flags:\n  enable_truthy_nulls_equals_macro: true\n',
      );
      const run = await dbt(dir, target, ['run']);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const test = await dbt(dir, target, ['test']);
      expect(test.code).not.toBe(0);
      const status = (m: string) => [...runResults(dir).values()].find((r) => r.unique_id.startsWith(`test.suite.assert_equal_${m}_`))?.status;
      expect(status('test_null_compare')).toBe('pass');
      expect(status('test_mixed_null_compare')).toBe('fail');
    });
  });
}
