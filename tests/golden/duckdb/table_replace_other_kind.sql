create or replace table "golden"."analytics"."items_table__model_tmp" as (
select
    id,
    try_cast(amount as double) as amount,
    try_cast(seen_at as timestamp) as seen_at,
    datediff('day', cast(seen_at as date), cast('2018-08-01' as date)) as days,
    (day + interval (7) day) as next_week,
    cast(label as varchar) as label,
    cast(timezone('UTC', current_timestamp) as timestamp) as built_at,
    'it''s' as quoted
from "golden"."analytics"."items"
);

drop table if exists "golden"."analytics"."items_table";

alter table "golden"."analytics"."items_table__model_tmp" rename to "items_table";
