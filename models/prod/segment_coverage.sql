{#- Per segment type: how many clean vouchers fall in a segment, and how many in none
    (0 orders, more than the largest bucket, too recent, no last order). -#}
with clean as (
    select count(*) as clean_rows from {{ ref('clean_vouchers') }}
),

segmented as (
    select segment_type, count(*) as segmented_rows
    from {{ ref('voucher_segments') }}
    group by segment_type
),

types as (
    select distinct segment_type from {{ ref('rules_for_segments') }}
)

select
    t.segment_type,
    c.clean_rows,
    coalesce(s.segmented_rows, 0) as segmented_rows,
    c.clean_rows - coalesce(s.segmented_rows, 0) as unsegmented_rows
from types as t
cross join clean as c
left join segmented as s on s.segment_type = t.segment_type
