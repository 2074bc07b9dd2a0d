{#- The warehouse names are fixed (dh_raw, dh_stage, dh_prod): use a folder's schema as given,
    instead of dbt's default of prefixing it with the target schema. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
  {%- if custom_schema_name -%}{{ custom_schema_name | trim }}{%- else -%}{{ target.schema }}{%- endif -%}
{%- endmacro %}
