import type { Dialect, RelationName, RelationType } from './dialect.js';

export interface ColumnInfo {
  name: string;
  /** The warehouse's type name, e.g. `BIGINT`, `VARCHAR`, `TIMESTAMP_NTZ`. */
  type: string;
}

export interface QueryResult {
  columns: ColumnInfo[];
  /** Rows as arrays, values normalised to JSON-friendly JS: numbers, strings, booleans, null. */
  rows: unknown[][];
  /** For DML and CREATE TABLE AS: how many rows were written. */
  rowsAffected?: number;
}

/** One session with the warehouse. Statements on one connection run one at a time. */
export interface Connection {
  execute(sql: string, binds?: (string | number | boolean | null)[]): Promise<QueryResult>;
  /**
   * Runs statements as one unit: inside a transaction where the warehouse has transactional DDL,
   * so a failure or a crash part-way leaves everything as it was. Returns each statement's result.
   */
  executeAtomic(statements: string[]): Promise<QueryResult[]>;
  /** Asks the warehouse to stop the running statement (Ctrl-C). */
  cancel(): Promise<void>;
  /** Sets a label on the session's queries (Snowflake's QUERY_TAG); a no-op where unsupported. */
  setQueryTag(tag: string | undefined): Promise<void>;
}

export interface SeedColumn {
  name: string;
  /** The dialect's type name. */
  type: string;
  /**
   * The seed's `quote_columns`: true quotes the name as written, false writes it bare (a name
   * that is no plain identifier is then the warehouse's syntax error, as in dbt); unset is the
   * adapter's default (dbt-adapters' base `quote_seed_column` quotes, dbt-snowflake's does not).
   */
  quote?: boolean;
}

export interface ExternalFile {
  /** Absolute local path of the file to load. */
  path: string;
  format: 'parquet' | 'csv';
}

/** Files already in the warehouse's storage (dbt-external-tables' `external:` on a stage). */
export interface StagedFiles {
  /** `@stage[/path]` */
  location: string;
  /** A file format's name, or its options in parentheses: `( type = parquet )`. */
  fileFormat?: string;
  /** A regular expression the files' paths must match. */
  pattern?: string;
}

/**
 * The only code that talks to a warehouse. Engine stages above it never ask which warehouse
 * they are on; what differs in SQL text lives in the pure `dialect`.
 */
export interface Adapter {
  readonly type: 'duckdb' | 'snowflake';
  readonly dialect: Dialect;
  /** Human description for `model debug` and summaries, with no secret in it. */
  describe(): string;
  open(): Promise<void>;
  close(): Promise<void>;
  /** Runs `fn` on a pooled connection; at most `threads` run at once. */
  withConnection<T>(fn: (conn: Connection) => Promise<T>): Promise<T>;
  /** Relations that exist in a schema, by lower-cased name. */
  listRelations(database: string, schema: string): Promise<Map<string, RelationType>>;
  /** Creates the database (where the warehouse has such a thing) and the schema if missing. */
  ensureSchema(database: string, schema: string): Promise<void>;
  /** Replaces `relation` with a table of `rows` (strings or null, cast to `columns`' types), atomically. */
  loadSeed(conn: Connection, relation: RelationName, columns: SeedColumn[], rows: (string | null)[][]): Promise<number>;
  /**
   * Replaces `relation` with the untouched contents of a local file, atomically. When the file
   * lacks one of `expectedColumns`, nothing is replaced and a ColumnMismatchError is thrown.
   */
  loadFile(
    conn: Connection,
    relation: RelationName,
    file: ExternalFile,
    expectedColumns: string[],
  ): Promise<{
    rows: number;
    columns: ColumnInfo[] /** Files sent to the warehouse's stage, where it has one. */;
    uploaded?: { files: number; bytes: number };
  }>;
  /**
   * Replaces `relation` with a table of `columns` filled from files already in a stage, atomically;
   * absent where the warehouse has no stages.
   */
  loadStaged?(conn: Connection, relation: RelationName, files: StagedFiles, columns: SeedColumn[]): Promise<number>;
  /**
   * Takes the target's write lock for a build, waiting a bounded time for another build to finish;
   * `close()` releases it. Absent where the warehouse already locks (DuckDB's file lock).
   */
  lockForWrites?(log: (message: string) => void): Promise<void>;
  /** Cancels everything running (Ctrl-C). */
  cancelAll(): Promise<void>;
  /**
   * `model debug`: whether the session can run a build that writes these relations (warehouse,
   * role, database, privileges). Absent where the warehouse has no access control (DuckDB).
   */
  checkAccess?(writes: PlannedWrite[]): Promise<AccessCheck[]>;
}

/** A relation a build creates or replaces. */
export interface PlannedWrite {
  relation: RelationName;
  kind: 'table' | 'view';
}

/** One check of `model debug`: what was checked, whether it holds, and how to fix it when not. */
export interface AccessCheck {
  what: string;
  ok: boolean;
  detail: string;
  /** e.g. the GRANT statement an administrator runs */
  fix?: string;
}

/** A loaded file lacks columns its source declares. */
export class ColumnMismatchError extends Error {
  constructor(
    readonly missing: string[],
    readonly found: string[],
  ) {
    super(`missing columns: ${missing.join(', ')}`);
  }
}

/**
 * The warehouse refused a value while loading: `row` is the 1-based data row (header not counted)
 * of the loaded file or seed, `column` the column's name. Nothing was replaced.
 */
export class LoadRowError extends Error {
  constructor(
    readonly reason: string,
    readonly row: number,
    readonly column: string | undefined,
  ) {
    super(`${reason} (row ${row}${column ? `, column ${column}` : ''})`);
  }
}

export function missingColumns(expected: string[], found: string[]): string[] {
  const have = new Set(found.map((c) => c.toLowerCase()));
  return expected.filter((c) => !have.has(c.toLowerCase()));
}
