insert into dh_database.analytics.items_append (ID, LABEL)
select ID, LABEL from (
select id, label from dh_database.analytics.items
);
