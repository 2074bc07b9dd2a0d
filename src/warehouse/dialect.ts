/** The three parts of a warehouse relation name. */
export interface RelationName {
  database: string;
  schema: string;
  identifier: string;
}

export type RelationType = 'table' | 'view';

/**
 * A table's kind where the warehouse has more than one: Snowflake's transient tables (no Fail-safe)
 * and permanent ones. The kind is fixed when a table is created, and SWAP WITH takes two of one kind.
 */
export type TableKind = 'transient' | 'permanent';

/** Column types a seed value can be inferred as; each dialect maps them to its own names. */
export type SeedType = 'integer' | 'bigint' | 'double' | 'boolean' | 'date' | 'timestamp' | 'text';

/**
 * Everything that differs in SQL text between warehouses. Pure and synchronous: no I/O,
 * so what it emits can be checked against golden files.
 */
export interface Dialect {
  readonly type: 'duckdb' | 'snowflake';
  quoteIdentifier(id: string): string;
  /** Fully qualified, quoted as needed. */
  qualify(rel: RelationName): string;
  /** A string literal safe for any content (quotes, backslashes, comment markers). */
  stringLiteral(s: string): string;
  /**
   * dbt's `safe_cast` of a unit test fixture value (`literal`, already SQL) to `type`, when the
   * warehouse's differs from `cast(literal as type)`; `kind` is what the YAML value was.
   */
  safeCast?(literal: string, type: string, kind: 'string' | 'number' | 'boolean' | 'null'): string;
  createSchema(database: string, schema: string): string;
  /** `copyGrants`: the replaced view's grants are kept (Snowflake's COPY GRANTS, dbt's `copy_grants`), where the warehouse has grants. */
  createViewAs(rel: RelationName, sql: string, opts?: { copyGrants?: boolean }): string;
  createTableAs(rel: RelationName, sql: string, opts?: { transient?: boolean }): string;
  /**
   * GRANT statements giving each privilege to each role on a relation (dbt's `grants:` config,
   * privilege -> roles). Absent on warehouses without roles: `grants:` is then a no-op.
   */
  grantStatements?(rel: RelationName, type: RelationType, grants: Record<string, string[]>): string[];
  /** REVOKE statements, the counterpart of grantStatements (dbt's get_revoke_sql). */
  revokeStatements?(rel: RelationName, type: RelationType, grants: Record<string, string[]>): string[];
  /** The query listing a relation's grants (columns privilege, granted_to, grantee_name), as dbt's get_show_grant_sql. */
  showGrantsSql?(rel: RelationName, type: RelationType): string;
  /** A table with these columns (`quote`: a seed's quote_columns, see SeedColumn). */
  createTable(rel: RelationName, columns: { name: string; type: string; quote?: boolean }[]): string;
  drop(rel: RelationName, type: RelationType): string;
  /**
   * Inserts a query's rows into an existing table, matching columns by name. `columns` are the
   * table's columns as the catalog stores them, for warehouses without INSERT … BY NAME.
   */
  insertByName(rel: RelationName, sql: string, columns?: string[]): string;
  /** Deletes the rows of `target` whose `keys` match a row of `staged` (and that meet every one of `predicates`, SQL on the target's columns). */
  deleteMatching(target: RelationName, staged: RelationName, keys: string[], predicates?: string[]): string;
  /** MERGE of `staged` into `target` on `keys`: matched rows updated, the rest inserted. */
  merge(target: RelationName, staged: RelationName, keys: string[], columns: string[]): string;
  /** A SELECT of one relation's columns as (name, type), in order. */
  listColumnsSql(rel: RelationName): string;
  /** Like `listColumnsSql`, with each type complete enough to declare a column with (precision, scale). */
  listColumnTypesSql(rel: RelationName): string;
  /** A column name read back from the catalog, quoted so it names that exact column. */
  quoteColumn(name: string): string;
  addColumn(rel: RelationName, column: string, type: string): string;
  dropColumn(rel: RelationName, column: string): string;
  alterColumnType(rel: RelationName, column: string, type: string): string;
  /** dbt's snapshot_get_time(): the current UTC time as a timestamp without time zone. */
  readonly snapshotTime: string;
  /**
   * Statements that put the freshly built `tmp` table in place of `target`, atomically for readers.
   * `kinds`, where the warehouse has table kinds and `target` is a table: the kind `tmp` was built as
   * and the existing table's. Two of one kind are swapped (grants move with `tmp`); a table of the
   * other kind is replaced by a copy of `tmp` that keeps the replaced table's grants (`changesKind`).
   */
  swapTable(tmp: RelationName, target: RelationName, existing: RelationType | null, kinds?: { built: TableKind; existing: TableKind }): string[];
  /** A SELECT of the kind of each table of one schema, as (name, is_transient 'YES'/'NO'); where tables have kinds. */
  listTableKindsSql?(database: string, schema: string): string;
  /**
   * Snapshots apply their staged changes as an UPDATE of the closed rows then an INSERT of the new
   * versions, rather than one MERGE (dbt-duckdb's duckdb__snapshot_merge_sql).
   */
  readonly snapshotUpdateInsert?: boolean;
  /** Whether `swapTable` (and other multi-statement work) must be wrapped in BEGIN/COMMIT to be atomic. */
  readonly transactionalDdl: boolean;
  seedColumnType(t: SeedType): string;
  /** A SELECT that lists the relations of one schema as (name, type) with type 'table' | 'view'. */
  listRelationsSql(database: string, schema: string): string;
  /**
   * A SELECT giving every column of every relation of one schema, as dbt's `get_catalog` reads
   * them: (table_database, table_schema, table_name, table_type, table_comment, table_owner,
   * column_name, column_index, column_type, column_comment, row_count, bytes, last_altered,
   * clustering_key), names as the warehouse stores them, ordered by relation and column index.
   */
  catalogSql(database: string, schema: string): string;
}

/** Whether putting a table built as `kinds.built` in place of `existing` replaces a table of the other kind. */
export function changesKind(existing: RelationType | null, kinds: { built: TableKind; existing: TableKind } | undefined): boolean {
  return existing === 'table' && kinds !== undefined && kinds.built !== kinds.existing;
}

/** Renders any template value as a SQL literal: strings quoted, numbers checked, lists comma-joined. */
export function sqlLiteral(dialect: Dialect, value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot use ${value} as a SQL number`);
    return String(value);
  }
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return value.map((v) => sqlLiteral(dialect, v)).join(', ');
  if (value instanceof Date) return dialect.stringLiteral(value.toISOString());
  if (typeof value === 'object') throw new Error('cannot use a mapping as a SQL literal');
  return dialect.stringLiteral(String(value));
}

/**
 * MERGE INTO as DuckDB and Snowflake both write it. `keys` are names from the project; `columns`
 * are the table's, as the catalog stores them, quoted by `quoteColumn`.
 */
export function mergeStatement(
  dialect: Dialect,
  target: RelationName,
  staged: RelationName,
  keys: string[],
  columns: string[],
  quoteColumn: (c: string) => string = (c) => dialect.quoteIdentifier(c),
): string {
  const q = (c: string) => dialect.quoteIdentifier(c);
  const qc = quoteColumn;
  const on = keys.map((k) => `existing_rows.${q(k)} = new_rows.${q(k)}`).join(' and ');
  const keySet = new Set(keys.map((k) => k.toLowerCase()));
  const updated = columns.filter((c) => !keySet.has(c.toLowerCase()));
  const lines = [`merge into ${dialect.qualify(target)} as existing_rows`, `using ${dialect.qualify(staged)} as new_rows`, `on ${on}`];
  if (updated.length) lines.push(`when matched then update set ${updated.map((c) => `${qc(c)} = new_rows.${qc(c)}`).join(', ')}`);
  lines.push(`when not matched then insert (${columns.map(qc).join(', ')}) values (${columns.map((c) => `new_rows.${qc(c)}`).join(', ')})`);
  return lines.join('\n');
}
