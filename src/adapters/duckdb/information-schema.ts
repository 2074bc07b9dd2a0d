/** The column of each information_schema view that names its database (DuckDB's views, SQL standard names). */
const CATALOG_COLUMN: Readonly<Record<string, string>> = {
  tables: 'table_catalog',
  columns: 'table_catalog',
  views: 'table_catalog',
  schemata: 'catalog_name',
};

// `<db>.information_schema.<view>`, the database bare or double-quoted (dbt_utils' get_relations_by_pattern, codegen).
const QUALIFIED = /(?<![\w".])("(?:[^"]|"")+"|[A-Za-z_][\w$]*)\s*\.\s*information_schema\s*\.\s*(tables|columns|views|schemata)\b/gi;

/**
 * DuckDB keeps one information_schema for every attached database and refuses it qualified by a
 * database (`mydb.information_schema.tables`), which Snowflake, Postgres and the packages written
 * for them send. Each such reference becomes the unqualified view narrowed to that database, so
 * the query answers what it asked for.
 */
export function qualifyInformationSchema(sql: string): string {
  if (!/information_schema/i.test(sql)) return sql;
  return sql.replace(QUALIFIED, (_m, db: string, view: string) => {
    const name = db.startsWith('"') ? db.slice(1, -1).replaceAll('""', '"') : db;
    const v = view.toLowerCase();
    return `(select * from information_schema.${v} where ${CATALOG_COLUMN[v]} = '${name.replaceAll("'", "''")}')`;
  });
}
