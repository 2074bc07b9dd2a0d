create or replace transient table dh_database.analytics.items_merge__model_incr as (
select id, label from dh_database.analytics.items
);

merge into dh_database.analytics.items_merge as existing_rows
using dh_database.analytics.items_merge__model_incr as new_rows
on existing_rows.id = new_rows.id
when matched then update set LABEL = new_rows.LABEL
when not matched then insert (ID, LABEL) values (new_rows.ID, new_rows.LABEL);

drop table if exists dh_database.analytics.items_merge__model_incr;
