import { changesKind, mergeStatement, type Dialect, type RelationName, type SeedType } from '../../warehouse/dialect.js';

const SEED_TYPES: Record<SeedType, string> = {
  integer: 'INTEGER',
  bigint: 'BIGINT',
  double: 'FLOAT',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMP_NTZ',
  text: 'VARCHAR',
};

/** Snowflake keywords that cannot stand as unquoted identifiers. */
const RESERVED = new Set(
  'account all alter and any as between by case cast check column connect connection constraint create cross current current_date current_time current_timestamp current_user database delete distinct drop else exists false following for from full grant group gscluster having ilike in increment inner insert intersect into is issue join lateral left like localtime localtimestamp minus natural not null of on or order organization qualify regexp revoke right rlike row rows sample schema select set some start table tablesample then to trigger true try_cast union unique update using values view when whenever where with'.split(
    ' ',
  ),
);

const SIMPLE = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/**
 * Snowflake folds unquoted names to upper case. Names are case-insensitive in projects, so a
 * plain name stays unquoted (`dh_prod.segments_derived` is the same object whoever types it),
 * and a plain name that is a reserved word is quoted in upper case, the spelling Snowflake would
 * store it under; anything else is quoted as written.
 */
function quote(id: string): string {
  if (SIMPLE.test(id)) return RESERVED.has(id.toLowerCase()) ? `"${id.toUpperCase()}"` : id;
  return `"${id.replace(/"/g, '""')}"`;
}

/** The name Snowflake stores for `quote(id)`: what information_schema shows. */
export function storedName(id: string): string {
  return SIMPLE.test(id) ? id.toUpperCase() : id;
}

/**
 * A name read back from the catalog (information_schema), which holds the exact stored spelling:
 * bare only when the bare form folds to that same spelling, quoted otherwise (`"Label"`, `"select"`).
 */
function quoteStored(name: string): string {
  return /^[A-Z_][A-Z0-9_$]*$/.test(name) && !RESERVED.has(name.toLowerCase()) ? name : `"${name.replace(/"/g, '""')}"`;
}

function literal(s: string): string {
  // Snowflake reads backslash escapes inside '…', so both quote and backslash are escaped.
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

export const snowflakeDialect: Dialect = {
  type: 'snowflake',
  transactionalDdl: false,
  quoteIdentifier: quote,
  qualify(rel) {
    return [rel.database, rel.schema, rel.identifier].map(quote).join('.');
  },
  stringLiteral: literal,
  // dbt-snowflake's snowflake__safe_cast: try_cast, which takes text only, so numbers go as strings; plain cast to VARIANT.
  safeCast(value, type, kind) {
    if (kind === 'null' || /^(variant|object|array)$/i.test(type.trim())) return `cast(${value} as ${type})`;
    return `try_cast(${kind === 'string' ? value : literal(value)} as ${type})`;
  },
  createSchema(database, schema) {
    return `create schema if not exists ${quote(database)}.${quote(schema)}`;
  },
  createViewAs(rel, sql, opts) {
    // dbt-snowflake's create_view_as: `copy grants` keeps the replaced view's grants.
    return `create or replace view ${this.qualify(rel)}${opts?.copyGrants ? ' copy grants' : ''} as (\n${sql}\n)`;
  },
  createTableAs(rel, sql, opts) {
    // Transient unless the model says `transient: false`, as dbt-snowflake does.
    return `create or replace ${opts?.transient === false ? '' : 'transient '}table ${this.qualify(rel)} as (\n${sql}\n)`;
  },
  grantStatements(rel, type, grants) {
    const out: string[] = [];
    for (const [privilege, roles] of Object.entries(grants)) {
      for (const role of roles) out.push(`grant ${privilege} on ${type} ${this.qualify(rel)} to role ${quote(role)}`);
    }
    return out;
  },
  revokeStatements(rel, type, grants) {
    const out: string[] = [];
    for (const [privilege, roles] of Object.entries(grants)) {
      for (const role of roles) out.push(`revoke ${privilege} on ${type} ${this.qualify(rel)} from role ${quote(role)}`);
    }
    return out;
  },
  showGrantsSql(rel, type) {
    return `show grants on ${type} ${this.qualify(rel)}`;
  },
  createTable(rel, columns) {
    // quote_columns: true quotes as written (case-sensitive), false writes the name bare; unset
    // is dbt-snowflake's unquoted default, except that a name no bare identifier can spell is quoted.
    const name = (c: { name: string; quote?: boolean }) => (c.quote === true ? `"${c.name.replace(/"/g, '""')}"` : c.quote === false ? c.name : quote(c.name));
    const cols = columns.map((c) => `${name(c)} ${c.type}`).join(', ');
    return `create or replace transient table ${this.qualify(rel)} (${cols})`;
  },
  drop(rel, type) {
    return `drop ${type} if exists ${this.qualify(rel)}`;
  },
  insertByName(rel, sql, columns) {
    // Snowflake has no INSERT … BY NAME: name the table's columns and select them by name.
    if (!columns?.length) return `insert into ${this.qualify(rel)} select * from (\n${sql}\n)`;
    const cols = columns.map(quoteStored).join(', ');
    return `insert into ${this.qualify(rel)} (${cols})\nselect ${cols} from (\n${sql}\n)`;
  },
  deleteMatching(target, staged, keys, predicates = []) {
    // dbt's get_delete_insert_merge_sql: the target's own columns stay unqualified for the predicates.
    const list = keys.map(quote).join(', ');
    const extra = predicates.map((p) => `\nand (${p})`).join('');
    return `delete from ${this.qualify(target)}\nwhere (${list}) in (select distinct ${list} from ${this.qualify(staged)})${extra}`;
  },
  merge(target, staged, keys, columns) {
    return mergeStatement(this, target, staged, keys, columns, quoteStored);
  },
  listColumnsSql(rel: RelationName) {
    return `select column_name as name, data_type as type
from ${quote(rel.database)}.information_schema.columns
where table_schema = ${literal(storedName(rel.schema))} and table_name = ${literal(storedName(rel.identifier))}
order by ordinal_position`;
  },
  swapTable(tmp, target, existing, kinds) {
    // SWAP WITH refuses a transient table and a permanent one. CREATE OR REPLACE is atomic too, and
    // COPY GRANTS keeps what readers were granted (…/sql-reference/sql/create-table, COPY GRANTS);
    // it copies the rows once more, and CLONE cannot make a transient table permanent.
    if (changesKind(existing, kinds)) {
      return [
        `create or replace ${kinds!.built === 'transient' ? 'transient ' : ''}table ${this.qualify(target)} copy grants as select * from ${this.qualify(tmp)}`,
        this.drop(tmp, 'table'),
      ];
    }
    // SWAP WITH exchanges the two names in one metadata operation: readers never see a gap.
    if (existing === 'table') return [`alter table ${this.qualify(tmp)} swap with ${this.qualify(target)}`, this.drop(tmp, 'table')];
    const out: string[] = [];
    if (existing === 'view') out.push(this.drop(target, 'view'));
    out.push(`alter table ${this.qualify(tmp)} rename to ${this.qualify(target)}`);
    return out;
  },
  listColumnTypesSql(rel) {
    // information_schema splits NUMBER's precision and scale out of data_type.
    return `select column_name as name,
  case when data_type = 'NUMBER' then 'NUMBER(' || numeric_precision || ',' || numeric_scale || ')' when data_type = 'TEXT' then 'VARCHAR' else data_type end as type
from ${quote(rel.database)}.information_schema.columns
where table_schema = ${literal(storedName(rel.schema))} and table_name = ${literal(storedName(rel.identifier))}
order by ordinal_position`;
  },
  quoteColumn: quoteStored,
  addColumn(rel, column, type) {
    return `alter table ${this.qualify(rel)} add column ${quoteStored(column)} ${type}`;
  },
  dropColumn(rel, column) {
    return `alter table ${this.qualify(rel)} drop column ${quoteStored(column)}`;
  },
  alterColumnType(rel, column, type) {
    return `alter table ${this.qualify(rel)} alter column ${quoteStored(column)} set data type ${type}`;
  },
  // dbt-snowflake's snapshot_get_time: to_timestamp_ntz(convert_timezone('UTC', current_timestamp())).
  snapshotTime: "cast(convert_timezone('UTC', current_timestamp()) as timestamp_ntz)",
  seedColumnType(t) {
    return SEED_TYPES[t];
  },
  listTableKindsSql(database, schema) {
    return `select lower(table_name) as name, is_transient
from ${quote(database)}.information_schema.tables
where table_schema = ${literal(storedName(schema))} and table_type <> 'VIEW'`;
  },
  listRelationsSql(database, schema) {
    return `select lower(table_name) as name, case when table_type = 'VIEW' then 'view' else 'table' end as type
from ${quote(database)}.information_schema.tables
where table_schema = ${literal(storedName(schema))}`;
  },
  // As dbt-snowflake's snowflake__get_catalog (macros/catalog.sql): INFORMATION_SCHEMA.TABLES, whose
  // TABLE_OWNER is the role owning the relation, joined to its COLUMNS.
  catalogSql(database, schema) {
    const db = quote(database);
    return `select t.table_catalog as "table_database", t.table_schema as "table_schema", t.table_name as "table_name",
  coalesce(t.table_type, 'BASE TABLE') as "table_type", t.comment as "table_comment", t.table_owner as "table_owner",
  c.column_name as "column_name", c.ordinal_position as "column_index", c.data_type as "column_type", c.comment as "column_comment",
  t.row_count as "row_count", t.bytes as "bytes", t.last_altered as "last_altered", t.clustering_key as "clustering_key"
from ${db}.information_schema.tables t join ${db}.information_schema.columns c
  on c.table_catalog = t.table_catalog and c.table_schema = t.table_schema and c.table_name = t.table_name
where t.table_schema = ${literal(storedName(schema))}
order by t.table_name, c.ordinal_position`;
  },
};
