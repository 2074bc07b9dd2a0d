create or replace table "golden"."analytics"."items_delete_insert__model_incr" as (
select id, label from "golden"."analytics"."items"
);

delete from "golden"."analytics"."items_delete_insert" as existing_rows where exists (select 1 from "golden"."analytics"."items_delete_insert__model_incr" as new_rows where existing_rows."id" = new_rows."id" and existing_rows."label" = new_rows."label");

insert into "golden"."analytics"."items_delete_insert" ("ID", "LABEL")
select "ID", "LABEL" from "golden"."analytics"."items_delete_insert__model_incr";

drop table if exists "golden"."analytics"."items_delete_insert__model_incr";
