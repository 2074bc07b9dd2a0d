create or replace transient table dh_database.analytics.items_delete_insert__model_incr as (
select id, label from dh_database.analytics.items
);

delete from dh_database.analytics.items_delete_insert
where (id, label) in (select distinct id, label from dh_database.analytics.items_delete_insert__model_incr);

insert into dh_database.analytics.items_delete_insert (ID, LABEL)
select ID, LABEL from dh_database.analytics.items_delete_insert__model_incr;

drop table if exists dh_database.analytics.items_delete_insert__model_incr;
