import type { Dialect, SeedType } from '../dialect.js';

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

/**
 * Snowflake folds unquoted names to upper case. Plain lower-case names stay unquoted so that
 * `dh_prod.segments_derived` is the same object whoever types it; anything else is quoted.
 */
function quote(id: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_$]*$/.test(id) && !RESERVED.has(id.toLowerCase())) return id;
  return `"${id.replace(/"/g, '""')}"`;
}

export const snowflakeDialect: Dialect = {
  type: 'snowflake',
  transactionalDdl: false,
  quoteIdentifier: quote,
  qualify(rel) {
    return [rel.database, rel.schema, rel.identifier].map(quote).join('.');
  },
  stringLiteral(s) {
    // Snowflake reads backslash escapes inside '…', so both quote and backslash are escaped.
    return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
  },
  createSchema(database, schema) {
    return `create schema if not exists ${quote(database)}.${quote(schema)}`;
  },
  createViewAs(rel, sql) {
    return `create or replace view ${this.qualify(rel)} as (\n${sql}\n)`;
  },
  createTableAs(rel, sql) {
    return `create or replace transient table ${this.qualify(rel)} as (\n${sql}\n)`;
  },
  createTable(rel, columns) {
    const cols = columns.map((c) => `${quote(c.name)} ${c.type}`).join(', ');
    return `create or replace transient table ${this.qualify(rel)} (${cols})`;
  },
  drop(rel, type) {
    return `drop ${type} if exists ${this.qualify(rel)}`;
  },
  insertByName(rel, sql) {
    return `insert into ${this.qualify(rel)} select * from (\n${sql}\n)`;
  },
  swapTable(tmp, target, existing) {
    // SWAP WITH exchanges the two names in one metadata operation: readers never see a gap.
    if (existing === 'table') return [`alter table ${this.qualify(tmp)} swap with ${this.qualify(target)}`, this.drop(tmp, 'table')];
    const out: string[] = [];
    if (existing === 'view') out.push(this.drop(target, 'view'));
    out.push(`alter table ${this.qualify(tmp)} rename to ${this.qualify(target)}`);
    return out;
  },
  seedColumnType(t) {
    return SEED_TYPES[t];
  },
  listRelationsSql(database, schema) {
    return `select lower(table_name) as name, case when table_type = 'VIEW' then 'view' else 'table' end as type
from ${quote(database)}.information_schema.tables
where table_schema = upper(${this.stringLiteral(schema)})`;
  },
};
