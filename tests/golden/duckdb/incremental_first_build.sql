create or replace table "golden"."analytics"."items_merge__model_tmp" as (
select id, label from "golden"."analytics"."items"
);

alter table "golden"."analytics"."items_merge__model_tmp" rename to "items_merge";
