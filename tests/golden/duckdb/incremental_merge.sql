create or replace table "golden"."analytics"."items_merge__model_incr" as (
select id, label from "golden"."analytics"."items"
);

merge into "golden"."analytics"."items_merge" as existing_rows
using "golden"."analytics"."items_merge__model_incr" as new_rows
on existing_rows."id" = new_rows."id"
when matched then update set "LABEL" = new_rows."LABEL"
when not matched then insert ("ID", "LABEL") values (new_rows."ID", new_rows."LABEL");

drop table if exists "golden"."analytics"."items_merge__model_incr";
