/**
 * The built-in generic tests, as macros each query of which returns the rows that break the
 * assertion. A project overrides one by defining `test_<name>` (a `{% test %}` block) or
 * `default__test_<name>` / `<adapter>__test_<name>`, as dbt allows.
 * Values from YAML reach SQL through `escaped_string_literal`, quoted and escaped (dbt's `string_literal` does not escape).
 */
export const DATA_TEST_MACROS_FILE = '<builtin>/data_tests.sql';

// biome-ignore lint/complexity/noUselessStringRaw: Jinja pasted as written; raw keeps any backslash a macro gains later
export const DATA_TEST_MACROS = String.raw`
{% macro test_not_null(model, column_name) %}{{ adapter.dispatch('test_not_null')(model, column_name) }}{% endmacro %}
{% macro default__test_not_null(model, column_name) %}
select *
from {{ model }}
where {{ column_name }} is null
{% endmacro %}

{% macro test_unique(model, column_name) %}{{ adapter.dispatch('test_unique')(model, column_name) }}{% endmacro %}
{% macro default__test_unique(model, column_name) %}
select
    {{ column_name }} as unique_field,
    count(*) as n_records
from {{ model }}
where {{ column_name }} is not null
group by {{ column_name }}
having count(*) > 1
{% endmacro %}

{% macro test_accepted_values(model, column_name, values, quote=True) %}{{ adapter.dispatch('test_accepted_values')(model, column_name, values, quote) }}{% endmacro %}
{% macro default__test_accepted_values(model, column_name, values, quote=True) %}
with all_values as (
    select
        {{ column_name }} as value_field,
        count(*) as n_records
    from {{ model }}
    group by {{ column_name }}
)
select *
from all_values
where value_field not in (
    {%- for value in values -%}
    {%- if quote %}{{ escaped_string_literal(value) }}{% else %}{{ value }}{% endif -%}
    {%- if not loop.last %}, {% endif -%}
    {%- endfor -%}
)
{% endmacro %}

{% macro test_relationships(model, column_name, to, field) %}{{ adapter.dispatch('test_relationships')(model, column_name, to, field) }}{% endmacro %}
{% macro default__test_relationships(model, column_name, to, field) %}
with child as (
    select {{ column_name }} as from_field, *
    from {{ model }}
    where {{ column_name }} is not null
),
parent as (
    select {{ field }} as to_field
    from {{ to }}
)
select child.*
from child
left join parent
    on child.from_field = parent.to_field
where parent.to_field is null
{% endmacro %}

{% macro test_expression_is_true(model, expression, column_name=None) %}{{ adapter.dispatch('test_expression_is_true')(model, expression, column_name) }}{% endmacro %}
{% macro default__test_expression_is_true(model, expression, column_name=None) %}
select *
from {{ model }}
where not ({% if column_name %}{{ column_name }} {% endif %}{{ expression }})
{% endmacro %}
`;
