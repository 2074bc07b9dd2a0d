select
    id,
    try_cast(cast(amount as varchar) as float) as amount,
    try_cast(cast(seen_at as varchar) as timestamp_ntz) as seen_at,
    datediff(day, cast(seen_at as date), cast('2018-08-01' as date)) as days,
    dateadd(day, 7, day) as next_week,
    cast(label as varchar) as label,
    cast(convert_timezone('UTC', current_timestamp()) as timestamp_ntz) as built_at,
    'it''s' as quoted
from dh_database.analytics.items;

select id, label, "timestamp" as ts from dh_database.analytics.items;
