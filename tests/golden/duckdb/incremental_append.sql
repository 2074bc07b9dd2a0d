insert into "golden"."analytics"."items_append" by name (
select id, label from "golden"."analytics"."items"
);
