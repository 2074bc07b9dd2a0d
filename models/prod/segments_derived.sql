{#- The answer: for each segment with data, the voucher amount used most often.
    Ties on count go to the smaller amount, so the answer never depends on row order. -#}
with amounts as (
    select
        segment_type,
        segment_name,
        min_value,
        max_value,
        voucher_amount,
        count(*) as voucher_count
    from {{ ref('voucher_segments') }}
    group by segment_type, segment_name, min_value, max_value, voucher_amount
),

ranked as (
    select
        *,
        sum(voucher_count) over (partition by segment_type, segment_name) as segment_rows,
        row_number() over (
            partition by segment_type, segment_name
            order by voucher_count desc, voucher_amount asc
        ) as amount_rank
    from amounts
)

select
    segment_type,
    segment_name,
    min_value,
    max_value,
    voucher_amount,
    voucher_count,
    segment_rows
from ranked
where amount_rank = 1
order by segment_type, min_value
