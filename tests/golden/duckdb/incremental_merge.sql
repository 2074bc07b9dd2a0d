create or replace table "golden"."analytics"."items_merge__model_incr" as (
select id, label from "golden"."analytics"."items"
);

merge into "golden"."analytics"."items_merge" as DBT_INTERNAL_DEST
using "golden"."analytics"."items_merge__model_incr" as DBT_INTERNAL_SOURCE
on (DBT_INTERNAL_SOURCE."id" = DBT_INTERNAL_DEST."id")
when matched then update set "ID" = DBT_INTERNAL_SOURCE."ID", "LABEL" = DBT_INTERNAL_SOURCE."LABEL"
when not matched then insert ("ID", "LABEL") values (DBT_INTERNAL_SOURCE."ID", DBT_INTERNAL_SOURCE."LABEL");

drop table if exists "golden"."analytics"."items_merge__model_incr";
