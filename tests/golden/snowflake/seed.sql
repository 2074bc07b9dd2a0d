create or replace transient table dh_database.analytics.items__model_tmp (id INTEGER, label VARCHAR, amount FLOAT, day DATE, seen_at TIMESTAMP_NTZ, active BOOLEAN);

alter table dh_database.analytics.items__model_tmp swap with dh_database.analytics.items;

drop table if exists dh_database.analytics.items__model_tmp;
