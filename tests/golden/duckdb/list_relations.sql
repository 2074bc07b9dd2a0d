select table_name as name, case when table_type = 'VIEW' then 'view' else 'table' end as type
from information_schema.tables
where table_catalog = 'golden' and table_schema = 'analytics';

select column_name as name, data_type as type from information_schema.columns
where table_catalog = 'golden' and table_schema = 'analytics' and table_name = 'items'
order by ordinal_position;
