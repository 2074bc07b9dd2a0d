{#- The day "days since last order" counts from: var('recency_reference_date') when set, else
    the date of the latest voucher timestamp in the raw data, so a rerun on the same file gives
    the same answer. -#}
{%- set reference = recency_reference_literal() -%}
select
{%- if reference %}
    {{ reference }} as reference_date,
    'var recency_reference_date' as reference_origin
{%- else %}
    cast(max(voucher_ts) as date) as reference_date,
    'latest voucher timestamp' as reference_origin
from {{ ref('vouchers_checked') }}
{%- endif %}
