{#- Each clean voucher with every segment it falls in: one row per (voucher, segment).
    frequent_segment measures total_orders; recency_segment measures whole calendar days from
    the last order's date to the reference date. Ranges are inclusive; no max_value is open.
    A voucher in no range of a type is simply not here for that type (it is "unsegmented"). -#}
with measured as (
    select
        v.voucher_amount,
        v.total_orders,
        {{ datediff('cast(v.last_order_ts as date)', 'r.reference_date', 'day') }} as days_since_last_order
    from {{ ref('clean_vouchers') }} as v
    cross join {{ ref('recency_reference') }} as r
),

measures as (
    select 'frequent_segment' as segment_type, total_orders as measure, voucher_amount from measured
    union all
    select 'recency_segment' as segment_type, days_since_last_order as measure, voucher_amount from measured
)

select
    rules.segment_type,
    rules.segment_name,
    rules.min_value,
    rules.max_value,
    m.measure,
    m.voucher_amount
from measures as m
join {{ ref('rules_for_segments') }} as rules
  on rules.segment_type = m.segment_type
 and m.measure >= rules.min_value
 and (rules.max_value is null or m.measure <= rules.max_value)
