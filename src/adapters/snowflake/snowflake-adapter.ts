import { rmSync } from 'node:fs';
import type { Column, Connection as SdkConnection, ConnectionOptions, RowStatement, SnowflakeError } from 'snowflake-sdk';
import { ProjectError } from '../../core/errors.js';
import type { SnowflakeTarget } from '../../project/profiles.js';
import { redact } from '../../core/secrets.js';
import type { AccessCheck, Adapter, Connection, ExternalFile, PlannedWrite, QueryResult, SeedColumn, StagedFiles } from '../../warehouse/adapter.js';
import type { RelationName, RelationType } from '../../warehouse/dialect.js';
import { Pool } from '../pool.js';
import { checkBuildAccess } from './access-checks.js';
import { authOptions } from './auth-options.js';
import { BuildLock } from './build-lock.js';
import { newPartsDir, writeFileParts, writeRowParts } from './csv-parts.js';
import { describeMissing, ensureDatabaseAndSchema, missingPrivilege } from './privileges.js';
import { loadParts, loadStagedFiles, type StageLoadContext } from './stage-load.js';
import { snowflakeDialect } from './snowflake-dialect.js';

type Sdk = typeof import('snowflake-sdk');
type Bind = string | number | boolean | null;

let sdkPromise: Promise<Sdk> | undefined;

/** Imports snowflake-sdk on first use, after turning off its cloud-metadata probing. */
function loadSdk(): Promise<Sdk> {
  // Without this the SDK probes 169.254.169.254 and cloud identity endpoints when imported.
  process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION = 'true';
  process.env.SF_TELEMETRY_DISABLE_CONNECTION_SHAPE ??= '1';
  sdkPromise ??= import('snowflake-sdk').then((m) => {
    const sdk = ((m as { default?: Sdk }).default ?? m) as Sdk;
    sdk.configure({ logLevel: 'OFF', additionalLogToConsole: false });
    return sdk;
  });
  return sdkPromise;
}

/** Bind values per array-bound INSERT: well under the SDK's 100k threshold, above which it stages files with PUT. */
const BINDS_PER_INSERT = 50_000;

/**
 * Session settings pinned at every login, so that an account's or user's own settings cannot change
 * an answer: the output formats the normalisation below relies on, the input formats string
 * casts use (a non-AUTO TIMESTAMP_INPUT_FORMAT turns other timestamps into NULL), the time zone
 * and the week numbering (docs.snowflake.com/en/sql-reference/parameters).
 */
const SESSION_FORMATS: [string, string][] = [
  ['timestamp_input_format', 'AUTO'],
  ['date_input_format', 'AUTO'],
  ['time_input_format', 'AUTO'],
  ['timezone', 'UTC'],
  ['week_start', '0'],
  ['week_of_year_policy', '0'],
  ['date_output_format', 'YYYY-MM-DD'],
  ['time_output_format', 'HH24:MI:SS.FF9'],
  ['timestamp_ntz_output_format', 'YYYY-MM-DD HH24:MI:SS.FF9'],
  ['timestamp_ltz_output_format', 'YYYY-MM-DD HH24:MI:SS.FF9 TZH:TZM'],
  ['timestamp_tz_output_format', 'YYYY-MM-DD HH24:MI:SS.FF9 TZH:TZM'],
];

/** `12:00:00.500000000` → `12:00:00.5`; `.000000000` → nothing. */
function trimFraction(text: string): string {
  return text.replace(/\.(\d*?)0+(?=$|\s|[+-]\d)/, (_, kept: string) => (kept ? `.${kept}` : ''));
}

function normaliseValue(column: Column, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (column.getType()) {
    case 'fixed':
    case 'real': {
      const text = String(value);
      const n = Number(text);
      // Keep the exact text when a number would lose digits.
      if (!Number.isFinite(n)) return text;
      if (/^-?\d+$/.test(text) && !Number.isSafeInteger(n)) return text;
      return n;
    }
    case 'date':
      return String(value);
    case 'time':
    case 'timestamp_ntz':
    case 'timestamp_ltz':
    case 'timestamp_tz':
      return trimFraction(String(value));
    default:
      return value;
  }
}

function columnType(c: Column): string {
  const t = c.getType().toUpperCase();
  if (t === 'FIXED') return `NUMBER(${c.getPrecision() ?? 38},${c.getScale() ?? 0})`;
  if (t === 'REAL') return 'FLOAT';
  if (t === 'TEXT') return 'VARCHAR';
  return t;
}

/** The SDK's error as a plain Error with Snowflake's message and code, and no secret. */
/** Whose privileges a session uses, and its default database and schema: for messages about missing grants. */
export interface SessionContext {
  role: string;
  database: string;
  schema: string;
}

function sqlFailure(err: SnowflakeError, sql: string, session?: SessionContext): Error {
  const code = err.code !== undefined ? ` (${err.code}${err.sqlState ? `, SQL state ${err.sqlState}` : ''})` : '';
  // 4010xx: the request itself failed (network, 5xx) after the SDK's own retries.
  const network = /^4010\d\d$/.test(String(err.code)) ? 'Snowflake did not answer, even after retries: ' : '';
  const missing = session && missingPrivilege(`${err.code ?? ''} ${err.message}`, sql, session.role, session.database, session.schema);
  const why = missing ? describeMissing(missing) : undefined;
  const text = why ? `${why.message}; ${why.hint} (Snowflake: ${String(err.message).replace(/\s+/g, ' ')}${code})` : `${network}${err.message}${code}`;
  const e = new Error(redact(text));
  (e as Error & { sql?: string }).sql = redact(sql);
  return e;
}

class SnowflakeConnection implements Connection {
  private running: RowStatement | undefined;
  private tag: string | undefined;

  constructor(
    readonly raw: SdkConnection,
    private readonly baseTag: string | undefined,
    private readonly session?: SessionContext,
  ) {}

  private run(sql: string, binds?: Bind[]): Promise<QueryResult> {
    return new Promise((resolve, reject) => {
      this.running = this.raw.execute({
        sqlText: sql,
        ...(binds?.length ? { binds: binds as never } : {}),
        rowMode: 'array',
        // Numbers and dates arrive as text and are normalised here: no float rounding, no time zones.
        fetchAsString: ['Number', 'Date', 'JSON'],
        complete: (err, stmt, rows) => {
          this.running = undefined;
          if (err) return reject(sqlFailure(err, sql, this.session));
          const cols = stmt.getColumns() ?? [];
          const out = ((rows ?? []) as unknown[][]).map((row) => row.map((v, i) => normaliseValue(cols[i]!, v)));
          const result: QueryResult = { columns: cols.map((c) => ({ name: c.getName(), type: columnType(c) })), rows: out };
          const updated = stmt.getNumUpdatedRows();
          if (typeof updated === 'number' && updated >= 0 && /^\s*(insert|update|delete|merge)\b/i.test(sql)) result.rowsAffected = updated;
          resolve(result);
        },
      }) as RowStatement;
    });
  }

  execute(sql: string, binds?: Bind[]): Promise<QueryResult> {
    return this.run(sql, binds);
  }

  /**
   * Snowflake commits DDL on its own, so there is no transaction to wrap DDL in: statements run
   * in order, and readers are protected by building under a temporary name and swapping it in.
   * Two or more DML statements in a row (an incremental delete+insert) run in one transaction.
   */
  async executeAtomic(statements: string[]): Promise<QueryResult[]> {
    const out: QueryResult[] = [];
    const isDml = (s: string | undefined) => s !== undefined && /^\s*(insert|update|delete|merge)\b/i.test(s);
    for (let i = 0; i < statements.length; i++) {
      if (!isDml(statements[i]) || !isDml(statements[i + 1])) {
        out.push(await this.execute(statements[i]!));
        continue;
      }
      await this.execute('begin');
      try {
        while (isDml(statements[i])) out.push(await this.execute(statements[i++]!));
        await this.execute('commit');
      } catch (e) {
        await this.execute('rollback').catch(() => undefined);
        throw e;
      }
      i--;
    }
    return out;
  }

  async cancel(): Promise<void> {
    const stmt = this.running;
    if (!stmt) return;
    await new Promise<void>((resolve) => stmt.cancel(() => resolve()));
  }

  async setQueryTag(tag: string | undefined): Promise<void> {
    const full = [this.baseTag, tag].filter(Boolean).join(' ') || undefined;
    if (full === this.tag) return;
    await this.execute(
      full === undefined ? 'alter session unset query_tag' : `alter session set query_tag = ${snowflakeDialect.stringLiteral(full.slice(0, 2000))}`,
    );
    this.tag = full;
  }

  destroy(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.raw.isUp()) return resolve();
      this.raw.destroy(() => resolve());
    });
  }
}

export class SnowflakeAdapter implements Adapter {
  readonly type = 'snowflake' as const;
  readonly dialect = snowflakeDialect;
  private pool: Pool<SnowflakeConnection> | undefined;
  private lock: { lock: BuildLock; conn: SnowflakeConnection } | undefined;
  private lockLost = false;
  /** Bumped by cancelAll(): a load started before stops at its next step. */
  private cancelGeneration = 0;

  constructor(
    private readonly target: SnowflakeTarget,
    private readonly database: string,
    private readonly projectDir: string,
  ) {}

  /** Where the client connects: the override, or the account's own endpoint. */
  private get endpoint(): string {
    return this.target.access_url ?? `https://${this.target.account}.snowflakecomputing.com`;
  }

  describe(): string {
    const t = this.target;
    const parts = [`snowflake account '${t.account}' as user '${t.user}'`, `database '${this.database}'`];
    if (t.warehouse) parts.push(`warehouse '${t.warehouse}'`);
    if (t.role) parts.push(`role '${t.role}'`);
    if (t.access_url) parts.push(`at ${t.access_url}`);
    return redact(parts.join(', '));
  }

  private async connectionOptions(): Promise<ConnectionOptions> {
    const t = this.target;
    const options: Record<string, unknown> = {
      account: t.account,
      username: t.user,
      database: this.database,
      // Sessions start in the target's schema, as dbt-snowflake's connect does: unqualified names in
      // hooks and run_query() resolve there (not in PUBLIC).
      schema: t.schema,
      application: 'model',
      // A login that fails is reported at once instead of retried for minutes.
      sfRetryMaxLoginRetries: 1,
      // No `timeout` here: it bounds every HTTP request, and Snowflake holds a query request open
      // for up to ~45 s before answering "still running", so a short one would fail long queries.
      // The login is bounded by login_timeout below instead.
      representNullAsStringNull: false,
      arrayBindingThreshold: BINDS_PER_INSERT * 2,
    };
    if (t.access_url) options.accessUrl = t.access_url;
    if (t.warehouse) options.warehouse = t.warehouse;
    if (t.role) options.role = t.role;
    // On by default (dbt-snowflake defaults it off): a long build outlives an idle session's four hours otherwise.
    options.clientSessionKeepAlive = t.client_session_keep_alive ?? true;
    Object.assign(options, await authOptions(t, this.projectDir, this.endpoint, (m) => process.stderr.write(`${redact(m)}\n`)));
    return options as unknown as ConnectionOptions;
  }

  private async login(): Promise<SnowflakeConnection> {
    const sdk = await loadSdk();
    const raw = sdk.createConnection(await this.connectionOptions());
    const seconds = this.target.login_timeout;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        new Promise<void>((resolve, reject) => raw.connect((err) => (err ? reject(err) : resolve()))),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${seconds} s`), { code: 'TIMEOUT' })), seconds * 1000);
        }),
      ]);
    } catch (e) {
      // A login still in flight (no answer yet) is queued for logout, should it succeed later.
      try {
        raw.destroy(() => undefined);
      } catch {
        // never connected: nothing to log out of
      }
      throw this.loginError(e as SnowflakeError);
    } finally {
      clearTimeout(timer);
    }
    const conn = new SnowflakeConnection(raw, this.target.query_tag, {
      role: this.target.role ?? "the user's default role",
      database: this.database,
      schema: this.target.schema,
    });
    const pinned = new Map(SESSION_FORMATS.map(([k, v]) => [k, /^\d+$/.test(v) ? v : snowflakeDialect.stringLiteral(v)]));
    if (this.target.query_timeout) pinned.set('statement_timeout_in_seconds', String(this.target.query_timeout));
    for (const [k, v] of Object.entries(this.target.session_parameters)) {
      pinned.set(k.toLowerCase(), typeof v === 'string' ? snowflakeDialect.stringLiteral(v) : String(v));
    }
    const settings = [...pinned].map(([k, v]) => `${k} = ${v}`);
    await conn.execute(`alter session set ${settings.join(', ')}`);
    await conn.setQueryTag(undefined);
    return conn;
  }

  private loginError(err: SnowflakeError & { code?: unknown }): ProjectError {
    const t = this.target;
    const detail = redact(String(err.message ?? err)).trim();
    const code = String(err.code ?? '');
    const who = `user '${t.user}' on account '${t.account}'`;
    if (code === '390100' || code === '390144' || /incorrect username or password|jwt|private key/i.test(detail)) {
      return new ProjectError('connection', redact(`Snowflake refused the login of ${who}: ${detail}`), {
        hint: 'check the credentials the target reads (SNOWFLAKE_USER, SNOWFLAKE_PASSWORD or the private key)',
      });
    }
    // 401001: no connection; 401002: the request failed (no route, or an HTTP error status).
    if (
      code === 'TIMEOUT' ||
      /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH|socket hang up|Network error/i.test(detail) ||
      code === '401001' ||
      code === '401002'
    ) {
      return new ProjectError('connection', redact(`cannot reach Snowflake at ${this.endpoint} (${who}): ${detail}`), {
        hint: 'check the account name, SNOWFLAKE_ACCESS_URL and the network',
      });
    }
    return new ProjectError('connection', redact(`cannot connect to Snowflake as ${who}: ${detail}${code ? ` (${code})` : ''}`));
  }

  async open(): Promise<void> {
    if (this.pool) return;
    const pool = new Pool(this.target.threads, () => this.login());
    // Log in once now, so bad credentials or an unreachable account fail before any work starts.
    try {
      await pool.use(async () => undefined);
    } catch (e) {
      if (e instanceof ProjectError) throw e;
      throw new ProjectError('connection', redact(`cannot start a Snowflake session at ${this.endpoint}: ${e instanceof Error ? e.message : String(e)}`));
    }
    this.pool = pool;
  }

  /** Takes the build lock on its own session, so its heartbeat never waits behind a long query. */
  async lockForWrites(log: (message: string) => void): Promise<void> {
    if (this.lock) return;
    const conn = await this.login();
    const lock = new BuildLock(conn, {
      database: this.database,
      schema: this.target.schema,
      waitSeconds: this.target.lock_timeout,
      staleSeconds: this.target.lock_stale_after,
      log,
      onLost: () => {
        this.lockLost = true;
        void this.cancelAll();
      },
    });
    try {
      await lock.acquire();
    } catch (e) {
      await conn.destroy();
      if (e instanceof ProjectError) throw e;
      const message = e instanceof Error ? e.message : String(e);
      throw new ProjectError('connection', redact(`cannot take the build lock in ${this.database}.${this.target.schema}: ${message}`), {
        // 000606: the session has no warehouse (none in the target and no DEFAULT_WAREHOUSE for the user).
        hint: message.includes('(000606,')
          ? 'set warehouse: in the target (SNOWFLAKE_WAREHOUSE in the shipped profile), or give the user a DEFAULT_WAREHOUSE'
          : 'the user needs the right to create and update a table in that schema',
      });
    }
    this.lock = { lock, conn };
  }

  async close(): Promise<void> {
    if (this.lock) {
      await this.lock.lock.release();
      await this.lock.conn.destroy();
      this.lock = undefined;
    }
    await this.pool?.drain((c) => c.destroy());
    this.pool = undefined;
  }

  async withConnection<T>(fn: (conn: Connection) => Promise<T>): Promise<T> {
    if (!this.pool) throw new Error('adapter is not open');
    if (this.lockLost) {
      throw new ProjectError(
        'connection',
        `another build took over the build lock of ${this.database}.${this.target.schema} (this one stalled longer than lock_stale_after, ${this.target.lock_stale_after} s); stopped writing`,
        {
          hint: 'raise lock_stale_after in the target if builds stall that long',
        },
      );
    }
    return this.pool.use(fn);
  }

  async listRelations(database: string, schema: string): Promise<Map<string, RelationType>> {
    return this.withConnection(async (c) => {
      const r = await c.execute(this.dialect.listRelationsSql(database, schema));
      return new Map(r.rows.map((row) => [String(row[0]).toLowerCase(), row[1] as RelationType]));
    });
  }

  async ensureSchema(database: string, schema: string): Promise<void> {
    // Only what is missing is created: Snowflake asks for CREATE DATABASE / CREATE SCHEMA even when it exists.
    await this.withConnection((c) => ensureDatabaseAndSchema(c, database, schema));
  }

  private stageContext(): StageLoadContext {
    const generation = this.cancelGeneration;
    return {
      dialect: this.dialect,
      checkCancelled: () => {
        if (this.cancelGeneration !== generation) throw new Error('SQL execution canceled: the load was interrupted');
      },
    };
  }

  /** Seeds and files go through a temporary stage (stage-load.ts), the parts in a folder removed afterwards. */
  private async withParts<T>(fn: (dir: string) => Promise<T>): Promise<T> {
    const dir = newPartsDir();
    try {
      return await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async loadSeed(conn: Connection, relation: RelationName, columns: SeedColumn[], rows: (string | null)[][]): Promise<number> {
    return this.withParts((dir) => loadParts(conn, this.stageContext(), relation, columns, writeRowParts(dir, rows)));
  }

  async loadFile(conn: Connection, relation: RelationName, file: ExternalFile, expectedColumns: string[]): ReturnType<Adapter['loadFile']> {
    return this.withParts(async (dir) => {
      const ctx = this.stageContext();
      const { columns, parts } = await writeFileParts(dir, file, expectedColumns, ctx.checkCancelled);
      const rows = await loadParts(conn, ctx, relation, columns, parts);
      return { rows, columns, uploaded: { files: parts.parts.length, bytes: parts.parts.reduce((n, p) => n + p.bytes, 0) } };
    });
  }

  async loadStaged(conn: Connection, relation: RelationName, files: StagedFiles, columns: SeedColumn[]): Promise<number> {
    return loadStagedFiles(conn, this.stageContext(), relation, files, columns);
  }

  async checkAccess(writes: PlannedWrite[]): Promise<AccessCheck[]> {
    const t = this.target;
    return this.withConnection((c) =>
      checkBuildAccess(c, { role: t.role, warehouse: t.warehouse, user: t.user, database: this.database, schema: t.schema }, writes),
    );
  }

  async cancelAll(): Promise<void> {
    this.cancelGeneration++;
    const running: Promise<void>[] = [];
    this.pool?.forEachBusy((c) => running.push(c.cancel()));
    await Promise.all(running);
  }
}
