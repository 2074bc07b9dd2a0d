import { mergeStatement, type Dialect, type RelationName, type RelationType, type SeedType } from '../../warehouse/dialect.js';

const SEED_TYPES: Record<SeedType, string> = {
  integer: 'INTEGER',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
  text: 'VARCHAR',
};

export const duckDbDialect: Dialect = {
  type: 'duckdb',
  transactionalDdl: true,
  snapshotUpdateInsert: true,
  quoteIdentifier(id) {
    return `"${id.replace(/"/g, '""')}"`;
  },
  qualify(rel) {
    return [rel.database, rel.schema, rel.identifier].map((p) => this.quoteIdentifier(p)).join('.');
  },
  stringLiteral(s) {
    return `'${s.replace(/'/g, "''")}'`;
  },
  createSchema(database, schema) {
    return `create schema if not exists ${this.quoteIdentifier(database)}.${this.quoteIdentifier(schema)}`;
  },
  createViewAs(rel, sql) {
    return `create or replace view ${this.qualify(rel)} as (\n${sql}\n)`;
  },
  createTableAs(rel, sql) {
    return `create or replace table ${this.qualify(rel)} as (\n${sql}\n)`;
  },
  createTable(rel, columns) {
    const cols = columns.map((c) => `${c.quote === false ? c.name : this.quoteIdentifier(c.name)} ${c.type}`).join(', ');
    return `create or replace table ${this.qualify(rel)} (${cols})`;
  },
  drop(rel: RelationName, type: RelationType) {
    return `drop ${type} if exists ${this.qualify(rel)}`;
  },
  insertByName(rel, sql) {
    return `insert into ${this.qualify(rel)} by name (\n${sql}\n)`;
  },
  deleteMatching(target, staged, keys, predicates = []) {
    const on = keys.map((k) => `existing_rows.${this.quoteIdentifier(k)} = new_rows.${this.quoteIdentifier(k)}`).join(' and ');
    const extra = predicates.map((p) => ` and (${p})`).join('');
    return `delete from ${this.qualify(target)} as existing_rows where exists (select 1 from ${this.qualify(staged)} as new_rows where ${on})${extra}`;
  },
  merge(target, staged, keys, columns) {
    return mergeStatement(this, target, staged, keys, columns);
  },
  listColumnsSql(rel) {
    return `select column_name as name, data_type as type from information_schema.columns
where table_catalog = ${this.stringLiteral(rel.database)} and table_schema = ${this.stringLiteral(rel.schema)} and table_name = ${this.stringLiteral(rel.identifier)}
order by ordinal_position`;
  },
  swapTable(tmp, target, existing) {
    // Run inside one transaction: readers see the old table until COMMIT, a crash rolls back.
    const out: string[] = [];
    if (existing) out.push(this.drop(target, existing));
    out.push(`alter table ${this.qualify(tmp)} rename to ${this.quoteIdentifier(target.identifier)}`);
    return out;
  },
  listColumnTypesSql(rel) {
    return this.listColumnsSql(rel);
  },
  quoteColumn(name) {
    return this.quoteIdentifier(name);
  },
  addColumn(rel, column, type) {
    return `alter table ${this.qualify(rel)} add column ${this.quoteIdentifier(column)} ${type}`;
  },
  dropColumn(rel, column) {
    return `alter table ${this.qualify(rel)} drop column ${this.quoteIdentifier(column)}`;
  },
  alterColumnType(rel, column, type) {
    return `alter table ${this.qualify(rel)} alter column ${this.quoteIdentifier(column)} set data type ${type}`;
  },
  // dbt-duckdb's snapshot_get_time is the local now(); UTC here, as current_timestamp() is.
  snapshotTime: "cast(timezone('UTC', current_timestamp) as timestamp)",
  seedColumnType(t) {
    return SEED_TYPES[t];
  },
  listRelationsSql(database, schema) {
    return `select table_name as name, case when table_type = 'VIEW' then 'view' else 'table' end as type
from information_schema.tables
where table_catalog = ${this.stringLiteral(database)} and table_schema = ${this.stringLiteral(schema)}`;
  },
  // As dbt-duckdb's duckdb__get_catalog: duckdb_tables() and duckdb_views() with their comments, no
  // owner and no statistics.
  catalogSql(database, schema) {
    return `with relations as (
  select database_name, schema_name, table_name, 'BASE TABLE' as table_type, comment from duckdb_tables()
  union all
  select database_name, schema_name, view_name, 'VIEW', comment from duckdb_views() where not internal
)
select r.database_name as table_database, r.schema_name as table_schema, r.table_name, r.table_type, r.comment as table_comment,
  null as table_owner, c.column_name, c.column_index, c.data_type as column_type, c.comment as column_comment,
  null as row_count, null as bytes, null as last_altered, null as clustering_key
from relations r join duckdb_columns() c
  on c.database_name = r.database_name and c.schema_name = r.schema_name and c.table_name = r.table_name
where r.database_name = ${this.stringLiteral(database)} and r.schema_name = ${this.stringLiteral(schema)}
order by r.table_name, c.column_index`;
  },
};
