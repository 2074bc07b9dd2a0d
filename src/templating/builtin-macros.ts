import { METADATA_MACROS } from './metadata-macros.js';

/**
 * Cross-database macros, dispatched on the target type the way dbt's `adapter.dispatch` does.
 * A project overrides any of them by defining a macro of the same name (e.g. `duckdb__datediff`).
 * Signatures follow dbt's, so `{{ dbt.datediff(a, b, 'day') }}` and `{{ datediff(a, b, 'day') }}` both work.
 * Both targets give the same answer: datediff counts boundaries crossed (weeks start on Monday, as
 * Snowflake's default WEEK_START), and current_timestamp() is the UTC wall-clock time whatever the
 * session's time zone (Snowflake's default is America/Los_Angeles).
 */
export const BUILTIN_MACROS_FILE = '<builtin>/cross_database.sql';

// biome-ignore lint/complexity/noUselessStringRaw: Jinja pasted as written; raw keeps any backslash a macro gains later
const CROSS_DATABASE_MACROS = String.raw`
{% macro datediff(first_date, second_date, datepart) %}{{ adapter.dispatch('datediff')(first_date, second_date, datepart) }}{% endmacro %}
{% macro default__datediff(first_date, second_date, datepart) %}{% set first_date = _timestamp_literal(first_date) %}{% set second_date = _timestamp_literal(second_date) %}{% if datepart | lower == 'week' %}datediff('week', date_trunc('week', {{ first_date }}), date_trunc('week', {{ second_date }})){% else %}datediff('{{ datepart }}', {{ first_date }}, {{ second_date }}){% endif %}{% endmacro %}
{#- A string literal given as a date ('2000-01-01 00:00:00') is cast, as dbt-duckdb casts datediff's arguments; an expression is left as written. -#}
{% macro _timestamp_literal(value) %}{% if value is string and value.strip().startswith("'") %}{{ return('cast(' ~ value ~ ' as timestamp)') }}{% else %}{{ return(value) }}{% endif %}{% endmacro %}
{% macro snowflake__datediff(first_date, second_date, datepart) %}datediff({{ datepart }}, {{ _timestamp_literal(first_date) }}, {{ _timestamp_literal(second_date) }}){% endmacro %}

{% macro dateadd(datepart, interval, from_date_or_timestamp) %}{{ adapter.dispatch('dateadd')(datepart, interval, from_date_or_timestamp) }}{% endmacro %}
{% macro default__dateadd(datepart, interval, from_date_or_timestamp) %}({{ from_date_or_timestamp }} + interval ({{ interval }}) {{ datepart }}){% endmacro %}
{% macro snowflake__dateadd(datepart, interval, from_date_or_timestamp) %}dateadd({{ datepart }}, {{ interval }}, {{ from_date_or_timestamp }}){% endmacro %}

{% macro safe_cast(field, type) %}{{ adapter.dispatch('safe_cast')(field, type) }}{% endmacro %}
{% macro default__safe_cast(field, type) %}try_cast({{ field }} as {{ type }}){% endmacro %}
{% macro snowflake__safe_cast(field, type) %}try_cast(cast({{ field }} as varchar) as {{ type }}){% endmacro %}

{% macro current_timestamp() %}{{ adapter.dispatch('current_timestamp')() }}{% endmacro %}
{% macro default__current_timestamp() %}cast(timezone('UTC', current_timestamp) as timestamp){% endmacro %}
{% macro snowflake__current_timestamp() %}cast(convert_timezone('UTC', current_timestamp()) as timestamp_ntz){% endmacro %}

{% macro date_trunc(datepart, date) %}date_trunc('{{ datepart }}', {{ date }}){% endmacro %}
{% macro cast(field, type) %}cast({{ field }} as {{ type }}){% endmacro %}

{% macro type_string() %}{{ adapter.dispatch('type_string')() }}{% endmacro %}
{% macro default__type_string() %}varchar{% endmacro %}
{% macro type_timestamp() %}{{ adapter.dispatch('type_timestamp')() }}{% endmacro %}
{% macro default__type_timestamp() %}timestamp{% endmacro %}
{% macro snowflake__type_timestamp() %}timestamp_ntz{% endmacro %}
{% macro type_int() %}{{ adapter.dispatch('type_int')() }}{% endmacro %}
{% macro default__type_int() %}integer{% endmacro %}
{% macro type_bigint() %}bigint{% endmacro %}
{% macro type_float() %}{{ adapter.dispatch('type_float')() }}{% endmacro %}
{% macro default__type_float() %}double{% endmacro %}
{% macro snowflake__type_float() %}float{% endmacro %}
{% macro type_numeric() %}{{ adapter.dispatch('type_numeric')() }}{% endmacro %}
{% macro default__type_numeric() %}decimal(28, 6){% endmacro %}
{% macro snowflake__type_numeric() %}number(28, 6){% endmacro %}
{% macro type_boolean() %}boolean{% endmacro %}

{% macro concat(fields) %}({{ fields | join(' || ') }}){% endmacro %}
{% macro hash(field) %}md5(cast({{ field }} as {{ type_string() }})){% endmacro %}
{% macro split_part(string_text, delimiter_text, part_number) %}split_part({{ string_text }}, {{ delimiter_text }}, {{ part_number }}){% endmacro %}
{% macro position(substring_text, string_text) %}position({{ substring_text }} in {{ string_text }}){% endmacro %}
{% macro right(string_text, length_expression) %}right({{ string_text }}, {{ length_expression }}){% endmacro %}
{% macro length(expression) %}length({{ expression }}){% endmacro %}
{% macro replace(field, old_chars, new_chars) %}replace({{ field }}, {{ old_chars }}, {{ new_chars }}){% endmacro %}
{% macro escape_single_quotes(expression) %}{{ expression | replace("'", "''") }}{% endmacro %}
{% macro cast_bool_to_text(field) %}cast({{ field }} as {{ type_string() }}){% endmacro %}
{% macro any_value(expression) %}any_value({{ expression }}){% endmacro %}
{#- dbt-adapters' get_quoted_csv (materializations/models/incremental/column_helpers.sql): what custom incremental strategies list dest_columns with. -#}
{#- dbt-adapters' snapshot_hash_arguments (snapshots/strategies.sql): what custom snapshot strategies build scd_id with. -#}
{% macro snapshot_hash_arguments(args) %}md5({%- for arg in args -%}coalesce(cast({{ arg }} as varchar), ''){% if not loop.last %} || '|' || {% endif %}{%- endfor -%}){% endmacro %}
{% macro get_quoted_csv(column_names) %}{% set quoted = [] %}{% for col in column_names %}{% do quoted.append(adapter.quote(col)) %}{% endfor %}{{ return(quoted | join(', ')) }}{% endmacro %}
{% macro bool_or(expression) %}{{ adapter.dispatch('bool_or')(expression) }}{% endmacro %}
{% macro default__bool_or(expression) %}bool_or({{ expression }}){% endmacro %}
{% macro snowflake__bool_or(expression) %}boolor_agg({{ expression }}){% endmacro %}
{% macro listagg(measure, delimiter_text="','", order_by_clause=none, limit_num=none) %}{{ adapter.dispatch('listagg')(measure, delimiter_text, order_by_clause, limit_num) }}{% endmacro %}
{% macro default__listagg(measure, delimiter_text, order_by_clause, limit_num) %}{% if limit_num %}array_to_string(list_slice(list({{ measure }}{% if order_by_clause %} {{ order_by_clause }}{% endif %}), 1, {{ limit_num }}), {{ delimiter_text }}){% else %}string_agg({{ measure }}, {{ delimiter_text }}{% if order_by_clause %} {{ order_by_clause }}{% endif %}){% endif %}{% endmacro %}
{% macro snowflake__listagg(measure, delimiter_text, order_by_clause, limit_num) %}{% if limit_num %}array_to_string(array_slice(array_agg({{ measure }}){% if order_by_clause %} within group ({{ order_by_clause }}){% endif %}, 0, {{ limit_num }}), {{ delimiter_text }}){% else %}listagg({{ measure }}, {{ delimiter_text }}){% if order_by_clause %} within group ({{ order_by_clause }}){% endif %}{% endif %}{% endmacro %}
{#- dbt's global_project materializations/configs.sql: the node's store_failures, else --store-failures. -#}
{% macro should_store_failures() %}{% set s = config.get('store_failures') %}{% if s is none %}{% set s = flags.STORE_FAILURES %}{% endif %}{% do return(s) %}{% endmacro %}
{% macro except() %}except{% endmacro %}
{% macro intersect() %}intersect{% endmacro %}

{#- dbt's string_literal quotes without escaping: compose it with escape_single_quotes. -#}
{% macro string_literal(value) %}'{{ value if value is not none else 'None' }}'{% endmacro %}
{% macro equals(expr1, expr2) %}{% if adapter.behavior.enable_truthy_nulls_equals_macro.no_warn %}case when (({{ expr1 }} = {{ expr2 }}) or ({{ expr1 }} is null and {{ expr2 }} is null)) then 0 else 1 end = 0{% else %}({{ expr1 }} = {{ expr2 }}){% endif %}{% endmacro %}

{% macro array_construct(inputs=[], data_type=api.Column.translate_type('integer')) %}{{ adapter.dispatch('array_construct')(inputs, data_type) }}{% endmacro %}
{% macro default__array_construct(inputs, data_type) %}{% if inputs | length > 0 %}[{{ inputs | join(', ') }}]{% else %}cast([] as {{ data_type }}[]){% endif %}{% endmacro %}
{% macro snowflake__array_construct(inputs, data_type) %}array_construct({{ inputs | join(', ') }}){% endmacro %}
{% macro array_append(array, new_element) %}{{ adapter.dispatch('array_append')(array, new_element) }}{% endmacro %}
{% macro default__array_append(array, new_element) %}list_append({{ array }}, {{ new_element }}){% endmacro %}
{% macro snowflake__array_append(array, new_element) %}array_append({{ array }}, {{ new_element }}){% endmacro %}
{% macro array_concat(array_1, array_2) %}{{ adapter.dispatch('array_concat')(array_1, array_2) }}{% endmacro %}
{% macro default__array_concat(array_1, array_2) %}list_concat({{ array_1 }}, {{ array_2 }}){% endmacro %}
{% macro snowflake__array_concat(array_1, array_2) %}array_cat({{ array_1 }}, {{ array_2 }}){% endmacro %}

{% macro date(year, month, day) %}cast('{{ modules.datetime.date(year, month, day).strftime('%Y-%m-%d') }}' as date){% endmacro %}
{% macro last_day(date, datepart) %}{{ adapter.dispatch('last_day')(date, datepart) }}{% endmacro %}
{% macro default__last_day(date, datepart) %}{% if datepart | lower == 'month' %}last_day(cast({{ date }} as date)){% else %}cast({{ dateadd('day', '-1', dateadd(datepart, '1', date_trunc(datepart, date))) }} as date){% endif %}{% endmacro %}
{% macro snowflake__last_day(date, datepart) %}cast(last_day(cast({{ date }} as date), '{{ datepart }}') as date){% endmacro %}

{% macro get_powers_of_two(upper_bound) %}{% if upper_bound <= 0 %}{{ exceptions.raise_compiler_error('get_powers_of_two(): the upper bound must be positive') }}{% endif %}{% for n in range(1, 100) %}{% if upper_bound <= 2 ** n %}{{ return(n) }}{% endif %}{% endfor %}{% endmacro %}
{% macro generate_series(upper_bound) %}{% set n = get_powers_of_two(upper_bound) %}
with p as (
    select 0 as generated_number union all select 1
), unioned as (
    select
    {% for i in range(n) %}p{{ i }}.generated_number * power(2, {{ i }}){% if not loop.last %} + {% endif %}{% endfor %}
    + 1 as generated_number
    from
    {% for i in range(n) %}p as p{{ i }}{% if not loop.last %} cross join {% endif %}{% endfor %}
)
select * from unioned
where generated_number <= {{ upper_bound }}
order by generated_number
{% endmacro %}
{% macro get_intervals_between(start_date, end_date, datepart) %}{% call statement('get_intervals_between', fetch_result=True) %}select {{ datediff(start_date, end_date, datepart) }}{% endcall %}{% set result = load_result('get_intervals_between') %}{% if result and result['data'] %}{{ return(result['data'][0][0]) }}{% else %}{{ return(1) }}{% endif %}{% endmacro %}
{% macro date_spine(datepart, start_date, end_date) %}
with rawdata as (
    {{ generate_series(get_intervals_between(start_date, end_date, datepart)) }}
),
all_periods as (
    select ({{ dateadd(datepart, 'row_number() over (order by 1) - 1', start_date) }}) as date_{{ datepart }}
    from rawdata
),
filtered as (
    select * from all_periods
    where date_{{ datepart }} <= {{ end_date }}
)
select * from filtered
{% endmacro %}

{% macro set_sql_header(config) %}{{ config.set('sql_header', caller() ~ '') }}{% endmacro %}
{% macro current_timestamp_backcompat() %}{{ current_timestamp() }}{% endmacro %}
{% macro current_timestamp_in_utc_backcompat() %}{{ current_timestamp() }}{% endmacro %}

{% macro generate_schema_name(custom_schema_name, node) %}{{ adapter.dispatch('generate_schema_name')(custom_schema_name, node) }}{% endmacro %}
{% macro default__generate_schema_name(custom_schema_name, node) %}{% if custom_schema_name %}{{ target.schema }}_{{ custom_schema_name | trim }}{% else %}{{ target.schema }}{% endif %}{% endmacro %}
{% macro generate_schema_name_for_env(custom_schema_name, node) %}{% if target.name == 'prod' and custom_schema_name %}{{ custom_schema_name | trim }}{% else %}{{ target.schema }}{% endif %}{% endmacro %}
{% macro generate_alias_name(custom_alias_name, node) %}{% if custom_alias_name %}{{ custom_alias_name | trim }}{% else %}{{ node.name }}{% endif %}{% endmacro %}
{% macro generate_database_name(custom_database_name, node) %}{% if custom_database_name %}{{ custom_database_name | trim }}{% else %}{{ target.database }}{% endif %}{% endmacro %}
`;

export const BUILTIN_MACROS = CROSS_DATABASE_MACROS + METADATA_MACROS;
