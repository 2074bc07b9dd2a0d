select lower(table_name) as name, case when table_type = 'VIEW' then 'view' else 'table' end as type
from dh_database.information_schema.tables
where table_schema = 'ANALYTICS';

select column_name as name, data_type as type
from dh_database.information_schema.columns
where table_schema = 'ANALYTICS' and table_name = 'ITEMS'
order by ordinal_position;
