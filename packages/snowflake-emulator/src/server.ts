// A loopback HTTP server that speaks the parts of Snowflake's REST protocol the
// Node `snowflake-sdk` uses, running the SQL on an in-memory DuckDB. Each
// Snowflake session gets its own DuckDB connection (own USE context, temp
// tables and macros) on one shared instance.

import { createHash, randomBytes, randomUUID, verify, type KeyObject } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DuckDBInstance, type DuckDBConnection, type DuckDBResultReader, type DuckDBValue } from '@duckdb/node-api';
import { AccessControl, AccessDenied, type CatalogView, type SessionView } from './access-control.js';
import { copyInto } from './copy-into.js';
import { IdentityProvider, type IdentityOptions } from './identity-provider.js';
import { applyInputFormats } from './input-formats.js';
import { checkLogin } from './login.js';
import { applySessionFunctions } from './session-functions.js';
import { encodeResult, fixedColumn, textColumn, type RowSet, type RowType } from './encode.js';
import { StageStore, type StageSession } from './stages.js';
import { RAISED_ERROR } from './sql-error.js';
import { decodeName, encodeName, tryCastInputError } from './strict.js';
import { quoteIdent } from './tokenizer.js';
import { SNOWFLAKE_FUNCTIONS } from './snowflake-functions.js';
import {
  ARRAY_BINDS_TABLE,
  arrayInsertAsSelect,
  DEFAULT_TIMEZONE,
  NO_DATABASE_CATALOG,
  normalizeIdentifier,
  SESSION_SETUP_SQL,
  STATEMENT_TYPE,
  translate,
  TranslationError,
  type Translation,
} from './translate.js';

export interface FaultPlan {
  /** answer HTTP 503 to the next N matching requests (the SDK retries them with backoff) */
  http503?: number;
  /** destroy the socket of the next N matching requests before doing anything */
  destroySocket?: number;
  /** execute the next N matching queries, then destroy the socket instead of answering */
  destroyAfterExecute?: number;
  /** delay each matching request by this many milliseconds */
  delayMs?: number;
  /** requests the plan applies to; default 'query' (POST /queries/v1/query-request) */
  target?: 'query' | 'login' | 'any';
}

export interface EmulatorStats {
  /** HTTP requests received */
  requests: number;
  logins: number;
  failedLogins: number;
  heartbeats: number;
  /** query requests answered from an earlier execution with the same requestId */
  duplicateRequests: number;
  /** query requests that ran SQL (not counting refused or faulted ones) */
  queries: number;
  /** Snowflake statements executed (a multi-statement request counts each) */
  statements: number;
  /** statements answered with a SQL error */
  errors: number;
  faultsInjected: number;
  /** abort requests that stopped a running statement */
  cancelled: number;
}

export interface StatementLogEntry {
  sessionId: number;
  sql: string;
  ok: boolean;
  code?: string;
}

export interface SnowflakeEmulator {
  /** base URL for the SDK's `accessUrl`, e.g. http://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  readonly stats: Readonly<EmulatorStats>;
  /** Snowflake statements received, in order */
  readonly statementLog: readonly StatementLogEntry[];
  /** number of open sessions */
  readonly sessionCount: number;
  /** every file in every stage, temporary ones included (what a load left behind) */
  stageFiles(): { stage: string; temporary: boolean; file: string; size: number }[];
  /**
   * Ends the sessions that sent nothing for `idleMs` (as Snowflake ends a session whose client
   * died once its tokens expire), dropping their temporary stages once each running statement has ended. Resolves with how many ended.
   */
  expireSessions(idleMs: number): Promise<number>;
  /** runs DuckDB SQL directly on the backing database (for test assertions) */
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** replaces the current fault plan; pass {} to clear it */
  setFaults(plan: FaultPlan): void;
  /** the OAuth server, SSO identity provider, MFA and workload identity (to issue tokens in tests) */
  readonly identity: IdentityProvider;
  close(): Promise<void>;
}

export interface SnowflakeEmulatorOptions {
  port?: number;
  host?: string;
  /** user -> password; user names match case-insensitively, as in Snowflake */
  users?: Record<string, string>;
  /** user -> RSA public key (PEM) for key-pair (SNOWFLAKE_JWT) logins, as ALTER USER … SET RSA_PUBLIC_KEY */
  publicKeys?: Record<string, string>;
  faults?: FaultPlan;
  /** OAuth clients, MFA enrolment, SSO users and OIDC workload identities */
  identity?: IdentityOptions;
  /** folder holding the stages' files; default a new folder under the OS temp dir, removed on close */
  stageRoot?: string;
  /** rows a query answer holds inline; the rest is served in chunks of this many rows (default 2000) */
  resultChunkRows?: number;
}

export const DEFAULT_USERS: Readonly<Record<string, string>> = { model: 'model-password' };

/** `SHA256:<base64>` of a public key's DER form: the fingerprint a key-pair JWT names its key by. */
function keyFingerprint(key: KeyObject): string {
  return `SHA256:${createHash('sha256')
    .update(key.export({ format: 'der', type: 'spki' }))
    .digest('base64')}`;
}

/**
 * Checks a key-pair login token as Snowflake does: an RS256 JWT signed by the user's registered
 * key, issued as `<ACCOUNT>.<USER>.<key fingerprint>` for subject `<ACCOUNT>.<USER>`, not expired.
 * Returns what is wrong, or undefined when the token is good.
 */
export function checkLoginJwt(token: string, account: string, user: string, key: KeyObject, now = Date.now()): string | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return 'not a JWT';
  const [header, payload, signature] = parts as [string, string, string];
  let head: { alg?: unknown };
  let claims: { iss?: unknown; sub?: unknown; exp?: unknown; iat?: unknown };
  try {
    head = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return 'undecodable JWT';
  }
  if (head.alg !== 'RS256') return `algorithm ${String(head.alg)} instead of RS256`;
  if (!verify('sha256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'))) return 'bad signature';
  const subject = `${account.toUpperCase()}.${user.toUpperCase()}`;
  if (claims.sub !== subject) return 'wrong subject';
  if (claims.iss !== `${subject}.${keyFingerprint(key)}`) return 'wrong issuer';
  // The Node driver writes times in milliseconds, other drivers in seconds: accept both.
  const ms = (v: unknown): number => (typeof v === 'number' ? (v > 1e11 ? v : v * 1000) : NaN);
  if (!(ms(claims.exp) > now)) return 'expired';
  if (!(ms(claims.iat) <= now + 60_000)) return 'issued in the future';
  return undefined;
}

interface SnowflakeError {
  code: string;
  sqlState: string;
  message: string;
}

interface Answer {
  rowtype: RowType[];
  rowset: RowSet;
  statementTypeId: number;
  /** extra fields of the answer's data (PUT's transfer instructions) */
  data?: Record<string, unknown>;
}

interface StoredResult {
  sessionId: number;
  answer?: Answer;
  error?: SnowflakeError;
}

interface Session {
  id: number;
  token: string;
  masterToken: string;
  user: string;
  database?: string;
  schema?: string;
  warehouse?: string;
  role?: string;
  conn: DuckDBConnection;
  /** session parameters set at login or by ALTER SESSION */
  params: Map<string, string | number | boolean>;
  /** session variables set by SET (upper-cased names); their values live in DuckDB's SET VARIABLE */
  variables: Set<string>;
  inTransaction: boolean;
  /** USE target last applied to the DuckDB connection */
  applied?: string;
  /** serializes this session's statements on its connection */
  queue: Promise<unknown>;
  /** requestId -> queryId: a retried request gets the first answer instead of running twice */
  requests: Map<string, string>;
  /** the query request running now, which an abort request can stop */
  running?: { requestId: string | null; queryId: string; aborted: boolean };
  /** when the session last sent a request (ms) */
  lastSeen: number;
  /** the `TableKinds.version` this session's macro of transient tables was made from */
  kindsVersion?: number;
  factsVersion?: number;
}

interface Bind {
  type: string;
  value: string | null | (string | null)[];
}

class SqlError extends Error {
  constructor(readonly sf: SnowflakeError) {
    super(sf.message);
  }
}

const sqlError = (code: string, sqlState: string, message: string): SqlError => new SqlError({ code, sqlState, message });

/** Parameters every answer carries; the SDK reads its conversions from them. */
const BASE_PARAMETERS: Record<string, string | number | boolean> = {
  TIMEZONE: DEFAULT_TIMEZONE,
  TIMESTAMP_OUTPUT_FORMAT: 'YYYY-MM-DD HH24:MI:SS.FF3 TZHTZM',
  TIMESTAMP_NTZ_OUTPUT_FORMAT: 'YYYY-MM-DD HH24:MI:SS.FF3',
  TIMESTAMP_LTZ_OUTPUT_FORMAT: '',
  TIMESTAMP_TZ_OUTPUT_FORMAT: '',
  DATE_OUTPUT_FORMAT: 'YYYY-MM-DD',
  TIME_OUTPUT_FORMAT: 'HH24:MI:SS',
  BINARY_OUTPUT_FORMAT: 'HEX',
  CLIENT_RESULT_CHUNK_SIZE: 160,
  CLIENT_SESSION_KEEP_ALIVE: false,
  CLIENT_SESSION_KEEP_ALIVE_HEARTBEAT_FREQUENCY: 3600,
  JS_TREAT_INTEGER_AS_BIGINT: false,
  MULTI_STATEMENT_COUNT: 1,
  QUERY_CONTEXT_CACHE_SIZE: 5,
};

/** Session parameter values arrive as text; the SDK expects booleans and numbers typed. */
function typedParameter(value: unknown): string | number | boolean {
  if (typeof value === 'boolean' || typeof value === 'number') return value;
  const text = String(value);
  if (/^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
  if (/^-?\d+$/.test(text)) return Number(text);
  return text;
}

const MAX_STORED_RESULTS = 1000;

/** Where readBody keeps a form-encoded body's text. */
const FORM_BODY = '__form';

export async function startSnowflakeEmulator(opts: SnowflakeEmulatorOptions = {}): Promise<SnowflakeEmulator> {
  const host = opts.host ?? '127.0.0.1';
  // The users given on the command line (or to this function) are administrators (ACCOUNTADMIN).
  const access = new AccessControl();
  const admins = new Set([...Object.keys(opts.users ?? DEFAULT_USERS), ...Object.keys(opts.publicKeys ?? {})].map((u) => u.toUpperCase()));
  for (const name of admins) {
    const password = Object.entries(opts.users ?? DEFAULT_USERS).find(([u]) => u.toUpperCase() === name)?.[1];
    const key = Object.entries(opts.publicKeys ?? {}).find(([u]) => u.toUpperCase() === name)?.[1];
    access.addAdministrator(name, password, key);
  }
  let faults: FaultPlan = { ...(opts.faults ?? {}) };
  const identity = new IdentityProvider(opts.identity);
  /** ALTER ACCOUNT SET: the defaults every session sees until it sets its own */
  const accountParams = new Map<string, string | number | boolean>();
  let baseUrl = '';

  const instance = await DuckDBInstance.create(':memory:');
  const adminConn = await instance.connect();
  // Sessions without a usable current database sit in this empty catalog, so
  // unqualified names fail to resolve as they do in Snowflake.
  await adminConn.run(`ATTACH ':memory:' AS "${NO_DATABASE_CATALOG}"`);

  const stats: EmulatorStats = {
    requests: 0,
    logins: 0,
    failedLogins: 0,
    heartbeats: 0,
    duplicateRequests: 0,
    queries: 0,
    statements: 0,
    errors: 0,
    faultsInjected: 0,
    cancelled: 0,
  };
  const statementLog: StatementLogEntry[] = [];
  const sessions = new Map<string, Session>();
  const results = new Map<string, StoredResult>();
  let nextSessionId = 1_000_001;
  const stages = new StageStore(opts.stageRoot ?? mkdtempSync(path.join(os.tmpdir(), 'snowflake-emulator-stages-')));
  const chunkRows = opts.resultChunkRows ?? 2000;
  /** result chunks waiting to be downloaded, by `<queryId>/<n>`, with the key that unlocks them */
  const chunks = new Map<string, { key: string; body: Buffer }>();

  // --- catalog helpers ------------------------------------------------------

  /** Actual DuckDB name of a database, matched case-insensitively. */
  async function findDatabase(name: string): Promise<string | undefined> {
    const reader = await adminConn.runAndReadAll('SELECT database_name FROM duckdb_databases() WHERE database_name = $1 AND NOT internal', [encodeName(name)]);
    const found = reader.getRows()[0]?.[0];
    return typeof found === 'string' && found !== NO_DATABASE_CATALOG ? found : undefined;
  }

  async function findSchema(database: string, schema: string): Promise<string | undefined> {
    const reader = await adminConn.runAndReadAll('SELECT schema_name FROM duckdb_schemas() WHERE database_name = $1 AND schema_name = $2', [
      database,
      encodeName(schema),
    ]);
    const found = reader.getRows()[0]?.[0];
    return typeof found === 'string' ? found : undefined;
  }

  const catalog: CatalogView = {
    database: async (name) => (await findDatabase(name)) !== undefined,
    schema: async (database, schema) => {
      const db = await findDatabase(database);
      return db !== undefined && (await findSchema(db, schema)) !== undefined;
    },
    relation: async (database, schema, name) => {
      const db = await findDatabase(database);
      if (!db) return undefined;
      const reader = await adminConn.runAndReadAll(
        'SELECT table_type FROM information_schema.tables WHERE table_catalog = $1 AND lower(table_schema) = lower($2) AND lower(table_name) = lower($3)',
        [db, schema, name],
      );
      const type = reader.getRows()[0]?.[0];
      return type === undefined ? undefined : type === 'VIEW' ? 'VIEW' : 'TABLE';
    },
  };
  const sessionView = (session: Session): SessionView => ({
    user: session.user,
    role: session.role ?? 'PUBLIC',
    ...(session.database ? { database: session.database } : {}),
    ...(session.schema ? { schema: session.schema } : {}),
  });

  /** Points the session's DuckDB connection at its current database and schema, if they exist. */
  async function applyContext(session: Session): Promise<void> {
    const db = session.database ? await findDatabase(session.database) : undefined;
    const schema = db && session.schema ? await findSchema(db, session.schema) : undefined;
    const target = db && schema ? `"${db}"."${schema}"` : `"${NO_DATABASE_CATALOG}"`;
    if (target !== session.applied) {
      await session.conn.run(`USE ${target}`);
      session.applied = target;
    }
  }

  // --- statement execution --------------------------------------------------

  function bindValue(type: string, value: string | null): DuckDBValue {
    if (value === null) return null;
    switch (type.toUpperCase()) {
      case 'FIXED':
        return /^-?\d+$/.test(value) ? BigInt(value) : Number(value);
      case 'REAL':
        return Number(value);
      case 'BOOLEAN':
        return /^(true|1)$/i.test(value);
      default:
        return value;
    }
  }

  /** Bind rows: one row for scalar binds, many for array binds. */
  function bindRows(bindings: Record<string, Bind> | undefined): DuckDBValue[][] {
    if (!bindings) return [[]];
    const ordered = Object.entries(bindings)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([, bind]) => bind);
    const first = ordered[0];
    if (!first || !Array.isArray(first.value)) {
      return [ordered.map((b) => bindValue(b.type, Array.isArray(b.value) ? null : b.value))];
    }
    const count = first.value.length;
    return Array.from({ length: count }, (_, row) => ordered.map((b) => bindValue(b.type, Array.isArray(b.value) ? (b.value[row] ?? null) : b.value)));
  }

  function statusAnswer(message: string, statementTypeId: number): Answer {
    return { rowtype: [textColumn('status')], rowset: [[message]], statementTypeId };
  }

  /** Builds the Snowflake answer from the last DuckDB result of a statement. */
  function answerFrom(reader: DuckDBResultReader, changed: number, tr: Translation): Answer {
    if (tr.statusAnswer) return statusAnswer(tr.status ?? 'Statement executed successfully.', tr.statementTypeId ?? STATEMENT_TYPE.ddl);
    const quoted = new Set(tr.quotedNames);
    switch (reader.statementType) {
      case 2: // INSERT
        return { rowtype: [fixedColumn('number of rows inserted')], rowset: [[String(changed)]], statementTypeId: STATEMENT_TYPE.insert };
      case 3: // UPDATE
        return {
          rowtype: [fixedColumn('number of rows updated'), fixedColumn('number of multi-joined rows updated')],
          rowset: [[String(changed), '0']],
          statementTypeId: STATEMENT_TYPE.update,
        };
      case 5: // DELETE
        return { rowtype: [fixedColumn('number of rows deleted')], rowset: [[String(changed)]], statementTypeId: STATEMENT_TYPE.delete };
      case 30: // MERGE INTO: DuckDB reports only the total
        return { rowtype: [fixedColumn('number of rows merged')], rowset: [[String(changed)]], statementTypeId: STATEMENT_TYPE.merge };
      case 1: // SELECT
      case 4: // EXPLAIN
      case 17: // PRAGMA
      case 19: // CALL
        return { ...encodeResult(reader, quoted), statementTypeId: tr.statementTypeId ?? STATEMENT_TYPE.select };
      default:
        return statusAnswer(tr.status ?? 'Statement executed successfully.', tr.statementTypeId ?? STATEMENT_TYPE.ddl);
    }
  }

  async function runDuckDB(session: Session, sql: string, rows: DuckDBValue[][]): Promise<{ reader: DuckDBResultReader; changed: number }> {
    if (rows.length <= 1) {
      const reader = await session.conn.runAndReadAll(sql, rows[0] && rows[0].length > 0 ? rows[0] : undefined);
      return { reader, changed: reader.rowsChanged };
    }
    // Array binds: one execution per row of a single prepared statement.
    const prepared = await session.conn.prepare(sql);
    let changed = 0;
    let reader: DuckDBResultReader | undefined;
    for (const row of rows) {
      prepared.bind(row);
      reader = await prepared.runAndReadAll();
      changed += reader.rowsChanged;
    }
    return { reader: reader!, changed };
  }

  /**
   * An array-bound INSERT … VALUES run as one INSERT … SELECT from a staging table filled by
   * DuckDB's appender: fast for any number of rows. Undefined when the statement is not of that shape.
   */
  async function runArrayInsert(
    session: Session,
    source: string,
    bindings: Record<string, Bind>,
  ): Promise<{ reader: DuckDBResultReader; changed: number } | undefined> {
    const ordered = Object.entries(bindings)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([, bind]) => bind);
    const rewritten = arrayInsertAsSelect(source, ordered.length);
    if (rewritten === undefined) return undefined;
    const sql = translate(rewritten)[0]!.duckdb;
    if (sql.length !== 1) return undefined;
    const kinds = ordered.map((b) => (b.type.toUpperCase() === 'REAL' ? 'DOUBLE' : b.type.toUpperCase() === 'BOOLEAN' ? 'BOOLEAN' : 'VARCHAR'));
    const columns = kinds.map((k, i) => `"B${i + 1}" ${k}`).join(', ');
    await session.conn.run(`CREATE OR REPLACE TEMP TABLE "${ARRAY_BINDS_TABLE}" (${columns})`);
    try {
      const appender = await session.conn.createAppender(ARRAY_BINDS_TABLE, 'main', 'temp');
      const count = Math.max(...ordered.map((b) => (Array.isArray(b.value) ? b.value.length : 1)));
      for (let row = 0; row < count; row++) {
        for (const [i, b] of ordered.entries()) {
          const v = Array.isArray(b.value) ? (b.value[row] ?? null) : b.value;
          if (v === null) appender.appendNull();
          else if (kinds[i] === 'DOUBLE') appender.appendDouble(Number(v));
          else if (kinds[i] === 'BOOLEAN') appender.appendBoolean(/^(true|1)$/i.test(v));
          else appender.appendVarchar(v);
        }
        appender.endRow();
      }
      appender.closeSync();
      const reader = await session.conn.runAndReadAll(sql[0]!);
      return { reader, changed: reader.rowsChanged };
    } finally {
      await session.conn.run(`DROP TABLE IF EXISTS "temp"."main"."${ARRAY_BINDS_TABLE}"`);
    }
  }

  async function transaction<T>(session: Session, atomic: boolean, body: () => Promise<T>): Promise<T> {
    if (!atomic || session.inTransaction) return body();
    await session.conn.run('BEGIN TRANSACTION');
    try {
      const result = await body();
      await session.conn.run('COMMIT');
      return result;
    } catch (error) {
      await session.conn.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  async function executeStatement(session: Session, tr: Translation, bindings: Record<string, Bind> | undefined): Promise<Answer> {
    await applyContext(session);
    if (session.kindsVersion !== access.kinds.version) {
      await session.conn.run(access.kinds.macroSql());
      session.kindsVersion = access.kinds.version;
    }
    if (session.factsVersion !== access.relationFacts.version) {
      await session.conn.run(access.relationFacts.macroSql());
      session.factsVersion = access.relationFacts.version;
    }
    const hasDatabase = session.applied !== `"${NO_DATABASE_CATALOG}"`;

    if (tr.createTarget && !hasDatabase) {
      const needed = tr.createTarget.kind === 'SCHEMA' ? 2 : 3;
      if (tr.createTarget.parts < needed) {
        throw sqlError(
          '090105',
          '22000',
          `Cannot perform CREATE ${tr.createTarget.kind}. This session does not have a current database. Call 'USE DATABASE', or use a qualified name.`,
        );
      }
    }

    if (tr.access) {
      const answer = access.run(sessionView(session), tr.source);
      return { rowtype: answer.columns.map((c) => textColumn(c)), rowset: answer.rows, statementTypeId: STATEMENT_TYPE.ddl };
    }
    // Queries and DML run on a warehouse; DDL, SHOW, USE and constant SELECTs do not.
    if (tr.needsWarehouse && !session.warehouse) {
      throw sqlError('000606', '57P03', "No active warehouse selected in the current session.  Select an active warehouse with the 'use warehouse' command.");
    }
    // ERROR_ON_NONDETERMINISTIC_MERGE (default TRUE): one target row matched by two source rows.
    if (tr.mergeCheck && !bindings && session.params.get('ERROR_ON_NONDETERMINISTIC_MERGE') !== false) {
      const duplicates = (await session.conn.runAndReadAll(tr.mergeCheck)).getRows()[0]?.[0];
      if (Number(duplicates) > 0) throw sqlError('100090', '42P18', 'Duplicate row detected during DML action');
    }

    if (tr.stageCommand) {
      const ctx: StageSession = { id: session.id, ...(hasDatabase ? { database: session.database!, schema: session.schema! } : {}) };
      if (tr.stageCommand === 'put') return stages.put(ctx, tr.source);
      if (tr.stageCommand === 'list') return stages.list(ctx, tr.source);
      if (tr.stageCommand === 'remove') return stages.remove(ctx, tr.source);
      if (tr.stageCommand === 'copy') return copyInto(stages, ctx, session.conn, tr.source);
      return stages.ddl(ctx, tr.source);
    }

    if (tr.use) {
      const { database, schema, warehouse, role } = tr.use;
      if (role !== undefined) {
        access.useRole(sessionView(session), role);
        session.role = role;
      }
      if (warehouse !== undefined) {
        access.useWarehouse(sessionView(session), warehouse);
        session.warehouse = warehouse;
      }
      if (database !== undefined || schema !== undefined) {
        const db = database ?? session.database;
        const found = db ? await findDatabase(db) : undefined;
        if (!found) throw sqlError('002043', '02000', 'SQL compilation error:\nObject does not exist, or operation cannot be performed.');
        if (schema !== undefined && !(await findSchema(found, schema))) {
          throw sqlError('002043', '02000', 'SQL compilation error:\nObject does not exist, or operation cannot be performed.');
        }
        session.database = decodeName(found);
        // USE DATABASE picks PUBLIC as Snowflake does.
        session.schema = schema ?? 'PUBLIC';
        await applyContext(session);
      }
    }

    if (tr.accountParameters) {
      access.requireAccountAdmin(sessionView(session));
      for (const [name, value] of Object.entries(tr.setParameters ?? {})) {
        if (name === 'TIMEZONE') {
          await adminConn.run(`SELECT TIMEZONE('${value.replaceAll("'", "''")}', TIMESTAMPTZ '2000-01-01')`).catch(() => {
            throw sqlError('002011', '22023', `Invalid value [${value}] for parameter 'TIMEZONE'`);
          });
        }
        accountParams.set(name, typedParameter(value));
      }
      for (const name of tr.unsetParameters ?? []) accountParams.delete(name);
      return statusAnswer(tr.status ?? 'Statement executed successfully.', tr.statementTypeId ?? STATEMENT_TYPE.scl);
    }
    if (tr.setParameters) {
      for (const [name, value] of Object.entries(tr.setParameters)) {
        if (name === 'TIMEZONE') {
          await session.conn.run(`SET TimeZone = '${value.replaceAll("'", "''")}'`).catch(() => {
            throw sqlError('002011', '22023', `Invalid value [${value}] for parameter 'TIMEZONE'`);
          });
        }
        session.params.set(name, typedParameter(value));
      }
    }
    for (const name of tr.unsetParameters ?? []) {
      session.params.delete(name);
      if (name === 'TIMEZONE') await session.conn.run(`SET TimeZone = '${String(accountParams.get('TIMEZONE') ?? DEFAULT_TIMEZONE).replaceAll("'", "''")}'`);
    }

    // $name must be set in this session (docs.snowflake.com/en/sql-reference/session-variables).
    for (const name of tr.variables ?? []) {
      if (!session.variables.has(name)) throw sqlError('002211', '42000', `SQL compilation error:\nSession variable '$${name}' does not exist`);
    }
    if (tr.setVariables) {
      // Each value is computed now, once (a scalar subquery: more than one row is an error).
      for (const { name, query } of tr.setVariables) {
        await session.conn.run(`SET VARIABLE ${quoteIdent(name)} = (${applySessionFunctions(query, session)})`);
        session.variables.add(name);
      }
    }
    for (const name of tr.unsetVariables ?? []) {
      if (session.variables.delete(name)) await session.conn.run(`RESET VARIABLE ${quoteIdent(name)}`);
    }

    if (tr.duckdb.length === 0) return statusAnswer(tr.status ?? 'Statement executed successfully.', tr.statementTypeId ?? STATEMENT_TYPE.scl);

    // Privileges are checked before anything runs; ownership and moved grants are recorded after.
    const record = await access.authorize(sessionView(session), tr.source, catalog);

    // Snowflake makes a newly created database or schema the current one.
    let becomesCurrent: { database: string; schema: string } | undefined;
    if (tr.createsContext) {
      const database = tr.createsContext.database ?? session.database;
      const schema = tr.createsContext.schema!;
      const dbExists = database ? await findDatabase(database) : undefined;
      const exists = dbExists ? await findSchema(dbExists, schema) : undefined;
      if (database && !exists) becomesCurrent = { database, schema };
    }

    const rows = bindRows(bindings);
    // Array binds run in one transaction: all rows land or none (and it is much faster).
    const { reader, changed } = await transaction(session, tr.atomic || rows.length > 1, async () => {
      if (rows.length > 1 && tr.duckdb.length === 1) {
        const batched = await runArrayInsert(session, tr.source, bindings!);
        if (batched) return batched;
      }
      let last: { reader: DuckDBResultReader; changed: number } | undefined;
      const param = (name: string) => String(session.params.get(name) ?? accountParams.get(name) ?? 'AUTO');
      const formats = { timestamp: param('TIMESTAMP_INPUT_FORMAT'), date: param('DATE_INPUT_FORMAT') };
      for (const [i, sql] of tr.duckdb.entries()) {
        last = await runDuckDB(session, applySessionFunctions(applyInputFormats(sql, formats), session), i === tr.duckdb.length - 1 ? rows : [[]]);
      }
      return last!;
    });

    if (tr.statementTypeId === STATEMENT_TYPE.transaction) {
      const first = tr.source.trim().split(/\s+/)[0]!.toUpperCase();
      session.inTransaction = first === 'BEGIN' || first === 'START';
    }
    record();
    if (becomesCurrent) {
      session.database = becomesCurrent.database;
      session.schema = becomesCurrent.schema;
      await applyContext(session);
    }
    return answerFrom(reader, changed, tr);
  }

  // --- HTTP plumbing ----------------------------------------------------------

  function storeResult(queryId: string, result: StoredResult): void {
    results.set(queryId, result);
    if (results.size > MAX_STORED_RESULTS) results.delete(results.keys().next().value!);
  }

  function parameters(session: Session, extra?: Record<string, unknown>): { name: string; value: unknown }[] {
    const merged = new Map<string, unknown>(Object.entries(BASE_PARAMETERS));
    for (const [k, v] of accountParams) merged.set(k, v);
    for (const [k, v] of session.params) merged.set(k, v);
    for (const [k, v] of Object.entries(extra ?? {})) merged.set(k.toUpperCase(), typedParameter(v));
    return [...merged].map(([name, value]) => ({ name, value }));
  }

  function sessionData(session: Session): Record<string, unknown> {
    const current = session.applied !== `"${NO_DATABASE_CATALOG}"`;
    return {
      finalDatabaseName: current ? (session.database ?? null) : null,
      finalSchemaName: current ? (session.schema ?? null) : null,
      finalWarehouseName: session.warehouse ?? null,
      finalRoleName: session.role ?? 'PUBLIC',
    };
  }

  /**
   * A large result as Snowflake returns it: the first rows inline, the rest as chunks the client
   * downloads (from cloud storage there, from this server here) with the `qrmk` key in headers.
   */
  function chunked(queryId: string, rowset: RowSet): { rowset: RowSet; extra: Record<string, unknown> } {
    if (rowset.length <= chunkRows) return { rowset, extra: {} };
    const qrmk = randomBytes(32).toString('base64');
    const list: { url: string; rowCount: number; uncompressedSize: number; compressedSize: number }[] = [];
    for (let start = chunkRows, n = 0; start < rowset.length; start += chunkRows, n++) {
      const rows = rowset.slice(start, start + chunkRows);
      // A chunk's body is its rows as JSON arrays, comma-separated, without the outer brackets.
      const text = Buffer.from(rows.map((r) => JSON.stringify(r)).join(','));
      const body = gzipSync(text);
      chunks.set(`${queryId}/${n}`, { key: qrmk, body });
      list.push({ url: `${baseUrl}/chunks/${queryId}/${n}`, rowCount: rows.length, uncompressedSize: text.length, compressedSize: body.length });
    }
    while (chunks.size > MAX_STORED_RESULTS * 4) chunks.delete(chunks.keys().next().value!);
    return { rowset: rowset.slice(0, chunkRows), extra: { chunks: list, qrmk } };
  }

  function answerBody(session: Session, queryId: string, answer: Answer, extraParams?: Record<string, unknown>): unknown {
    const { rowset, extra } = chunked(queryId, answer.rowset);
    return {
      success: true,
      code: null,
      message: null,
      data: {
        parameters: parameters(session, extraParams),
        rowtype: answer.rowtype,
        rowset,
        ...extra,
        total: answer.rowset.length,
        returned: answer.rowset.length,
        queryId,
        databaseProvider: null,
        ...sessionData(session),
        numberOfBinds: 0,
        arrayBindSupported: false,
        statementTypeId: answer.statementTypeId,
        version: 1,
        sendResultTime: Date.now(),
        queryResultFormat: 'json',
        ...answer.data,
      },
    };
  }

  function errorBody(queryId: string, error: SnowflakeError): unknown {
    return {
      success: false,
      code: error.code,
      message: error.message,
      data: { queryId, errorCode: error.code, sqlState: error.sqlState, internalError: false, age: 0 },
    };
  }

  async function handleLogin(url: URL, body: Record<string, unknown>): Promise<unknown> {
    const data = (body.data ?? {}) as Record<string, unknown>;
    const sessionParams = (data.SESSION_PARAMETERS ?? {}) as Record<string, unknown>;
    const checked = checkLogin(access, identity, data, {
      allowMfaCaching: accountParams.get('ALLOW_CLIENT_MFA_CACHING') === true,
      requestMfaToken: typedParameter(sessionParams.CLIENT_REQUEST_MFA_TOKEN ?? false) === true,
    });
    const user = ('error' in checked ? undefined : checked.user) ?? String(data.LOGIN_NAME ?? '').toUpperCase();
    if ('error' in checked) {
      stats.failedLogins++;
      return { success: false, code: checked.code, message: checked.error, data: { nextAction: 'RETRY_LOGIN', authnMethod: checked.method, loginName: user } };
    }
    const requestedRole = url.searchParams.get('roleName');
    const role = access.loginRole(user, requestedRole ? normalizeIdentifier(requestedRole) : undefined, checked.roleRestriction);
    if ('error' in role) {
      stats.failedLogins++;
      return { success: false, code: '390189', message: role.error, data: { nextAction: 'RETRY_LOGIN', loginName: user } };
    }
    const conn = await instance.connect();
    for (const sql of SESSION_SETUP_SQL) await conn.run(sql);
    const accountZone = accountParams.get('TIMEZONE');
    if (accountZone !== undefined) await conn.run(`SET TimeZone = '${String(accountZone).replaceAll("'", "''")}'`);
    const param = (name: string): string | undefined => {
      const value = url.searchParams.get(name);
      return value ? normalizeIdentifier(value) : undefined;
    };
    const session: Session = {
      id: nextSessionId++,
      token: `ver:1-hint:emulator-ETMsDgAAA${randomBytes(24).toString('base64url')}`,
      masterToken: `ver:1-hint:emulator-master-${randomBytes(24).toString('base64url')}`,
      user: user.toUpperCase(),
      database: param('databaseName'),
      // A database without an explicit schema starts in PUBLIC.
      schema: param('schemaName') ?? (param('databaseName') ? 'PUBLIC' : undefined),
      warehouse: param('warehouse'),
      role: role.role,
      conn,
      params: new Map(Object.entries((data.SESSION_PARAMETERS ?? {}) as Record<string, unknown>).map(([k, v]) => [k.toUpperCase(), typedParameter(v)])),
      variables: new Set(),
      inTransaction: false,
      queue: Promise.resolve(),
      requests: new Map(),
      lastSeen: Date.now(),
    };
    // A warehouse the role may not use is left out, without an error: queries then fail with 000606.
    if (session.warehouse) {
      try {
        access.useWarehouse(sessionView(session), session.warehouse);
      } catch {
        session.warehouse = undefined;
      }
    }
    await applyContext(session);
    sessions.set(session.token, session);
    stats.logins++;
    const info = sessionData(session);
    return {
      success: true,
      code: null,
      message: null,
      data: {
        token: session.token,
        masterToken: session.masterToken,
        validityInSeconds: 3600,
        masterValidityInSeconds: 14400,
        displayUserName: session.user,
        serverVersion: '9.0.0-emulator',
        firstLogin: false,
        remMeToken: null,
        remMeValidityInSeconds: 0,
        healthCheckInterval: 45,
        newClientForUpgrade: null,
        sessionId: session.id,
        parameters: parameters(session),
        sessionInfo: {
          databaseName: info.finalDatabaseName,
          schemaName: info.finalSchemaName,
          warehouseName: info.finalWarehouseName,
          roleName: info.finalRoleName,
        },
        idToken: null,
        idTokenValidityInSeconds: 0,
        responseData: null,
        mfaToken: checked.mfaToken?.token ?? null,
        mfaTokenValidityInSeconds: checked.mfaToken?.seconds ?? 0,
      },
    };
  }

  /** Runs one query request; statements of a session run one at a time. */
  function handleQuery(session: Session, body: Record<string, unknown>, requestId: string | null): Promise<unknown> {
    const run = session.queue.then(() => {
      // The SDK resends a request whose answer got lost with the same requestId;
      // Snowflake answers it from the first execution rather than running it again.
      const earlier = requestId ? session.requests.get(requestId) : undefined;
      if (earlier) {
        stats.duplicateRequests++;
        return resultById(session, earlier);
      }
      return runQuery(session, body, requestId);
    });
    session.queue = run.catch(() => undefined);
    return run;
  }

  async function runQuery(session: Session, body: Record<string, unknown>, requestId: string | null): Promise<unknown> {
    stats.queries++;
    const queryId = randomUUID();
    if (requestId) {
      session.requests.set(requestId, queryId);
      if (session.requests.size > MAX_STORED_RESULTS) session.requests.delete(session.requests.keys().next().value!);
    }
    const running = (session.running = { requestId, queryId, aborted: false });
    try {
      return await runStatements(session, body, queryId, running);
    } finally {
      session.running = undefined;
    }
  }

  async function runStatements(session: Session, body: Record<string, unknown>, queryId: string, running: { aborted: boolean }): Promise<unknown> {
    const sqlText = String(body.sqlText ?? '');
    const requestParams = (body.parameters ?? {}) as Record<string, unknown>;
    const bindings = body.bindings as Record<string, Bind> | undefined;
    const log = (sql: string, error?: SnowflakeError): void => {
      stats.statements++;
      if (error) stats.errors++;
      statementLog.push({ sessionId: session.id, sql, ok: !error, ...(error ? { code: error.code } : {}) });
    };
    const fail = (error: SnowflakeError): unknown => {
      if (running.aborted) error = { code: '000604', sqlState: '57014', message: 'SQL execution canceled' };
      storeResult(queryId, { sessionId: session.id, error });
      return errorBody(queryId, error);
    };

    let translations: Translation[];
    try {
      translations = translate(sqlText);
    } catch (error) {
      const sf = toSnowflakeError(error);
      log(sqlText, sf);
      return fail(sf);
    }
    if (translations.length === 0) {
      const sf = { code: '000900', sqlState: '42000', message: 'Empty SQL statement.' };
      log(sqlText, sf);
      return fail(sf);
    }

    if (translations.length > 1) {
      const wanted = Number(requestParams.MULTI_STATEMENT_COUNT ?? session.params.get('MULTI_STATEMENT_COUNT') ?? 1);
      if (wanted !== 0 && wanted !== translations.length) {
        const sf = {
          code: '000008',
          sqlState: '0A000',
          message: `Actual statement count ${translations.length} did not match the desired statement count ${wanted}.`,
        };
        log(sqlText, sf);
        return fail(sf);
      }
      // Each statement gets its own result, fetched by the client one by one.
      const ids: string[] = [];
      for (const tr of translations) {
        const childId = randomUUID();
        try {
          const answer = await executeStatement(session, tr, undefined);
          log(tr.source);
          storeResult(childId, { sessionId: session.id, answer });
          ids.push(childId);
        } catch (error) {
          const sf = toSnowflakeError(error);
          log(tr.source, sf);
          return fail(sf);
        }
      }
      const answer: Answer = {
        rowtype: [textColumn('multiple statement execution')],
        rowset: [['Multiple statements executed successfully.']],
        statementTypeId: STATEMENT_TYPE.select,
      };
      storeResult(queryId, { sessionId: session.id, answer });
      const reply = answerBody(session, queryId, answer, requestParams) as { data: Record<string, unknown> };
      reply.data.resultIds = ids.join(',');
      return reply;
    }

    const tr = translations[0]!;
    try {
      const answer = await executeStatement(session, tr, bindings);
      log(tr.source);
      storeResult(queryId, { sessionId: session.id, answer });
      return answerBody(session, queryId, answer, requestParams);
    } catch (error) {
      const sf = toSnowflakeError(error);
      log(tr.source, sf);
      return fail(sf);
    }
  }

  /** Stops the session's running statement when it is the one named (by query id or request id). */
  function abort(session: Session, queryId: string | undefined, requestId: unknown): unknown {
    const running = session.running;
    if (running && !running.aborted && (queryId ? running.queryId === queryId : requestId !== undefined && running.requestId === String(requestId))) {
      running.aborted = true;
      stats.cancelled++;
      session.conn.interrupt();
    }
    return ok;
  }

  function resultById(session: Session, queryId: string): unknown {
    const stored = results.get(queryId);
    if (!stored || stored.sessionId !== session.id) {
      return errorBody(queryId, { code: '000709', sqlState: '02000', message: `Statement ${queryId} not found` });
    }
    if (stored.error) return errorBody(queryId, stored.error);
    return answerBody(session, queryId, stored.answer!);
  }

  function queryStatus(queryId: string): unknown {
    const stored = results.get(queryId);
    const status = !stored ? 'NO_DATA' : stored.error ? 'FAILED_WITH_ERROR' : 'SUCCESS';
    return {
      success: true,
      code: null,
      message: null,
      data: {
        queries: stored ? [{ id: queryId, status, state: status, errorCode: stored.error?.code, errorMessage: stored.error?.message }] : [],
      },
    };
  }

  const ok = { success: true, code: null, message: null, data: null };
  const invalidToken = {
    success: false,
    code: '390104',
    message: 'Invalid session token. Please log in again.',
    data: null,
  };

  function authenticate(req: http.IncomingMessage): Session | undefined {
    const match = /Snowflake Token="([^"]*)"/.exec(req.headers.authorization ?? '');
    return match ? sessions.get(match[1]!) : undefined;
  }

  async function route(req: http.IncomingMessage, url: URL, body: Record<string, unknown>): Promise<[number, unknown, Record<string, string>?]> {
    const path = url.pathname;
    if (req.method === 'POST' && path === '/session/v1/login-request') return [200, await handleLogin(url, body)];
    if (req.method === 'POST' && path === '/oauth/token-request') {
      const [status, reply] = identity.tokenRequest(new URLSearchParams(String(body[FORM_BODY] ?? '')), req.headers.authorization);
      return [status, reply];
    }
    if (req.method === 'POST' && path === '/session/authenticator-request') {
      return [200, identity.authenticatorRequest((body.data ?? {}) as Record<string, unknown>, `http://${req.headers.host ?? `${host}:${port}`}`)];
    }
    if (req.method === 'GET' && (path === '/console/login' || path === '/sso/login')) {
      const [status, reply, headers] = identity.ssoPage(url);
      return [status, reply, headers];
    }

    if (req.method === 'POST' && path === '/session/token-request') {
      // Renewal authenticates with the master token.
      const match = /Snowflake Token="([^"]*)"/.exec(req.headers.authorization ?? '');
      const session = [...sessions.values()].find((s) => s.masterToken === match?.[1]);
      if (!session) return [200, { ...invalidToken, code: '390114', message: 'Master token is invalid.' }];
      sessions.delete(session.token);
      session.token = `ver:1-hint:emulator-ETMsDgAAA${randomBytes(24).toString('base64url')}`;
      sessions.set(session.token, session);
      return [200, { ...ok, data: { sessionToken: session.token, validityInSecondsST: 3600, masterToken: session.masterToken, validityInSecondsMT: 14400 } }];
    }

    const chunkMatch = /^\/chunks\/([^/]+)\/(\d+)$/.exec(path);
    if (req.method === 'GET' && chunkMatch) return serveChunk(req, `${chunkMatch[1]}/${chunkMatch[2]}`);

    const session = authenticate(req);
    if (!session) return [401, invalidToken];
    session.lastSeen = Date.now();

    if (req.method === 'POST' && path === '/session' && url.searchParams.get('delete') === 'true') {
      await endSession(session);
      return [200, ok];
    }
    if (req.method === 'POST' && path === '/session/heartbeat') {
      stats.heartbeats++;
      return [200, ok];
    }
    if (req.method === 'POST' && path === '/telemetry/send') return [200, ok];
    if (req.method === 'POST' && path === '/queries/v1/query-request') return [200, await handleQuery(session, body, url.searchParams.get('requestId'))];
    const abortMatch = /^\/queries\/(v1|[^/]+)\/abort-request$/.exec(path);
    if (req.method === 'POST' && abortMatch) return [200, abort(session, abortMatch[1] === 'v1' ? undefined : abortMatch[1], body.requestId)];

    const resultMatch = /^\/queries\/([^/]+)\/result$/.exec(path);
    if (req.method === 'GET' && resultMatch) return [200, resultById(session, resultMatch[1]!)];
    const monitorMatch = /^\/monitoring\/queries\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && monitorMatch) return [200, queryStatus(monitorMatch[1]!)];

    return [404, { success: false, code: '404', message: `No emulated endpoint for ${req.method} ${path}`, data: null }];
  }

  /** Logout or expiry: the session's connection closes and its temporary stages go. */
  async function endSession(session: Session): Promise<void> {
    sessions.delete(session.token);
    await session.queue;
    session.conn.closeSync();
    stages.endSession(session.id);
  }

  /** A chunk download: no session token, as from cloud storage, but the result's key must match. */
  function serveChunk(req: http.IncomingMessage, id: string): [number, unknown] {
    const chunk = chunks.get(id);
    if (!chunk) return [404, { success: false, code: '404', message: 'NoSuchKey', data: null }];
    if (req.headers['x-amz-server-side-encryption-customer-key'] !== chunk.key)
      return [403, { success: false, code: '403', message: 'AccessDenied', data: null }];
    return [200, new RawBody(chunk.body)];
  }

  function faultApplies(path: string): boolean {
    const target = faults.target ?? 'query';
    if (target === 'any') return true;
    if (target === 'login') return path === '/session/v1/login-request';
    return path === '/queries/v1/query-request';
  }

  function takeFault(kind: 'http503' | 'destroySocket' | 'destroyAfterExecute'): boolean {
    const left = faults[kind] ?? 0;
    if (left <= 0) return false;
    faults[kind] = left - 1;
    stats.faultsInjected++;
    return true;
  }

  async function readBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let raw = Buffer.concat(chunks);
    // The SDK gzips some bodies; trust the magic bytes, not the headers.
    if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) raw = gunzipSync(raw);
    if (raw.length === 0) return {};
    // The OAuth token endpoint takes a form, as OAuth 2.0 prescribes (RFC 6749 section 4.4.2).
    if (/application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '')) return { [FORM_BODY]: raw.toString('utf8') };
    return JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
  }

  function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (body instanceof RawBody) {
      res.writeHead(status, { 'Content-Type': 'application/octet-stream', 'Content-Encoding': 'gzip', 'Content-Length': body.bytes.length });
      res.end(body.bytes);
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  let port = 0;
  const server = http.createServer((req, res) => {
    stats.requests++;
    const url = new URL(req.url ?? '/', 'http://emulator');
    void (async () => {
      const faulty = faultApplies(url.pathname);
      if (faulty && takeFault('destroySocket')) {
        req.socket.destroy();
        return;
      }
      if (faulty && faults.delayMs) await new Promise((r) => setTimeout(r, faults.delayMs));
      if (faulty && takeFault('http503')) {
        send(res, 503, { success: false, code: '503', message: 'Service Unavailable (injected fault)', data: null });
        return;
      }
      let body: Record<string, unknown>;
      try {
        body = await readBody(req);
      } catch {
        send(res, 400, { success: false, code: '400', message: 'Request body is not JSON', data: null });
        return;
      }
      const [status, reply, headers] = await route(req, url, body);
      if (faulty && takeFault('destroyAfterExecute')) {
        req.socket.destroy();
        return;
      }
      send(res, status, reply, headers);
    })().catch((error: unknown) => {
      // Internal failures answer 200 + success:false: a 5xx would make the SDK retry.
      if (!res.headersSent) send(res, 200, { success: false, code: '000603', message: `Emulator internal error: ${String(error)}`, data: null });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    host,
    stats,
    statementLog,
    get sessionCount() {
      return sessions.size;
    },
    stageFiles() {
      return stages.allFiles();
    },
    async expireSessions(idleMs: number): Promise<number> {
      const now = Date.now();
      const idle = [...sessions.values()].filter((s) => now - s.lastSeen >= idleMs);
      // Each ends once its running statement has (see endSession): resolved when all have, stages dropped.
      await Promise.all(idle.map((s) => endSession(s)));
      return idle.length;
    },
    async query(sql: string): Promise<Record<string, unknown>[]> {
      const reader = await adminConn.runAndReadAll(sql);
      return reader
        .getRowObjectsJS()
        .map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' && Number.isSafeInteger(Number(v)) ? Number(v) : v])));
    },
    setFaults(plan: FaultPlan): void {
      faults = { ...plan };
    },
    identity,
    async close(): Promise<void> {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      for (const session of sessions.values()) session.conn.closeSync();
      sessions.clear();
      chunks.clear();
      stages.close();
      adminConn.closeSync();
      instance.closeSync();
    },
  };
}

/** A reply sent as raw bytes (a gzip result chunk) rather than JSON. */
class RawBody {
  constructor(readonly bytes: Buffer) {}
}

// --- DuckDB errors as Snowflake errors ------------------------------------------

function toSnowflakeError(error: unknown): SnowflakeError {
  if (error instanceof SqlError || error instanceof AccessDenied) return error.sf;
  if (error instanceof TranslationError) return { code: error.code, sqlState: error.sqlState, message: decodeName(error.message) };
  const text = decodeName(error instanceof Error ? error.message : String(error));
  // The last match: a failed CHECK quotes its expression (with the marker text) before the error it raised.
  const tryCast = tryCastInputError(text);
  if (tryCast) return { code: tryCast.code, sqlState: tryCast.sqlState, message: tryCast.message };
  const raised = [...text.matchAll(RAISED_ERROR)].at(-1);
  if (raised) return { code: raised[1]!, sqlState: raised[2]!, message: raised[3]! };
  // A value with more digits than NUMBER(p,s) takes (a string that is no number stays 100038).
  const range =
    /^Conversion Error: (?:Could not cast value (\S+) to DECIMAL|Casting value "([^"]*)" to type DECIMAL\(\d+,\d+\) failed: value is out of range)/.exec(text);
  if (range) {
    const value = range[1] ?? range[2] ?? '';
    return { code: '100039', sqlState: '22003', message: `Numeric value '${value}' is out of range` };
  }
  const firstLine = text.split('\n')[0]!;
  const compile = (detail: string): string => `SQL compilation error:\n${detail}`;
  const missing =
    /(Table|View|Schema|Catalog)(?: with name)? "?([^"!\s]+)"? does not exist/i.exec(firstLine) ?? /(Catalog) "([^"]+)" does not exist/.exec(firstLine);
  if (missing) {
    const kind = missing[1]!.toLowerCase();
    const label = kind === 'catalog' ? 'Database' : kind === 'schema' ? 'Schema' : 'Object';
    return { code: '002003', sqlState: '42S02', message: compile(`${label} '${missing[2]}' does not exist or not authorized.`) };
  }
  if (/does not exist/.test(firstLine) && /^Catalog Error/.test(firstLine) && /Function/.test(firstLine)) {
    const name = (/name (\w+)/.exec(firstLine)?.[1] ?? '').toUpperCase();
    // A Snowflake function the emulator has no DuckDB counterpart for (unknown ones never get here).
    if (SNOWFLAKE_FUNCTIONS.has(name)) return { code: '002000', sqlState: '0A000', message: `Unsupported feature 'function ${name}' (not emulated).` };
    return { code: '002140', sqlState: '42601', message: compile(`Unknown function ${name}`) };
  }
  if (/already exists|already attached/.test(firstLine)) {
    const name = /"([^"]+)"/.exec(firstLine)?.[1] ?? '';
    return { code: '002002', sqlState: '42710', message: compile(`Object '${name}' already exists.`) };
  }
  if (/^Parser Error/.test(firstLine)) {
    return { code: '001003', sqlState: '42000', message: compile(firstLine.replace(/^Parser Error: /, '')) };
  }
  if (/^Binder Error: Referenced column/.test(firstLine)) {
    const name = /column "?([^"\s]+)"?/.exec(firstLine)?.[1] ?? '';
    return { code: '000904', sqlState: '42000', message: compile(`error line 0 at position 0\ninvalid identifier '${name}'`) };
  }
  if (/^(Binder|Catalog) Error/.test(firstLine)) {
    return { code: '002040', sqlState: '42601', message: compile(firstLine.replace(/^\w+ Error: /, '')) };
  }
  if (/^Conversion Error/.test(firstLine)) {
    return { code: '100038', sqlState: '22018', message: firstLine.replace(/^Conversion Error: /, '') };
  }
  if (/^Constraint Error/.test(firstLine)) {
    return { code: '100072', sqlState: '22000', message: firstLine.replace(/^Constraint Error: /, '') };
  }
  return { code: '100000', sqlState: '22000', message: firstLine };
}
