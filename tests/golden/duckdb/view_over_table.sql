drop table if exists "golden"."analytics"."items_view";

create or replace view "golden"."analytics"."items_view" as (
select id, label, "timestamp" as ts from "golden"."analytics"."items"
);
