drop table if exists dh_database.analytics.items_view;

create or replace view dh_database.analytics.items_view as (
select id, label, "timestamp" as ts from dh_database.analytics.items
);
