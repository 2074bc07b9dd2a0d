import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { ProjectError } from '../../core/errors.js';
import { redact } from '../../core/secrets.js';
import type { DuckDbTarget } from '../../project/profiles.js';
import {
  ColumnMismatchError,
  missingColumns,
  type Adapter,
  type ColumnInfo,
  type Connection,
  type ExternalFile,
  type QueryResult,
  type SeedColumn,
} from '../../warehouse/adapter.js';
import type { RelationName, RelationType } from '../../warehouse/dialect.js';
import { Pool } from '../pool.js';
import { duckDbDialect } from './duckdb-dialect.js';
import { qualifyInformationSchema } from './information-schema.js';

const NUMERIC_TEXT = /^(BIGINT|HUGEINT|UBIGINT|UHUGEINT|DECIMAL)/;

function normaliseRows(types: string[], rows: unknown[][]): unknown[][] {
  const numeric = types.map((t) => NUMERIC_TEXT.test(t));
  if (!numeric.some(Boolean)) return rows;
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      if (numeric[i] && typeof v === 'string') {
        const n = Number(v);
        // Keep the exact text when a number would lose digits.
        if (Number.isFinite(n) && (Number.isSafeInteger(n) || !/^-?\d+$/.test(v))) row[i] = n;
      }
    }
  }
  return rows;
}

/** A process's command line, where the OS shows it (Linux /proc), to name what holds the file. */
function commandOf(pid: string): string | undefined {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return cmd ? cmd.slice(0, 200) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * With MODEL_SQL_LOG=<file>, every statement (and its binds) is appended to the file as a JSON
 * line: what the benchmark replays as the "same SQL run directly" floor, and a debugging aid.
 */
const sqlLog = process.env.MODEL_SQL_LOG;

let connections = 0;

/** 2 GiB, or half the machine's memory when it has less than 4 GiB. */
export function defaultMemoryLimit(): string {
  const half = Math.floor(os.totalmem() / 2 / 2 ** 20);
  return `${Math.min(2048, half)}MiB`;
}

class DuckDbConnection implements Connection {
  /** Which connection ran a logged statement: transactions interleave across threads. */
  private readonly id = ++connections;
  constructor(readonly raw: DuckDBConnection) {}

  private log(sql: string, binds?: unknown[]): void {
    if (sqlLog) appendFileSync(sqlLog, `${redact(JSON.stringify(binds?.length ? { c: this.id, sql, binds } : { c: this.id, sql }))}\n`);
  }

  /** Transaction control, logged like any statement. */
  async control(sql: 'begin transaction' | 'commit' | 'rollback'): Promise<void> {
    this.log(sql);
    await this.raw.run(sql);
  }

  async execute(text: string, binds?: (string | number | boolean | null)[]): Promise<QueryResult> {
    const sql = qualifyInformationSchema(text);
    this.log(sql, binds);
    const reader = await this.raw.runAndReadAll(sql, binds?.length ? binds : undefined);
    const names = reader.columnNames();
    const types = reader.columnTypes().map((t) => t.toString());
    const rows = normaliseRows(types, reader.getRowsJson() as unknown[][]);
    const result: QueryResult = { columns: names.map((name, i) => ({ name, type: types[i]! })), rows };
    if (names.length === 1 && names[0] === 'Count' && rows.length === 1) result.rowsAffected = Number(rows[0]![0]);
    return result;
  }

  async executeAtomic(statements: string[]): Promise<QueryResult[]> {
    await this.control('begin transaction');
    const results: QueryResult[] = [];
    try {
      for (const s of statements) results.push(await this.execute(s));
      await this.control('commit');
    } catch (e) {
      await this.control('rollback').catch(() => undefined);
      throw e;
    }
    return results;
  }

  async cancel(): Promise<void> {
    this.raw.interrupt();
  }

  async setQueryTag(): Promise<void> {}
}

export class DuckDbAdapter implements Adapter {
  readonly type = 'duckdb' as const;
  readonly dialect = duckDbDialect;
  private instance: DuckDBInstance | undefined;
  private pool: Pool<DuckDbConnection> | undefined;
  private readonly file: string;

  constructor(
    private readonly target: DuckDbTarget,
    private readonly database: string,
    private readonly projectDir: string,
  ) {
    const p = target.path ?? ':memory:';
    this.file = p === ':memory:' ? p : path.resolve(projectDir, p);
  }

  describe(): string {
    return `duckdb ${this.file === ':memory:' ? '(in memory)' : path.relative(process.cwd(), this.file) || this.file} as database '${this.database}'`;
  }

  get databaseFile(): string {
    return this.file;
  }

  async open(): Promise<void> {
    if (this.instance) return;
    const settings: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.target.settings)) settings[k] = String(v);
    // A bounded buffer pool by default: DuckDB spills to the temp directory beyond it, so a
    // large build stays within a predictable memory budget (DuckDB's own default is 80% of RAM).
    settings.memory_limit ??= defaultMemoryLimit();
    if (this.file !== ':memory:') {
      mkdirSync(path.dirname(this.file), { recursive: true });
      // Spill beside the database, not in the working directory.
      settings.temp_directory ??= path.join(path.dirname(this.file), '.duckdb_tmp');
    }
    try {
      this.instance = await DuckDBInstance.create(':memory:', settings);
      const boot = await this.instance.connect();
      for (const ext of this.target.extensions) await boot.run(`load ${duckDbDialect.quoteIdentifier(ext)}`);
      const fileLiteral = duckDbDialect.stringLiteral(this.file);
      await boot.run(`attach if not exists ${fileLiteral} as ${duckDbDialect.quoteIdentifier(this.database)}`);
      for (const a of this.target.attach) {
        const file = path.resolve(this.projectDir, a.path);
        const alias = a.alias ?? path.basename(file).replace(/\.[^.]*$/, '');
        await boot.run(
          `attach if not exists ${duckDbDialect.stringLiteral(file)} as ${duckDbDialect.quoteIdentifier(alias)}${a.read_only ? ' (read_only)' : ''}`,
        );
      }
      boot.closeSync();
    } catch (e) {
      this.instance?.closeSync();
      this.instance = undefined;
      throw this.openError(e);
    }
    const instance = this.instance;
    this.pool = new Pool(this.target.threads, async () => {
      const raw = await instance.connect();
      await raw.run(`use ${duckDbDialect.quoteIdentifier(this.database)}`);
      return new DuckDbConnection(raw);
    });
  }

  private openError(e: unknown): ProjectError {
    const msg = e instanceof Error ? e.message : String(e);
    const lock = /Conflicting lock is held in (.*?) \(PID (\d+)\)/.exec(msg);
    if (lock) {
      const pid = lock[2]!;
      return new ProjectError(
        'connection',
        `the database file ${this.file} is in use: another build or server holds it (PID ${pid}: ${commandOf(pid) ?? lock[1]})`,
        {
          hint: 'DuckDB allows one process per file, so this run stopped before writing anything; run it again when the other one has finished, or stop that one',
        },
      );
    }
    if (/Could not set lock/.test(msg)) {
      return new ProjectError('connection', `the database file ${this.file} is locked by another process`, {
        hint: 'wait for the other build or server to finish, or stop it',
      });
    }
    return new ProjectError('connection', `cannot open DuckDB database ${this.file}: ${msg}`);
  }

  async close(): Promise<void> {
    await this.pool?.drain((c) => c.raw.closeSync());
    this.pool = undefined;
    this.instance?.closeSync();
    this.instance = undefined;
  }

  async withConnection<T>(fn: (conn: Connection) => Promise<T>): Promise<T> {
    if (!this.pool) throw new Error('adapter is not open');
    return this.pool.use(fn);
  }

  async listRelations(database: string, schema: string): Promise<Map<string, RelationType>> {
    return this.withConnection(async (c) => {
      const r = await c.execute(this.dialect.listRelationsSql(database, schema));
      return new Map(r.rows.map((row) => [String(row[0]).toLowerCase(), row[1] as RelationType]));
    });
  }

  async ensureSchema(database: string, schema: string): Promise<void> {
    await this.withConnection((c) => c.execute(this.dialect.createSchema(database, schema)));
  }

  async loadSeed(conn: Connection, relation: RelationName, columns: SeedColumn[], rows: (string | null)[][]): Promise<number> {
    const d = this.dialect;
    const tmp = { ...relation, identifier: `${relation.identifier}__model_tmp` };
    const existing = await this.relationType(conn, relation);
    const c = conn as DuckDbConnection;
    await c.control('begin transaction');
    try {
      await c.execute(d.createTable(tmp, columns));
      const batch = Math.max(1, Math.floor(2000 / Math.max(1, columns.length)));
      const casts = columns.map((col) => `cast(? as ${col.type})`).join(', ');
      for (let i = 0; i < rows.length; i += batch) {
        const chunk = rows.slice(i, i + batch);
        const sql = `insert into ${d.qualify(tmp)} values ${chunk.map(() => `(${casts})`).join(', ')}`;
        await c.execute(sql, chunk.flat());
      }
      for (const s of d.swapTable(tmp, relation, existing)) await c.execute(s);
      await c.control('commit');
    } catch (e) {
      await c.control('rollback').catch(() => undefined);
      throw e;
    }
    return rows.length;
  }

  async loadFile(conn: Connection, relation: RelationName, file: ExternalFile, expectedColumns: string[]): Promise<{ rows: number; columns: ColumnInfo[] }> {
    const d = this.dialect;
    const tmp = { ...relation, identifier: `${relation.identifier}__model_tmp` };
    const existing = await this.relationType(conn, relation);
    const lit = d.stringLiteral(file.path);
    const reader = file.format === 'parquet' ? `read_parquet(${lit})` : `read_csv(${lit}, header = true, all_varchar = true)`;
    const c = conn as DuckDbConnection;
    await c.control('begin transaction');
    try {
      const created = await c.execute(d.createTableAs(tmp, `select * from ${reader}`));
      const described = await c.execute(`describe ${d.qualify(tmp)}`);
      const columns = described.rows.map((r) => ({ name: String(r[0]), type: String(r[1]) }));
      const missing = missingColumns(
        expectedColumns,
        columns.map((col) => col.name),
      );
      if (missing.length)
        throw new ColumnMismatchError(
          missing,
          columns.map((col) => col.name),
        );
      for (const s of d.swapTable(tmp, relation, existing)) await c.execute(s);
      await c.control('commit');
      return { rows: created.rowsAffected ?? 0, columns };
    } catch (e) {
      await c.control('rollback').catch(() => undefined);
      throw e;
    }
  }

  async relationType(conn: Connection, rel: RelationName): Promise<RelationType | null> {
    const r = await conn.execute(
      `select case when table_type = 'VIEW' then 'view' else 'table' end from information_schema.tables
       where table_catalog = ? and table_schema = ? and table_name = ?`,
      [rel.database, rel.schema, rel.identifier],
    );
    return (r.rows[0]?.[0] as RelationType | undefined) ?? null;
  }

  async cancelAll(): Promise<void> {
    this.pool?.forEachBusy((c) => c.raw.interrupt());
  }
}
