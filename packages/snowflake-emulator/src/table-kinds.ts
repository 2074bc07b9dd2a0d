// Table kinds: permanent or transient, fixed when a table is created (Snowflake's "Working with
// Temporary and Transient Tables": a transient table cannot be converted to another kind, and
// CREATE OR REPLACE makes a new table of the kind it names). Temporary tables are DuckDB's own
// (session-scoped) and are not tracked here.
//
// The kind shows in INFORMATION_SCHEMA.TABLES.IS_TRANSIENT ('YES'/'NO') and in SHOW TABLES' `kind`
// column (TABLE, TRANSIENT, TEMPORARY), and ALTER TABLE … SWAP WITH refuses two tables of different
// kinds. DuckDB keeps no such property, so the kinds live here and each session reads them through
// a table macro it re-creates when they change.

import { quoteString } from './tokenizer.js';

/** A table's full Snowflake name, decoded: [database, schema, table]. */
export type TableName = readonly [string, string, string];

/** The session table macro listing transient tables as (transient_database, transient_schema, transient_table), decoded. */
export const TRANSIENT_TABLES_MACRO = 'SF_TRANSIENT_TABLES';

/** DuckDB SQL: whether the table with these (encoded) DuckDB catalog names is transient. */
export const isTransientSql = (database: string, schema: string, table: string): string =>
  `EXISTS (SELECT 1 FROM ${TRANSIENT_TABLES_MACRO}() K WHERE K.transient_database = SF_NAME(${database}) AND K.transient_schema = SF_NAME(${schema}) AND K.transient_table = SF_NAME(${table}))`;

/** Session setup: the macro with no transient tables, before anything that reads it is defined. */
export const NO_TRANSIENT_TABLES_SQL = `CREATE OR REPLACE TEMP MACRO ${TRANSIENT_TABLES_MACRO}() AS TABLE SELECT NULL::VARCHAR AS transient_database, NULL::VARCHAR AS transient_schema, NULL::VARCHAR AS transient_table WHERE false`;

export interface KindError {
  code: string;
  sqlState: string;
  message: string;
}

export class TableKinds {
  private readonly transient = new Set<string>();
  /** Changes on every change of a kind: a session whose macro is older re-creates it. */
  version = 0;

  private static key(name: TableName): string {
    return JSON.stringify(name);
  }

  isTransient(name: TableName): boolean {
    return this.transient.has(TableKinds.key(name));
  }

  /** CREATE [OR REPLACE] [TRANSIENT] TABLE: the new table's kind is the one the statement names. */
  created(name: TableName, transient: boolean): void {
    const key = TableKinds.key(name);
    if (transient === this.transient.has(key)) return;
    if (transient) this.transient.add(key);
    else this.transient.delete(key);
    this.version++;
  }

  dropped(name: TableName): void {
    if (this.transient.delete(TableKinds.key(name))) this.version++;
  }

  /** ALTER TABLE … RENAME TO: the table keeps its kind under the new name. */
  renamed(from: TableName, to: TableName): void {
    if (!this.transient.delete(TableKinds.key(from))) return;
    this.transient.add(TableKinds.key(to));
    this.version++;
  }

  /**
   * ALTER TABLE a SWAP WITH b exchanges names, data and grants, not kinds: two tables of different
   * kinds are refused (the message is the emulator's: Snowflake's documentation gives none).
   * Two tables of one kind swap without changing what is recorded here.
   */
  swapError(a: TableName, b: TableName): KindError | undefined {
    if (this.isTransient(a) === this.isTransient(b)) return undefined;
    const [t, p] = this.isTransient(a) ? [a[2], b[2]] : [b[2], a[2]];
    return {
      code: '002002',
      sqlState: '42601',
      message: `SQL compilation error:\nCannot swap transient table '${t}' with permanent table '${p}'.`,
    };
  }

  /** The DuckDB statement (re)creating the session's macro of transient tables. */
  macroSql(): string {
    const rows = [...this.transient].map((k) => {
      const [db, schema, table] = JSON.parse(k) as [string, string, string];
      return `(${quoteString(db)}, ${quoteString(schema)}, ${quoteString(table)})`;
    });
    if (!rows.length) return NO_TRANSIENT_TABLES_SQL;
    return `CREATE OR REPLACE TEMP MACRO ${TRANSIENT_TABLES_MACRO}() AS TABLE SELECT * FROM (VALUES ${rows.join(', ')}) AS t(transient_database, transient_schema, transient_table)`;
  }
}
