{#- The vouchers that pass every cleaning rule, with proper types. -#}
select
    voucher_ts,
    country_code,
    last_order_ts,
    first_order_ts,
    total_orders,
    voucher_amount
from {{ ref('vouchers_checked') }}
where rule_country_ok
  and rule_values_present
  and rule_orders_consistent
  and rule_order_dates_consistent
