create or replace transient table dh_database.analytics.items_merge__model_tmp as (
select id, label from dh_database.analytics.items
);

alter table dh_database.analytics.items_merge__model_tmp rename to dh_database.analytics.items_merge;
