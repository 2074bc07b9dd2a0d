create or replace transient table dh_database.analytics.items_delete_insert__model_incr as (
select id, label from dh_database.analytics.items
);

delete from dh_database.analytics.items_delete_insert using dh_database.analytics.items_delete_insert__model_incr
where dh_database.analytics.items_delete_insert.id = dh_database.analytics.items_delete_insert__model_incr.id and dh_database.analytics.items_delete_insert.label = dh_database.analytics.items_delete_insert__model_incr.label;

insert into dh_database.analytics.items_delete_insert (ID, LABEL)
select ID, LABEL from (
select * from dh_database.analytics.items_delete_insert__model_incr
);

drop table if exists dh_database.analytics.items_delete_insert__model_incr;
