{#- Every segment of the answer is a (segment_type, segment_name) of the rules seed, with the
    rule's own range. -#}
select d.*
from {{ ref('segments_derived') }} as d
left join {{ ref('rules_for_segments') }} as r
  on r.segment_type = d.segment_type
 and r.segment_name = d.segment_name
 and r.min_value = d.min_value
 and r.max_value is not distinct from d.max_value
where r.segment_type is null
