/**
 * dbt's metadata and relation macros (dbt-adapters global_project/macros/adapters/columns.sql,
 * persist_docs.sql, relations/*.sql, with dbt-duckdb's and dbt-snowflake's overrides where the
 * SQL differs), loaded with the cross-database macros. Each dispatches, so a project's
 * `<name>`, `duckdb__<name>` or `default__<name>` macro replaces it as in dbt. They name
 * relations with `relation.render()`, never `--empty`'s zero-row subquery or a batch's filter
 * (empty/test_empty.py MetadataWithEmptyFlag), and run one statement per `run_query`, which both
 * targets take.
 */
export const METADATA_MACROS = String.raw`
{% macro get_columns_in_relation(relation) %}{{ return(adapter.dispatch('get_columns_in_relation', 'dbt')(relation)) }}{% endmacro %}
{% macro default__get_columns_in_relation(relation) %}{{ return(adapter.get_columns_in_relation(relation)) }}{% endmacro %}

{% macro alter_column_type(relation, column_name, new_column_type) %}{{ return(adapter.dispatch('alter_column_type', 'dbt')(relation, column_name, new_column_type)) }}{% endmacro %}
{#- Both targets change a column's type in place (DuckDB's and Snowflake's ALTER … SET DATA TYPE), as dbt-snowflake does; dbt-adapters' default copies through a temporary column. -#}
{% macro default__alter_column_type(relation, column_name, new_column_type) %}{% call statement('alter_column_type') %}alter table {{ relation.render() }} alter column {{ adapter.quote(column_name) }} set data type {{ new_column_type }}{% endcall %}{% endmacro %}

{% macro alter_relation_add_remove_columns(relation, add_columns=none, remove_columns=none) %}{{ return(adapter.dispatch('alter_relation_add_remove_columns', 'dbt')(relation, add_columns, remove_columns)) }}{% endmacro %}
{% macro default__alter_relation_add_remove_columns(relation, add_columns, remove_columns) %}
{%- for column in (add_columns or []) %}{% do run_query('alter ' ~ (relation.type or 'table') ~ ' ' ~ relation.render() ~ ' add column ' ~ column.quoted ~ ' ' ~ column.data_type) %}{% endfor -%}
{%- for column in (remove_columns or []) %}{% do run_query('alter ' ~ (relation.type or 'table') ~ ' ' ~ relation.render() ~ ' drop column ' ~ column.quoted) %}{% endfor -%}
{% endmacro %}

{% macro truncate_relation(relation) %}{{ return(adapter.dispatch('truncate_relation', 'dbt')(relation)) }}{% endmacro %}
{% macro default__truncate_relation(relation) %}{% call statement('truncate_relation') %}truncate table {{ relation.render() }}{% endcall %}{% endmacro %}

{% macro drop_relation(relation) %}{{ return(adapter.dispatch('drop_relation', 'dbt')(relation)) }}{% endmacro %}
{% macro default__drop_relation(relation) %}{% do adapter.drop_relation(relation) %}{% endmacro %}
{% macro drop_relation_if_exists(relation) %}{% if relation is not none %}{% do adapter.drop_relation(relation) %}{% endif %}{% endmacro %}

{% macro rename_relation(from_relation, to_relation) %}{{ return(adapter.dispatch('rename_relation', 'dbt')(from_relation, to_relation)) }}{% endmacro %}
{% macro default__rename_relation(from_relation, to_relation) %}{% call statement('rename_relation') %}alter {{ from_relation.type or 'table' }} {{ from_relation.render() }} rename to {{ adapter.quote(to_relation.identifier) }}{% endcall %}{% endmacro %}
{#- dbt-snowflake renames to the full name (a relation may move schema); the emulator takes it too. -#}
{% macro snowflake__rename_relation(from_relation, to_relation) %}{% call statement('rename_relation') %}alter {{ from_relation.type or 'table' }} {{ from_relation.render() }} rename to {{ to_relation.render() }}{% endcall %}{% endmacro %}

{% macro make_temp_relation(base_relation, suffix='__dbt_tmp') %}{{ return(adapter.dispatch('make_temp_relation', 'dbt')(base_relation, suffix)) }}{% endmacro %}
{% macro default__make_temp_relation(base_relation, suffix) %}{{ return(base_relation.incorporate(path={"identifier": base_relation.identifier ~ suffix})) }}{% endmacro %}
{% macro make_intermediate_relation(base_relation, suffix='__dbt_tmp') %}{{ return(base_relation.incorporate(path={"identifier": base_relation.identifier ~ suffix})) }}{% endmacro %}
{% macro make_backup_relation(base_relation, backup_relation_type, suffix='__dbt_backup') %}{{ return(base_relation.incorporate(path={"identifier": base_relation.identifier ~ suffix}, type=backup_relation_type)) }}{% endmacro %}

{#- persist_docs: alter_relation_comment and alter_column_comment give the SQL (as dbt's do), persist_docs runs it. -#}
{% macro alter_relation_comment(relation, relation_comment) %}{{ return(adapter.dispatch('alter_relation_comment', 'dbt')(relation, relation_comment)) }}{% endmacro %}
{% macro default__alter_relation_comment(relation, relation_comment) %}comment on {{ relation.type or 'table' }} {{ relation.render() }} is {{ escaped_string_literal(relation_comment) }}{% endmacro %}

{% macro alter_column_comment(relation, column_dict) %}{{ return(adapter.dispatch('alter_column_comment', 'dbt')(relation, column_dict)) }}{% endmacro %}
{#- One statement per column; ';' between them (persist_docs runs them one by one). -#}
{% macro default__alter_column_comment(relation, column_dict) %}
{%- for column_name in column_dict -%}
comment on column {{ relation.render() }}.{{ adapter.quote(column_name) if column_dict[column_name]['quote'] else column_name }} is {{ escaped_string_literal(column_dict[column_name]['description'] or '') }}{{ ';\n' if not loop.last }}
{%- endfor -%}
{% endmacro %}

{% macro persist_docs(relation, model, for_relation=true, for_columns=true) %}{{ return(adapter.dispatch('persist_docs', 'dbt')(relation, model, for_relation, for_columns)) }}{% endmacro %}
{% macro default__persist_docs(relation, model, for_relation, for_columns) %}
{%- if for_relation and config.persist_relation_docs() and model.description %}{% do run_query(alter_relation_comment(relation, model.description)) %}{% endif -%}
{%- if for_columns and config.persist_column_docs() and model.columns %}
  {%- set existing = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
  {%- set documented = {} -%}
  {%- for name in model.columns %}{% if (name | lower) in existing %}{% do documented.update({name: model.columns[name]}) %}{% else %}{% do exceptions.warn('In relation ' ~ relation.render() ~ ': the column ' ~ name ~ ' is documented but not in the warehouse') %}{% endif %}{% endfor -%}
  {%- for statement_sql in alter_column_comment(relation, documented).split(';\n') %}{% if statement_sql | trim %}{% do run_query(statement_sql) %}{% endif %}{% endfor -%}
{% endif -%}
{% endmacro %}
`;
