{#- Within a segment type, no two rule ranges share a value, so a voucher falls in at most one
    segment of each type. An empty max_value is open-ended. Returns each overlapping pair. -#}
select
    a.segment_type,
    a.segment_name as segment_a,
    b.segment_name as segment_b,
    a.min_value as min_a,
    a.max_value as max_a,
    b.min_value as min_b,
    b.max_value as max_b
from {{ ref('rules_for_segments') }} as a
join {{ ref('rules_for_segments') }} as b
  on a.segment_type = b.segment_type
 and a.segment_name < b.segment_name
 and (b.max_value is null or a.min_value <= b.max_value)
 and (a.max_value is null or b.min_value <= a.max_value)
