{{ config(materialized='view') }}
{#- Every raw row, typed, with one flag per cleaning rule of the domain. The clean table and the
    cleaning funnel both read these flags, so they can never disagree. -#}
{%- set countries = selected_countries() -%}

with typed as (
    select
        {{ safe_cast(adapter.quote('TIMESTAMP' if target.type == 'snowflake' else 'timestamp'), type_timestamp()) }} as voucher_ts,
        trim(cast(country_code as {{ type_string() }})) as country_code,
        {{ safe_cast('last_order_ts', type_timestamp()) }} as last_order_ts,
        {{ safe_cast('first_order_ts', type_timestamp()) }} as first_order_ts,
        {{ safe_cast("nullif(trim(cast(total_orders as " ~ type_string() ~ ")), '')", type_float()) }} as total_orders_number,
        -- A double, as in the file: rounding (to cents, say) would merge distinct amounts and change
        -- the mode. NaN, pandas' mark for a missing value, is a missing amount, not an amount.
        nullif({{ safe_cast('voucher_amount', type_float()) }}, cast('NaN' as {{ type_float() }})) as voucher_amount
    from {{ source('raw', 'old_voucher_data') }}
),

counted as (
    select
        *,
        -- A whole number of orders; anything else ('', NULL, 'abc', 4.5, or beyond a 64-bit
        -- integer) counts as missing. Large counts are data, not a reason for the build to fail.
        case when total_orders_number = floor(total_orders_number) and abs(total_orders_number) < 9e18
            then cast(total_orders_number as {{ type_bigint() }}) end as total_orders
    from typed
)

select
    voucher_ts,
    country_code,
    last_order_ts,
    first_order_ts,
    total_orders,
    voucher_amount,
    -- Rule 1: a selected country, trimmed and case-insensitive.
    coalesce(lower(country_code) in ({{ literal(countries) }}), false) as rule_country_ok,
    -- Rule 2: orders and amount are known.
    (total_orders is not null and voucher_amount is not null) as rule_values_present,
    -- Rule 3: no "0 orders" customer with order timestamps.
    not coalesce(total_orders = 0 and (last_order_ts is not null or first_order_ts is not null), false) as rule_orders_consistent,
    -- Rule 4: the last order is not before the first.
    not coalesce(last_order_ts < first_order_ts, false) as rule_order_dates_consistent
from counted
