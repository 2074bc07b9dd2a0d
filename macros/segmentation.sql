{#- The countries the cleaning keeps, from var('countries'), lower-cased for a
    case-insensitive comparison. A single name is accepted as a one-item list. -#}
{% macro selected_countries() -%}
  {%- set countries = var('countries', ['Peru']) -%}
  {%- if countries is string -%}{%- set countries = [countries] -%}{%- endif -%}
  {%- if countries is mapping or countries is not iterable or countries | length == 0 -%}
    {{ exceptions.raise_compiler_error("var 'countries' must be a non-empty list of country names, e.g. [Peru, Latvia]; got " ~ (countries | tojson)) }}
  {%- endif -%}
  {%- set out = [] -%}
  {%- for c in countries -%}
    {%- if c is not string or c | trim == '' -%}
      {{ exceptions.raise_compiler_error("var 'countries' must hold country names as text; item " ~ loop.index ~ " is " ~ (c | tojson)) }}
    {%- endif -%}
    {%- do out.append(c | trim | lower) -%}
  {%- endfor -%}
  {{ return(out) }}
{%- endmacro %}

{#- The reference day for recency as a SQL date literal, or none when the var is unset. -#}
{% macro recency_reference_literal() -%}
  {%- set value = var('recency_reference_date', none) -%}
  {%- if value is none or value == '' -%}
    {{ return(none) }}
  {%- endif -%}
  {%- if value is not string or not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9:.]+)?$', value) -%}
    {{ exceptions.raise_compiler_error("var 'recency_reference_date' must be a date such as 2018-08-01; got " ~ (value | tojson)) }}
  {%- endif -%}
  {{ return("cast(" ~ literal(value[:10]) ~ " as date)") }}
{%- endmacro %}
