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
export const BUILTIN_MACROS = String.raw`
{% macro datediff(first_date, second_date, datepart) %}{{ adapter.dispatch('datediff')(first_date, second_date, datepart) }}{% endmacro %}
{% macro default__datediff(first_date, second_date, datepart) %}{% if datepart | lower == 'week' %}datediff('week', date_trunc('week', {{ first_date }}), date_trunc('week', {{ second_date }})){% else %}datediff('{{ datepart }}', {{ first_date }}, {{ second_date }}){% endif %}{% endmacro %}
{% macro snowflake__datediff(first_date, second_date, datepart) %}datediff({{ datepart }}, {{ first_date }}, {{ second_date }}){% endmacro %}

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
{% macro bool_or(expression) %}{{ adapter.dispatch('bool_or')(expression) }}{% endmacro %}
{% macro default__bool_or(expression) %}bool_or({{ expression }}){% endmacro %}
{% macro snowflake__bool_or(expression) %}boolor_agg({{ expression }}){% endmacro %}
{% macro listagg(measure, delimiter_text="','", order_by_clause=none, limit_num=none) %}{{ adapter.dispatch('listagg')(measure, delimiter_text, order_by_clause, limit_num) }}{% endmacro %}
{% macro default__listagg(measure, delimiter_text, order_by_clause, limit_num) %}{% if limit_num %}{{ exceptions.raise_compiler_error('listagg(): limit_num is not supported') }}{% endif %}string_agg({{ measure }}, {{ delimiter_text }}{% if order_by_clause %} {{ order_by_clause }}{% endif %}){% endmacro %}
{% macro snowflake__listagg(measure, delimiter_text, order_by_clause, limit_num) %}{% if limit_num %}{{ exceptions.raise_compiler_error('listagg(): limit_num is not supported') }}{% endif %}listagg({{ measure }}, {{ delimiter_text }}){% if order_by_clause %} within group ({{ order_by_clause }}){% endif %}{% endmacro %}
{% macro except() %}except{% endmacro %}
{% macro intersect() %}intersect{% endmacro %}

{% macro generate_schema_name(custom_schema_name, node) %}{{ adapter.dispatch('generate_schema_name')(custom_schema_name, node) }}{% endmacro %}
{% macro default__generate_schema_name(custom_schema_name, node) %}{% if custom_schema_name %}{{ target.schema }}_{{ custom_schema_name | trim }}{% else %}{{ target.schema }}{% endif %}{% endmacro %}
{% macro generate_schema_name_for_env(custom_schema_name, node) %}{% if target.name == 'prod' and custom_schema_name %}{{ custom_schema_name | trim }}{% else %}{{ target.schema }}{% endif %}{% endmacro %}
{% macro generate_alias_name(custom_alias_name, node) %}{% if custom_alias_name %}{{ custom_alias_name | trim }}{% else %}{{ node.name }}{% endif %}{% endmacro %}
{% macro generate_database_name(custom_database_name, node) %}{% if custom_database_name %}{{ custom_database_name | trim }}{% else %}{{ target.database }}{% endif %}{% endmacro %}
`;
