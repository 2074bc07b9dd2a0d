// Translates the Snowflake SQL an adapter emits into DuckDB SQL. Pure: no I/O,
// no DuckDB. Statements are rewritten token by token (see tokenizer.ts), so
// string literals, quoted identifiers and comments are never altered.
//
// Unquoted identifiers are upper-cased, as Snowflake stores them; DuckDB
// resolves names case-insensitively, so this only changes how new objects are
// named (and hence what information_schema and result column names show).

import { isAccessStatement } from './access-control.js';
import { EMULATED_FUNCTIONS_SQL, rewriteEmulatedFunctions } from './emulated-functions.js';
import { raiseSql, syntaxError, TranslationError } from './sql-error.js';
import { isTransientSql, NO_TRANSIENT_TABLES_SQL } from './table-kinds.js';
import {
  checkCastLengths,
  checkCastOperatorLengths,
  checkSnowflakeSql,
  dateAddPart,
  decodeNameSql,
  encodeName,
  mergeDuplicateQuery,
  moveWithinGroup,
  nameValuesColumns,
  needsWarehouse,
  quoteName,
  rewriteAverages,
  rewriteDivisions,
  rewriteFunctionSemantics,
  STRICT_SESSION_SQL,
  topLevelCommas,
  wrapTryCastInputs,
  type Wraps,
} from './strict.js';
import { isSignificant, quoteIdent, quoteString, splitStatements, SqlSyntaxError, tokenize, type Token } from './tokenizer.js';

/** DuckDB catalog a session sits in when it has no usable current database. */
export const NO_DATABASE_CATALOG = 'EMULATOR_NO_CURRENT_DATABASE';

/** Catalogs DuckDB owns, never shown as Snowflake databases. */
export const INTERNAL_CATALOGS = ['memory', 'system', 'temp', NO_DATABASE_CATALOG];

export const STATEMENT_TYPE = {
  select: 0x1000,
  dml: 0x3000,
  insert: 0x3100,
  update: 0x3200,
  delete: 0x3300,
  merge: 0x3400,
  scl: 0x4000,
  alterSession: 0x4100,
  use: 0x4300,
  show: 0x4400,
  transaction: 0x5000,
  ddl: 0x6000,
} as const;

export interface Translation {
  /** the Snowflake statement text */
  source: string;
  /** DuckDB statements to run in order; the last one answers. Empty: answered by `status`. */
  duckdb: string[];
  /** run `duckdb` in one transaction: all or nothing */
  atomic: boolean;
  /** answer for statements Snowflake answers with a status line */
  status?: string;
  /** Snowflake statement type id, when DuckDB's statement type would not tell */
  statementTypeId?: number;
  /** USE: new session context (normalized names) */
  use?: { database?: string; schema?: string; warehouse?: string; role?: string };
  /** CREATE DATABASE/SCHEMA: Snowflake makes a newly created one current */
  createsContext?: { database?: string; schema?: string };
  /** CREATE TABLE/VIEW/SCHEMA: how many name parts were given (a session without context needs them all) */
  createTarget?: { kind: 'TABLE' | 'VIEW' | 'SCHEMA'; parts: number };
  /** ALTER SESSION SET/UNSET (ALTER ACCOUNT when accountParameters) */
  setParameters?: Record<string, string>;
  accountParameters?: boolean;
  unsetParameters?: string[];
  /** names written in double quotes: result columns keep their case */
  quotedNames: string[];
  /** a statement of the access model (users, roles, grants): answered by access-control.ts */
  access?: boolean;
  /** a file-staging command, run by stages.ts / copy-into.ts from `source` */
  stageCommand?: 'ddl' | 'put' | 'list' | 'remove' | 'copy';
  /** answer with `status` even though the last DuckDB statement is DML (CTAS run as CREATE + INSERT) */
  statusAnswer?: boolean;
  /** needs a running warehouse (queries and DML); see strict.ts */
  needsWarehouse?: boolean;
  /** MERGE: DuckDB query counting target rows matched by more than one source row (ERROR_ON_NONDETERMINISTIC_MERGE) */
  mergeCheck?: string;
}

export { TranslationError } from './sql-error.js';

const unsupported = (what: string): TranslationError => new TranslationError(`Unsupported feature '${what}' (not emulated).`, '002000', '0A000');

/** Splits Snowflake SQL into statements and translates each. */
export function translate(sql: string): Translation[] {
  let tokens: Token[];
  try {
    tokens = tokenize(sql);
  } catch (error) {
    if (error instanceof SqlSyntaxError) throw syntaxError(error.message);
    throw error;
  }
  return splitStatements(tokens).map(translateStatement);
}

/** Identifier as Snowflake resolves it: quoted keeps its case, unquoted is upper-cased. */
export function normalizeIdentifier(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')) {
    return trimmed.slice(1, -1).replaceAll('""', '"');
  }
  return trimmed.toUpperCase();
}

// ---------------------------------------------------------------------------
// Statement-level handling

/** A view on one statement's significant tokens, for matching its head. */
class Statement {
  readonly sig: Token[];
  pos = 0;
  constructor(readonly tokens: Token[]) {
    this.sig = tokens.filter(isSignificant);
  }
  word(offset = 0): string | undefined {
    const t = this.sig[this.pos + offset];
    return t?.kind === 'word' ? t.text.toUpperCase() : undefined;
  }
  /** Consumes the given words in order if they all match. */
  accept(...words: string[]): boolean {
    if (words.every((w, i) => this.word(i) === w)) {
      this.pos += words.length;
      return true;
    }
    return false;
  }
  isOp(text: string, offset = 0): boolean {
    const t = this.sig[this.pos + offset];
    return t?.kind === 'op' && t.text === text;
  }
  atEnd(): boolean {
    return this.pos >= this.sig.length;
  }
  /** Parses `a.b.c` into normalized parts. */
  name(): string[] {
    const parts: string[] = [];
    for (;;) {
      const t = this.sig[this.pos];
      if (t?.kind === 'word') parts.push(t.text.toUpperCase());
      else if (t?.kind === 'quoted') parts.push(t.value ?? '');
      else throw syntaxError(`expected a name, found '${t?.text ?? 'end of statement'}'`);
      this.pos++;
      if (!this.isOp('.')) return parts;
      this.pos++;
    }
  }
  /** Literal text value: string, number or word. */
  value(): string {
    const t = this.sig[this.pos++];
    if (!t) throw syntaxError('expected a value');
    return t.kind === 'string' ? (t.value ?? '') : t.text;
  }
  source(): string {
    return this.tokens
      .map((t) => t.text)
      .join('')
      .trim();
  }
}

const sqlName = (parts: string[]): string => parts.map(quoteName).join('.');

function base(stmt: Statement): Translation {
  return { source: stmt.source(), duckdb: [], atomic: false, quotedNames: [] };
}

function translateStatement(tokens: Token[]): Translation {
  const stmt = new Statement(tokens);
  if (isAccessStatement(tokens)) return { ...base(stmt), access: true };
  const first = stmt.word();
  if (first !== 'PUT' && first !== 'GET' && first !== 'LIST' && first !== 'LS' && first !== 'REMOVE' && first !== 'RM' && first !== 'COPY') {
    checkSnowflakeSql(tokens);
  }
  const translation = translateChecked(stmt, first);
  if (needsWarehouse(tokens)) translation.needsWarehouse = true;
  if (first === 'MERGE') {
    const check = mergeDuplicateQuery(tokens);
    if (check !== undefined) translation.mergeCheck = translate(check)[0]!.duckdb[0]!;
  }
  return translation;
}

function translateChecked(stmt: Statement, first: string | undefined): Translation {
  switch (first) {
    case 'ALTER':
      return translateAlter(stmt);
    case 'USE':
      return translateUse(stmt);
    case 'CREATE':
      return translateCreate(stmt);
    case 'DROP':
      if (stmt.word(1) === 'DATABASE') return translateDropDatabase(stmt);
      if (stmt.word(1) === 'STAGE' || (stmt.word(1) === 'FILE' && stmt.word(2) === 'FORMAT')) return { ...base(stmt), stageCommand: 'ddl' };
      break;
    case 'SHOW':
      return translateShow(stmt);
    case 'DESCRIBE':
    case 'DESC':
      return translateDescribe(stmt);
    case 'PUT':
      return { ...base(stmt), stageCommand: 'put' };
    case 'LIST':
    case 'LS':
      return { ...base(stmt), stageCommand: 'list' };
    case 'REMOVE':
    case 'RM':
      return { ...base(stmt), stageCommand: 'remove' };
    case 'COPY':
      return { ...base(stmt), stageCommand: 'copy' };
    case 'GET':
      throw unsupported(first);
    case 'INSERT':
      if (stmt.word(1) === 'OVERWRITE') return translateInsertOverwrite(stmt);
      break;
    case 'BEGIN':
    case 'START':
    case 'COMMIT':
    case 'ROLLBACK':
      return { ...generic(stmt), statementTypeId: STATEMENT_TYPE.transaction };
  }
  return generic(stmt);
}

/**
 * INSERT OVERWRITE INTO t …: Snowflake truncates t and inserts, as one DML statement inside the
 * current transaction (docs.snowflake.com/en/sql-reference/sql/insert, OVERWRITE); here a DELETE and
 * the INSERT, run together.
 */
function translateInsertOverwrite(stmt: Statement): Translation {
  const overwrite = stmt.sig[1]!;
  stmt.pos = 2;
  if (!stmt.accept('INTO')) throw syntaxError("expected INTO after 'INSERT OVERWRITE'");
  const table = stmt.name();
  const insert = generic(stmt, { dropped: new Set([overwrite]) });
  return { ...insert, duckdb: [`DELETE FROM ${sqlName(table)}`, ...insert.duckdb], atomic: true, statementTypeId: STATEMENT_TYPE.insert };
}

function translateAlter(stmt: Statement): Translation {
  const account = stmt.accept('ALTER', 'ACCOUNT');
  if (account || stmt.accept('ALTER', 'SESSION')) {
    const result: Translation = {
      ...base(stmt),
      status: 'Statement executed successfully.',
      statementTypeId: STATEMENT_TYPE.alterSession,
      ...(account ? { accountParameters: true } : {}),
    };
    if (stmt.accept('SET')) {
      const params: Record<string, string> = {};
      while (!stmt.atEnd()) {
        const [name] = stmt.name();
        if (!stmt.isOp('=')) throw syntaxError(`expected '=' in ALTER ${account ? 'ACCOUNT' : 'SESSION'} SET`);
        stmt.pos++;
        params[name!] = stmt.value();
        if (stmt.isOp(',')) stmt.pos++;
      }
      result.setParameters = params;
    } else if (stmt.accept('UNSET')) {
      const names: string[] = [];
      while (!stmt.atEnd()) {
        names.push(stmt.name()[0]!);
        if (stmt.isOp(',')) stmt.pos++;
      }
      result.unsetParameters = names;
    }
    return result;
  }

  if (stmt.accept('ALTER', 'TABLE')) {
    const ifExists = stmt.accept('IF', 'EXISTS');
    const table = stmt.name();
    if (stmt.accept('SWAP', 'WITH')) return translateSwap(stmt, table, stmt.name(), ifExists);
    if (stmt.accept('RENAME', 'TO')) {
      // DuckDB renames within the schema and takes only the bare new name.
      const target = stmt.name();
      const sameSchema = target.length === 1 || target.slice(0, -1).join('.') === table.slice(0, -1).join('.');
      if (!sameSchema && table.length === target.length) throw unsupported('RENAME TO another schema');
      return {
        ...base(stmt),
        duckdb: [`ALTER TABLE ${ifExists ? 'IF EXISTS ' : ''}${sqlName(table)} RENAME TO ${quoteName(target.at(-1)!)}`],
        status: 'Statement executed successfully.',
        statementTypeId: STATEMENT_TYPE.ddl,
      };
    }
  }
  return { ...generic(stmt), status: 'Statement executed successfully.' };
}

/**
 * ALTER TABLE a SWAP WITH b: three renames in one transaction. Both tables must
 * live in the same schema, as DuckDB renames only within a schema.
 */
function translateSwap(stmt: Statement, a: string[], b: string[], ifExists: boolean): Translation {
  const schemaOf = (parts: string[]): string => parts.slice(0, -1).join('.');
  if (a.length === b.length && schemaOf(a) !== schemaOf(b)) throw unsupported('SWAP WITH across schemas');
  const aName = a.at(-1)!;
  const bName = b.at(-1)!;
  const temp = `${aName}__EMULATOR_SWAP`;
  const tempParts = [...a.slice(0, -1), temp];
  // b may be written unqualified while a is qualified: resolve it in a's schema.
  const bParts = b.length === 1 ? [...a.slice(0, -1), bName] : b;
  const renames = [
    `ALTER TABLE ${sqlName(a)} RENAME TO ${quoteName(temp)}`,
    `ALTER TABLE ${sqlName(bParts)} RENAME TO ${quoteName(aName)}`,
    `ALTER TABLE ${sqlName(tempParts)} RENAME TO ${quoteName(bName)}`,
  ];
  // IF EXISTS on a swap only guards the first table.
  const duckdb = ifExists ? [`SELECT 1 FROM ${sqlName(a)} LIMIT 0`, ...renames] : renames;
  return {
    ...base(stmt),
    duckdb,
    atomic: true,
    status: 'Statement executed successfully.',
    statementTypeId: STATEMENT_TYPE.ddl,
  };
}

function translateUse(stmt: Statement): Translation {
  stmt.accept('USE');
  const result: Translation = {
    ...base(stmt),
    status: 'Statement executed successfully.',
    statementTypeId: STATEMENT_TYPE.use,
  };
  if (stmt.accept('WAREHOUSE')) result.use = { warehouse: stmt.name().join('.') };
  else if (stmt.accept('ROLE')) result.use = { role: stmt.name().join('.') };
  else if (stmt.accept('SECONDARY', 'ROLES')) result.use = {};
  else if (stmt.accept('DATABASE')) result.use = { database: stmt.name()[0]! };
  else {
    const explicitSchema = stmt.accept('SCHEMA');
    const parts = stmt.name();
    if (parts.length === 2) result.use = { database: parts[0]!, schema: parts[1]! };
    else if (explicitSchema) result.use = { schema: parts[0]! };
    else result.use = { database: parts[0]! };
  }
  return result;
}

function translateCreate(stmt: Statement): Translation {
  stmt.accept('CREATE');
  const orReplace = stmt.accept('OR', 'REPLACE');
  // Modifiers DuckDB does not know: durability and security do not matter here.
  const dropped = new Set<Token>();
  let temporary = false;
  for (;;) {
    const w = stmt.word();
    if (w === 'TRANSIENT' || w === 'VOLATILE' || w === 'SECURE' || w === 'LOCAL' || w === 'GLOBAL') {
      dropped.add(stmt.sig[stmt.pos]!);
      stmt.pos++;
    } else if (w === 'TEMP' || w === 'TEMPORARY') {
      temporary = true;
      stmt.pos++;
    } else break;
  }
  const objectKind = stmt.word();
  // DuckDB-only objects: Snowflake has no CREATE MACRO, TYPE or SECRET.
  if (objectKind === 'MACRO' || objectKind === 'TYPE' || objectKind === 'SECRET') {
    throw syntaxError(`line 1 at position ${stmt.source().toUpperCase().indexOf(objectKind)} unexpected '${stmt.sig[stmt.pos]!.text}'.`);
  }
  stmt.pos++;
  const ifNotExists = stmt.accept('IF', 'NOT', 'EXISTS');

  if (objectKind === 'DATABASE') {
    const [db] = stmt.name();
    const statements = orReplace
      ? [`DETACH DATABASE IF EXISTS ${quoteName(db!)}`, `ATTACH ':memory:' AS ${quoteName(db!)}`]
      : [`ATTACH ${ifNotExists ? 'IF NOT EXISTS ' : ''}':memory:' AS ${quoteName(db!)}`];
    // Every Snowflake database starts with a PUBLIC schema.
    statements.push(`CREATE SCHEMA IF NOT EXISTS ${sqlName([db!, 'PUBLIC'])}`);
    return {
      ...base(stmt),
      duckdb: statements,
      status: `Database ${db} successfully created.`,
      statementTypeId: STATEMENT_TYPE.ddl,
      createsContext: { database: db!, schema: 'PUBLIC' },
    };
  }
  if (objectKind === 'STAGE' || (objectKind === 'FILE' && stmt.word() === 'FORMAT')) return { ...base(stmt), stageCommand: 'ddl' };
  if (objectKind === 'PIPE' || objectKind === 'STREAM' || objectKind === 'TASK') {
    throw unsupported(`CREATE ${objectKind}`);
  }
  if (objectKind === 'FILE' || objectKind === 'WAREHOUSE' || objectKind === 'ROLE' || objectKind === 'USER') {
    throw unsupported(`CREATE ${objectKind}`);
  }

  const nameAt = stmt.pos;
  const name = stmt.name();
  const columnListAt = objectKind === 'TABLE' && stmt.isOp('(') ? stmt.pos : -1;
  const result = withColumnsAsSelect(stmt, nameAt, columnListAt) ?? generic(stmt, { dropped, columnListAt });
  result.statementTypeId = STATEMENT_TYPE.ddl;
  if (objectKind === 'SCHEMA') {
    result.createTarget = { kind: 'SCHEMA', parts: name.length };
    result.createsContext = name.length === 2 ? { database: name[0]!, schema: name[1]! } : { schema: name[0]! };
    result.status = `Schema ${name.at(-1)} successfully created.`;
  } else if (objectKind === 'TABLE' || objectKind === 'VIEW') {
    if (!temporary) result.createTarget = { kind: objectKind, parts: name.length };
    const label = objectKind === 'TABLE' ? 'Table' : 'View';
    result.status = `${label} ${name.at(-1)} successfully created.`;
  } else {
    result.status = 'Statement executed successfully.';
  }
  return result;
}

/**
 * `CREATE TABLE t (a VARCHAR(5), …) AS SELECT …`: the columns as declared (lengths enforced), then
 * the rows, in one transaction. DuckDB has no CTAS with a column list.
 */
function withColumnsAsSelect(stmt: Statement, nameAt: number, columnListAt: number): Translation | undefined {
  if (columnListAt < 0) return undefined;
  const { sig, tokens } = stmt;
  let close = columnListAt;
  for (let depth = 0; close < sig.length; close++) {
    if (sig[close]!.text === '(') depth++;
    else if (sig[close]!.text === ')' && --depth === 0) break;
  }
  if (sig[close + 1]?.kind !== 'word' || sig[close + 1]!.text.toUpperCase() !== 'AS') return undefined;
  const text = (from: number, to: number): string =>
    tokens
      .slice(from, to)
      .map((t) => t.text)
      .join('');
  const at = (k: number): number => tokens.indexOf(sig[k]!);
  const create = translate(text(0, at(close) + 1))[0]!;
  const insert = translate(`INSERT INTO ${text(at(nameAt), at(columnListAt))} ${text(at(close + 1) + 1, tokens.length)}`)[0]!;
  return { ...create, source: stmt.source(), duckdb: [...create.duckdb, ...insert.duckdb], atomic: true, statusAnswer: true };
}

function translateDropDatabase(stmt: Statement): Translation {
  stmt.accept('DROP', 'DATABASE');
  const ifExists = stmt.accept('IF', 'EXISTS');
  const [db] = stmt.name();
  return {
    ...base(stmt),
    duckdb: [`DETACH DATABASE ${ifExists ? 'IF EXISTS ' : ''}${quoteName(db!)}`],
    status: `${db} successfully dropped.`,
    statementTypeId: STATEMENT_TYPE.ddl,
  };
}

// ---------------------------------------------------------------------------
// SHOW and DESCRIBE, answered from DuckDB's catalog functions

interface Scope {
  database?: string;
  schema?: string;
  account?: boolean;
}

function parseShowTail(stmt: Statement): { like?: string; scope: Scope } {
  let like: string | undefined;
  const scope: Scope = {};
  if (stmt.accept('LIKE')) like = stmt.value();
  if (stmt.accept('IN')) {
    if (stmt.accept('ACCOUNT')) scope.account = true;
    else if (stmt.accept('DATABASE')) {
      if (!stmt.atEnd()) scope.database = stmt.name()[0]!;
    } else if (stmt.accept('SCHEMA')) {
      if (!stmt.atEnd()) {
        const parts = stmt.name();
        if (parts.length === 2) scope.database = parts[0]!;
        scope.schema = parts.at(-1)!;
      } else scope.schema = '';
    } else {
      const parts = stmt.name();
      scope.database = parts[0]!;
      if (parts.length === 2) scope.schema = parts[1]!;
    }
  }
  return { like, scope };
}

const literalOr = (value: string | undefined, fallback: string): string => (value === undefined || value === '' ? fallback : quoteString(encodeName(value)));

const internalCatalogList = INTERNAL_CATALOGS.map(quoteString).join(', ');

function scopeFilter(scope: Scope, defaultLevel: 'database' | 'schema'): string {
  if (scope.account) return `database_name NOT IN (${internalCatalogList})`;
  const conditions = [`database_name = ${literalOr(scope.database, 'current_database()')}`];
  const schemaLevel = scope.schema !== undefined || (defaultLevel === 'schema' && scope.database === undefined);
  if (schemaLevel) conditions.push(`schema_name = ${literalOr(scope.schema, 'current_schema()')}`);
  return conditions.join(' AND ');
}

function translateShow(stmt: Statement): Translation {
  stmt.accept('SHOW');
  stmt.accept('TERSE');
  const what = stmt.word();
  stmt.pos++;
  const { like, scope } = parseShowTail(stmt);
  const likeFilter = (column: string): string => (like === undefined ? '' : ` AND ${decodeNameSql(column)} ILIKE ${quoteString(like)}`);
  let sql: string;
  switch (what) {
    case 'DATABASES':
      sql =
        `SELECT NULL::TIMESTAMPTZ AS "created_on", database_name AS "name", 'N' AS "is_default", ` +
        `CASE WHEN database_name = current_database() THEN 'Y' ELSE 'N' END AS "is_current", '' AS "origin", ` +
        `'EMULATOR' AS "owner", coalesce(comment, '') AS "comment", '' AS "options", 1 AS "retention_time", 'STANDARD' AS "kind" ` +
        `FROM duckdb_databases() WHERE database_name NOT IN (${internalCatalogList})${likeFilter('database_name')} ORDER BY 2`;
      break;
    case 'SCHEMAS':
      sql =
        `SELECT NULL::TIMESTAMPTZ AS "created_on", ${schemaNameSql} AS "name", 'N' AS "is_default", ` +
        `CASE WHEN schema_name = current_schema() AND database_name = current_database() THEN 'Y' ELSE 'N' END AS "is_current", ` +
        `database_name AS "database_name", 'EMULATOR' AS "owner", coalesce(comment, '') AS "comment", '' AS "options", 1 AS "retention_time" ` +
        `FROM duckdb_schemas() WHERE ${scopeFilter(scope, 'database')} AND schema_name NOT IN ('main', 'pg_catalog')` +
        `${likeFilter('schema_name')} ORDER BY 4, 2`;
      break;
    case 'TABLES':
    case 'VIEWS':
    case 'OBJECTS': {
      const tables =
        `SELECT table_name AS name, database_name, schema_name, ` +
        `CASE WHEN temporary THEN 'TEMPORARY' WHEN ${isTransientSql('database_name', 'schema_name', 'table_name')} THEN 'TRANSIENT' ELSE 'TABLE' END AS kind, ` +
        `comment, estimated_size AS row_count FROM duckdb_tables()`;
      const views = `SELECT view_name, database_name, schema_name, 'VIEW', comment, NULL FROM duckdb_views() WHERE NOT internal`;
      const source = what === 'TABLES' ? tables : what === 'VIEWS' ? views : `${tables} UNION ALL ${views}`;
      sql =
        `SELECT NULL::TIMESTAMPTZ AS "created_on", name AS "name", database_name AS "database_name", ` +
        `schema_name AS "schema_name", kind AS "kind", coalesce(comment, '') AS "comment", '' AS "cluster_by", ` +
        `row_count::BIGINT AS "rows", NULL::BIGINT AS "bytes", 'EMULATOR' AS "owner", 1 AS "retention_time" ` +
        `FROM (${source}) WHERE ${scopeFilter(scope, 'schema')} AND schema_name <> 'main'${likeFilter('name')} ORDER BY 3, 4, 2`;
      break;
    }
    default:
      throw unsupported(`SHOW ${what ?? ''}`.trim());
  }
  return { ...base(stmt), duckdb: [sql], statementTypeId: STATEMENT_TYPE.show, quotedNames: showColumns };
}

// SHOW output columns are lower-case in Snowflake.
const showColumns = [
  'created_on',
  'name',
  'is_default',
  'is_current',
  'origin',
  'owner',
  'comment',
  'options',
  'retention_time',
  'kind',
  'database_name',
  'schema_name',
  'cluster_by',
  'rows',
  'bytes',
  'type',
  'null?',
  'default',
  'primary key',
  'unique key',
];

const schemaNameSql = `CASE WHEN schema_name = 'information_schema' THEN 'INFORMATION_SCHEMA' ELSE schema_name END`;

/** Snowflake's name for a DuckDB column type (macro created per session, see SESSION_SETUP_SQL). */
const snowflakeDataTypeSql = 'SF_DATA_TYPE(data_type)';
const snowflakeDataTypeMacro = `CREATE OR REPLACE TEMP MACRO SF_DATA_TYPE(data_type) AS CASE
  WHEN data_type IN ('TINYINT','SMALLINT','INTEGER','BIGINT','HUGEINT','UTINYINT','USMALLINT','UINTEGER','UBIGINT','UHUGEINT')
    OR data_type LIKE 'DECIMAL%' THEN 'NUMBER'
  WHEN data_type IN ('FLOAT', 'DOUBLE') THEN 'FLOAT'
  WHEN data_type = 'VARCHAR' THEN 'TEXT'
  WHEN data_type = 'BOOLEAN' THEN 'BOOLEAN'
  WHEN data_type = 'DATE' THEN 'DATE'
  WHEN data_type = 'TIMESTAMP WITH TIME ZONE' THEN 'TIMESTAMP_LTZ'
  WHEN data_type LIKE 'TIMESTAMP%' THEN 'TIMESTAMP_NTZ'
  WHEN data_type LIKE 'TIME%' THEN 'TIME'
  WHEN data_type = 'BLOB' THEN 'BINARY'
  ELSE 'VARIANT' END`;

/** A text column's declared length: from the CHECK that enforces VARCHAR(n) (see varcharLengthCheck), else Snowflake's default. */
const varcharLengthSql = `coalesce((SELECT max(CAST(regexp_extract(K.expression, 'length\\(.*\\) > (\\d+)\\)', 1) AS BIGINT))
  FROM duckdb_constraints() K WHERE K.database_name = C.database_name AND K.schema_name = C.schema_name AND K.table_name = C.table_name
  AND K.constraint_type = 'CHECK' AND list_contains(K.constraint_column_names, C.column_name)
  AND K.expression LIKE '%is too long and would be truncated%'), 16777216)`;

const isDecimalSql = `data_type LIKE 'DECIMAL%'`;
const numericPrecisionSql = `CASE WHEN ${isDecimalSql} THEN numeric_precision WHEN (${snowflakeDataTypeSql}) = 'NUMBER' THEN 38 END`;
const numericScaleSql = `CASE WHEN ${isDecimalSql} THEN numeric_scale WHEN (${snowflakeDataTypeSql}) = 'NUMBER' THEN 0 END`;

function translateDescribe(stmt: Statement): Translation {
  stmt.pos++;
  stmt.accept('TABLE') || stmt.accept('VIEW');
  const name = stmt.name();
  const table = name.at(-1)!;
  const schema = name.length >= 2 ? quoteString(encodeName(name.at(-2)!)) : 'current_schema()';
  const database = name.length >= 3 ? quoteString(encodeName(name.at(-3)!)) : 'current_database()';
  const typeText = `CASE (${snowflakeDataTypeSql})
    WHEN 'NUMBER' THEN 'NUMBER(' || (${numericPrecisionSql}) || ',' || (${numericScaleSql}) || ')'
    WHEN 'TEXT' THEN 'VARCHAR(' || ${varcharLengthSql} || ')'
    WHEN 'TIMESTAMP_NTZ' THEN 'TIMESTAMP_NTZ(9)'
    WHEN 'TIMESTAMP_LTZ' THEN 'TIMESTAMP_LTZ(9)'
    WHEN 'TIME' THEN 'TIME(9)'
    ELSE (${snowflakeDataTypeSql}) END`;
  const describe =
    `SELECT column_name AS "name", ${typeText} AS "type", 'COLUMN' AS "kind", ` +
    `CASE WHEN is_nullable THEN 'Y' ELSE 'N' END AS "null?", column_default AS "default", ` +
    `'N' AS "primary key", 'N' AS "unique key", NULL AS "check", NULL AS "expression", comment AS "comment", NULL AS "policy name" ` +
    `FROM duckdb_columns() C WHERE database_name = ${database} AND schema_name = ${schema} AND table_name = ${quoteString(encodeName(table))} ` +
    `ORDER BY column_index`;
  // Probe first so a missing table fails as it does in Snowflake.
  return {
    ...base(stmt),
    duckdb: [`SELECT * FROM ${sqlName(name)} LIMIT 0`, describe],
    statementTypeId: STATEMENT_TYPE.show,
    quotedNames: showColumns,
  };
}

// ---------------------------------------------------------------------------
// Token-level rewriting of ordinary statements

interface GenericOptions {
  /** tokens removed from the output (modifiers DuckDB lacks) */
  dropped?: Set<Token>;
  /** index in the significant tokens of CREATE TABLE's column list '(' */
  columnListAt?: number;
}

/** Functions whose first argument is a bare date part in Snowflake. */
const DATE_PART_FUNCTIONS = new Set(['DATEADD', 'DATEDIFF', 'TIMEADD', 'TIMEDIFF', 'TIMESTAMPADD', 'TIMESTAMPDIFF', 'DATE_TRUNC', 'DATE_PART']);

/** String types whose length Snowflake enforces; CHAR without a length is CHAR(1). */
const LENGTH_TYPES = new Set(['VARCHAR', 'STRING', 'TEXT', 'CHAR', 'CHARACTER', 'NCHAR', 'NVARCHAR', 'NVARCHAR2']);

/** CHECK expression refusing a string longer than a VARCHAR(n) column takes (error 100074). */
const varcharLengthCheck = (column: string, length: number): string =>
  `CASE WHEN length(${column}) > ${length} THEN ${raiseSql('100074', '22000', `'String ''' || ${column} || ''' is too long and would be truncated'`)} ELSE TRUE END`;

/**
 * Snowflake's ISO date parts by DuckDB's names ("Supported date and time parts": DAYOFWEEKISO is
 * 1 for Monday to 7 for Sunday, WEEKISO and YEAROFWEEKISO the ISO week and its year).
 */
const EXTRACT_PART_NAMES: Record<string, string> = {
  DAYOFWEEKISO: 'isodow',
  WEEKISO: 'week',
  WEEK_ISO: 'week',
  WEEKOFYEARISO: 'week',
  WEEKOFYEAR_ISO: 'week',
  YEAROFWEEKISO: 'isoyear',
};

/** Spellings of the week date part. */
const WEEK_PARTS = new Set(['WEEK', 'W', 'WK', 'WEEKOFYEAR', 'WOY', 'WY', 'WEEKS']);

/** Niladic functions Snowflake writes with parentheses; DuckDB takes them bare. */
const BARE_FUNCTIONS = new Set(['CURRENT_TIMESTAMP', 'CURRENT_DATE', 'CURRENT_TIME', 'LOCALTIMESTAMP', 'LOCALTIME']);

const INFORMATION_SCHEMA_VIEWS = new Set(['TABLES', 'COLUMNS', 'SCHEMATA', 'VIEWS']);

/** Words that may follow a table reference without being its alias. */
const CLAUSE_WORDS = new Set([
  'WHERE',
  'GROUP',
  'ORDER',
  'HAVING',
  'LIMIT',
  'OFFSET',
  'QUALIFY',
  'WINDOW',
  'UNION',
  'INTERSECT',
  'EXCEPT',
  'MINUS',
  'JOIN',
  'INNER',
  'LEFT',
  'RIGHT',
  'FULL',
  'CROSS',
  'NATURAL',
  'ON',
  'USING',
  'LATERAL',
  'FETCH',
  'SAMPLE',
  'TABLESAMPLE',
  'ASOF',
  'POSITIONAL',
  'ANTI',
  'SEMI',
]);

type TypeRewrite = { to: string; dropArgs?: boolean; defaultArgs?: string };

/** Snowflake type names that DuckDB spells or sizes differently. */
const TYPE_REWRITES: Record<string, TypeRewrite> = {
  NUMBER: { to: 'DECIMAL', defaultArgs: '(38,0)' },
  NUMERIC: { to: 'DECIMAL', defaultArgs: '(38,0)' },
  DECIMAL: { to: 'DECIMAL', defaultArgs: '(38,0)' },
  DEC: { to: 'DECIMAL', defaultArgs: '(38,0)' },
  // Snowflake integers are NUMBER(38,0); BIGINT keeps them integral without 32-bit overflow.
  INT: { to: 'BIGINT' },
  INTEGER: { to: 'BIGINT' },
  SMALLINT: { to: 'BIGINT' },
  TINYINT: { to: 'BIGINT' },
  BYTEINT: { to: 'BIGINT' },
  // Snowflake floats are all 64-bit; DuckDB FLOAT/REAL are 32-bit.
  FLOAT: { to: 'DOUBLE', dropArgs: true },
  FLOAT4: { to: 'DOUBLE' },
  FLOAT8: { to: 'DOUBLE' },
  REAL: { to: 'DOUBLE' },
  STRING: { to: 'VARCHAR', dropArgs: true },
  TEXT: { to: 'VARCHAR', dropArgs: true },
  CHARACTER: { to: 'VARCHAR', dropArgs: true },
  CHAR: { to: 'VARCHAR', dropArgs: true },
  DATETIME: { to: 'TIMESTAMP', dropArgs: true },
  TIMESTAMP: { to: 'TIMESTAMP', dropArgs: true },
  TIMESTAMP_NTZ: { to: 'TIMESTAMP', dropArgs: true },
  TIMESTAMP_LTZ: { to: 'TIMESTAMPTZ', dropArgs: true },
  TIMESTAMP_TZ: { to: 'TIMESTAMPTZ', dropArgs: true },
  TIME: { to: 'TIME', dropArgs: true },
  VARIANT: { to: 'JSON' },
  OBJECT: { to: 'JSON', dropArgs: true },
  ARRAY: { to: 'JSON', dropArgs: true },
  BINARY: { to: 'BLOB', dropArgs: true },
  VARBINARY: { to: 'BLOB', dropArgs: true },
};

/**
 * Rewrites a statement token by token. Significant tokens are addressed by
 * their index in `sig`; `out` holds the replacement text for each.
 */
function generic(stmt: Statement, options: GenericOptions = {}): Translation {
  const { sig, tokens } = stmt;
  const out = new Map<Token, string>();
  const drop = (t: Token | undefined): void => {
    if (t) out.set(t, '');
  };
  for (const t of options.dropped ?? []) drop(t);

  const wordAt = (k: number): string | undefined => {
    const t = sig[k];
    return t?.kind === 'word' ? t.text.toUpperCase() : undefined;
  };
  const opAt = (k: number, text: string): boolean => sig[k]?.kind === 'op' && sig[k]!.text === text;
  /** Index of the ')' matching the '(' at k. */
  const closingParen = (k: number): number => {
    let depth = 0;
    for (let j = k; j < sig.length; j++) {
      if (opAt(j, '(')) depth++;
      else if (opAt(j, ')') && --depth === 0) return j;
    }
    return sig.length - 1;
  };

  const typePositions = findTypePositions(sig, options.columnListAt ?? -1, wordAt(0) === 'ALTER');
  const isCreate = wordAt(0) === 'CREATE';
  const wraps: Wraps = { before: new Map(), after: new Map(), replace: out };
  wrapTryCastInputs(sig, wraps);
  rewriteDivisions(sig, wraps);
  rewriteAverages(sig, wraps);
  rewriteFunctionSemantics(sig, wraps);
  rewriteEmulatedFunctions(sig, wraps);
  nameValuesColumns(sig, wraps);
  moveWithinGroup(sig, wraps);
  checkCastLengths(sig, wraps);
  checkCastOperatorLengths(sig, wraps);

  for (let k = 0; k < sig.length; k++) {
    const t = sig[k]!;
    const word = wordAt(k);
    if (word === undefined) continue;

    const rewrite = TYPE_REWRITES[word];
    const column = typePositions.get(k);
    if (column !== undefined && column >= 0 && LENGTH_TYPES.has(word)) {
      // VARCHAR(n) and friends: Snowflake refuses a longer string on INSERT, UPDATE, MERGE and COPY.
      const hasArgs = opAt(k + 1, '(') && sig[k + 2]?.kind === 'number';
      const length = hasArgs ? Number(sig[k + 2]!.text) : word === 'CHAR' || word === 'CHARACTER' || word === 'NCHAR' ? 1 : undefined;
      if (length !== undefined) {
        const end = hasArgs ? closingParen(k + 1) : k;
        for (let j = k + 1; j <= end; j++) drop(sig[j]);
        const name = sig[column]!;
        const col = name.kind === 'quoted' ? quoteName(name.value ?? '') : quoteName(name.text.toUpperCase());
        out.set(t, `VARCHAR CHECK (${varcharLengthCheck(col, length)})`);
        continue;
      }
    }
    if (typePositions.has(k) && rewrite) {
      const hasArgs = opAt(k + 1, '(');
      if (hasArgs && rewrite.dropArgs) {
        const end = closingParen(k + 1);
        for (let j = k + 1; j <= end; j++) drop(sig[j]);
      }
      out.set(t, rewrite.to + (!hasArgs && rewrite.defaultArgs ? rewrite.defaultArgs : ''));
      continue;
    }

    const partToken = sig[k + 2];
    if (DATE_PART_FUNCTIONS.has(word) && opAt(k + 1, '(') && (partToken?.kind === 'word' || partToken?.kind === 'string') && opAt(k + 3, ',')) {
      const part = partToken;
      const partName = part.kind === 'string' ? (part.value ?? '') : part.text;
      out.set(part, quoteString(EXTRACT_PART_NAMES[partName.toUpperCase()] ?? partName.toLowerCase()));
      const add = word === 'DATEADD' || word === 'TIMEADD' || word === 'TIMESTAMPADD' ? dateAddPart(partName) : undefined;
      if (add) {
        out.set(t, add.macro);
        out.set(part, quoteString(add.part));
        // A text literal to add to is read as a TIMESTAMP_NTZ (dbt-utils' date_spine passes
        // "'2018-01-01'"; Snowflake coerces it and DuckDB cannot add an interval to text).
        const end = closingParen(k + 1);
        const commas = topLevelCommas(sig, k + 1, end);
        const value = commas.length === 2 ? sig.indexOf(commas[1]!) + 1 : -1;
        if (value > 0 && value === end - 1 && sig[value]?.kind === 'string') out.set(sig[value]!, `CAST(${sig[value]!.text} AS TIMESTAMP)`);
        continue;
      }
      if (word === 'DATE_TRUNC') out.set(t, 'SF_DATE_TRUNC');
      // Snowflake counts week boundaries crossed (weeks start on Monday); DuckDB counts whole 7-day spans.
      if ((word === 'DATEDIFF' || word === 'TIMESTAMPDIFF') && WEEK_PARTS.has(part.text.toUpperCase())) out.set(t, 'SF_DATEDIFF_WEEK');
      continue;
    }

    if (BARE_FUNCTIONS.has(word) && opAt(k + 1, '(')) {
      const end = closingParen(k + 1);
      for (let j = k + 1; j <= end; j++) drop(sig[j]);
      continue;
    }

    if (isCreate && word === 'COPY' && wordAt(k + 1) === 'GRANTS') {
      drop(t);
      drop(sig[k + 1]);
      continue;
    }

    // [db.]INFORMATION_SCHEMA.view -> a table macro scoped to that database.
    if (word === 'INFORMATION_SCHEMA' && opAt(k + 1, '.') && INFORMATION_SCHEMA_VIEWS.has(wordAt(k + 2) ?? '')) {
      const view = wordAt(k + 2)!;
      const hasDb = opAt(k - 1, '.') && (sig[k - 2]?.kind === 'word' || sig[k - 2]?.kind === 'quoted');
      if (hasDb && opAt(k - 3, '.')) continue; // part of a longer name: leave it alone
      let db = 'current_database()';
      if (hasDb) {
        const dbToken = sig[k - 2]!;
        db = quoteString(encodeName(dbToken.kind === 'quoted' ? (dbToken.value ?? '') : dbToken.text.toUpperCase()));
        drop(dbToken);
        drop(sig[k - 1]);
      }
      const next = sig[k + 3];
      const hasAlias = (next?.kind === 'word' && !CLAUSE_WORDS.has(next.text.toUpperCase())) || next?.kind === 'quoted';
      out.set(t, `SF_INFORMATION_SCHEMA_${view}(${db})${hasAlias ? '' : ` AS ${view}`}`);
      drop(sig[k + 1]);
      drop(sig[k + 2]);
      k += 2;
    }
  }

  const quotedNames = new Set<string>();
  const sql = tokens
    .map((t) => (wraps.before.get(t) ?? '') + tokenText(t) + (wraps.after.get(t) ?? ''))
    .join('')
    .trim();
  function tokenText(t: Token): string {
    {
      const replaced = out.get(t);
      if (replaced !== undefined) return replaced;
      switch (t.kind) {
        case 'word':
          return t.text.toUpperCase();
        case 'string':
          return quoteString(t.value ?? '');
        case 'quoted':
          quotedNames.add(t.value ?? '');
          return quoteName(t.value ?? '');
        case 'comment':
          return t.text.startsWith('//') ? `--${t.text.slice(2)}` : t.text;
        case 'param':
          return t.text.startsWith(':') ? `$${t.text.slice(1)}` : t.text;
        default:
          return t.text;
      }
    }
  }
  return { ...base(stmt), duckdb: [sql], quotedNames: [...quotedNames] };
}

/**
 * Finds the significant-token indices where a data type is written: after
 * '::', after AS inside CAST(...), after a column name in CREATE TABLE's column
 * list, and after ADD COLUMN name / TYPE in ALTER TABLE.
 */
function findTypePositions(sig: Token[], columnListAt: number, isAlter: boolean): Map<number, number> {
  // type index -> index of the column it defines in CREATE TABLE's column list, or -1
  const positions = new Map<number, number>();
  const stack: Array<'cast' | 'columns' | 'other'> = [];
  const word = (k: number): string | undefined => (sig[k]?.kind === 'word' ? sig[k]!.text.toUpperCase() : undefined);
  const isOp = (k: number, text: string): boolean => sig[k]?.kind === 'op' && sig[k]!.text === text;
  const isName = (k: number): boolean => sig[k]?.kind === 'word' || sig[k]?.kind === 'quoted';

  for (let k = 0; k < sig.length; k++) {
    if (isOp(k, '(')) {
      const before = word(k - 1);
      stack.push(k === columnListAt ? 'columns' : before === 'CAST' || before === 'TRY_CAST' ? 'cast' : 'other');
      continue;
    }
    if (isOp(k, ')')) {
      stack.pop();
      continue;
    }
    if (isOp(k, '::')) positions.set(k + 1, -1);
    else if (word(k) === 'AS' && stack.at(-1) === 'cast') positions.set(k + 1, -1);
    else if (stack.at(-1) === 'columns' && isName(k) && (isOp(k - 1, ',') || k - 1 === columnListAt)) {
      positions.set(k + 1, k);
    } else if (isAlter && word(k) === 'TYPE') positions.set(k + 1, -1);
    else if (isAlter && word(k) === 'ADD') {
      let j = k + 1;
      if (word(j) === 'COLUMN') j++;
      if (word(j) === 'IF' && word(j + 1) === 'NOT' && word(j + 2) === 'EXISTS') j += 3;
      if (isName(j)) positions.set(j + 1, -1);
    }
  }
  return positions;
}

// ---------------------------------------------------------------------------
// Snowflake functions emulated as DuckDB macros, created in each session.

/** Snowflake's default TIMEZONE parameter: sessions start in it unless the account sets another. */
export const DEFAULT_TIMEZONE = 'America/Los_Angeles';

export const SESSION_SETUP_SQL: string[] = [
  `SET TimeZone = '${DEFAULT_TIMEZONE}'`,
  snowflakeDataTypeMacro,
  `CREATE OR REPLACE TEMP MACRO SF_NAME(name) AS ${decodeNameSql('name')}`,
  NO_TRANSIENT_TABLES_SQL,
  ...STRICT_SESSION_SQL,
  ...EMULATED_FUNCTIONS_SQL,
  `CREATE OR REPLACE TEMP MACRO IFF(condition, if_true, if_false) AS CASE WHEN condition THEN if_true ELSE if_false END`,
  `CREATE OR REPLACE TEMP MACRO NVL(value, fallback) AS COALESCE(value, fallback)`,
  `CREATE OR REPLACE TEMP MACRO NVL2(value, if_not_null, if_null) AS CASE WHEN value IS NOT NULL THEN if_not_null ELSE if_null END`,
  `CREATE OR REPLACE TEMP MACRO ZEROIFNULL(value) AS COALESCE(value, 0)`,
  `CREATE OR REPLACE TEMP MACRO DIV0(dividend, divisor) AS CASE WHEN divisor = 0 THEN 0 ELSE SF_DIV(dividend, divisor) END`,
  `CREATE OR REPLACE TEMP MACRO DIV0NULL(dividend, divisor) AS CASE WHEN divisor = 0 OR divisor IS NULL THEN 0 ELSE SF_DIV(dividend, divisor) END`,
  `CREATE OR REPLACE TEMP MACRO TO_TIMESTAMP_NTZ(value) AS CAST(value AS TIMESTAMP)`,
  `CREATE OR REPLACE TEMP MACRO TO_NUMBER(value) AS CAST(value AS DECIMAL(38,0))`,
  `CREATE OR REPLACE TEMP MACRO TRY_TO_NUMBER(value) AS TRY_CAST(value AS DECIMAL(38,0))`,
  `CREATE OR REPLACE TEMP MACRO TO_VARCHAR(value) AS CAST(value AS VARCHAR)`,
  `CREATE OR REPLACE TEMP MACRO TO_CHAR(value) AS CAST(value AS VARCHAR)`,
  `CREATE OR REPLACE TEMP MACRO PARSE_JSON(text) AS CAST(text AS JSON)`,
  `CREATE OR REPLACE TEMP MACRO TRY_PARSE_JSON(text) AS TRY_CAST(text AS JSON)`,
  `CREATE OR REPLACE TEMP MACRO DATEADD(part, amount, value) AS value + CAST(amount || ' ' || part AS INTERVAL)`,
  `CREATE OR REPLACE TEMP MACRO TIMESTAMPADD(part, amount, value) AS value + CAST(amount || ' ' || part AS INTERVAL)`,
  `CREATE OR REPLACE TEMP MACRO SF_DATEDIFF_WEEK(part, a, b) AS datediff('week', date_trunc('week', a), date_trunc('week', b))`,
  // The two-argument form: the instant as wall-clock time in that zone (a TIMESTAMP_TZ in Snowflake).
  `CREATE OR REPLACE TEMP MACRO CONVERT_TIMEZONE(target_tz, value) AS timezone(target_tz, value),
     (source_tz, target_tz, value) AS timezone(target_tz, timezone(source_tz, CAST(value AS TIMESTAMP)))`,
  `CREATE OR REPLACE TEMP MACRO TO_DATE(value) AS CAST(value AS DATE)`,
  `CREATE OR REPLACE TEMP MACRO BOOLOR_AGG(value) AS bool_or(CAST(value AS BOOLEAN))`,
  `CREATE OR REPLACE TEMP MACRO BOOLAND_AGG(value) AS bool_and(CAST(value AS BOOLEAN))`,
  `CREATE OR REPLACE TEMP MACRO SYSDATE() AS CAST(timezone('UTC', current_timestamp) AS TIMESTAMP)`,
  `CREATE OR REPLACE TEMP MACRO GETDATE() AS current_timestamp`,
  `CREATE OR REPLACE TEMP MACRO SF_INFORMATION_SCHEMA_TABLES(db) AS TABLE
    SELECT SF_NAME(database_name) AS TABLE_CATALOG, SF_NAME(schema_name) AS TABLE_SCHEMA, SF_NAME(table_name) AS TABLE_NAME,
      'EMULATOR' AS TABLE_OWNER, 'BASE TABLE' AS TABLE_TYPE,
      CASE WHEN ${isTransientSql('database_name', 'schema_name', 'table_name')} THEN 'YES' ELSE 'NO' END AS IS_TRANSIENT,
      estimated_size::BIGINT AS ROW_COUNT, NULL::BIGINT AS BYTES, comment AS COMMENT
    FROM duckdb_tables() WHERE database_name = db AND schema_name <> 'main'
    UNION ALL
    SELECT SF_NAME(database_name), SF_NAME(schema_name), SF_NAME(view_name), 'EMULATOR', 'VIEW', 'NO', NULL, NULL, comment
    FROM duckdb_views() WHERE database_name = db AND NOT internal AND schema_name <> 'main'`,
  `CREATE OR REPLACE TEMP MACRO SF_INFORMATION_SCHEMA_VIEWS(db) AS TABLE
    SELECT SF_NAME(database_name) AS TABLE_CATALOG, SF_NAME(schema_name) AS TABLE_SCHEMA, SF_NAME(view_name) AS TABLE_NAME,
      'EMULATOR' AS TABLE_OWNER, sql AS VIEW_DEFINITION, comment AS COMMENT
    FROM duckdb_views() WHERE database_name = db AND NOT internal AND schema_name <> 'main'`,
  `CREATE OR REPLACE TEMP MACRO SF_INFORMATION_SCHEMA_SCHEMATA(db) AS TABLE
    SELECT SF_NAME(database_name) AS CATALOG_NAME, SF_NAME(${schemaNameSql}) AS SCHEMA_NAME, 'EMULATOR' AS SCHEMA_OWNER,
      'NO' AS IS_TRANSIENT, comment AS COMMENT
    FROM duckdb_schemas() WHERE database_name = db AND schema_name NOT IN ('main', 'pg_catalog')`,
  `CREATE OR REPLACE TEMP MACRO SF_INFORMATION_SCHEMA_COLUMNS(db) AS TABLE
    SELECT SF_NAME(database_name) AS TABLE_CATALOG, SF_NAME(schema_name) AS TABLE_SCHEMA, SF_NAME(table_name) AS TABLE_NAME,
      SF_NAME(column_name) AS COLUMN_NAME, column_index AS ORDINAL_POSITION, column_default AS COLUMN_DEFAULT,
      CASE WHEN is_nullable THEN 'YES' ELSE 'NO' END AS IS_NULLABLE,
      ${snowflakeDataTypeSql} AS DATA_TYPE,
      CASE WHEN data_type = 'VARCHAR' THEN ${varcharLengthSql} END AS CHARACTER_MAXIMUM_LENGTH,
      ${numericPrecisionSql} AS NUMERIC_PRECISION,
      ${numericScaleSql} AS NUMERIC_SCALE,
      comment AS COMMENT
    FROM duckdb_columns() C WHERE database_name = db AND schema_name <> 'main'`,
];

/** Where an array-bound INSERT's rows are staged (see `arrayInsertAsSelect`). */
export const ARRAY_BINDS_TABLE = '__EMULATOR_ARRAY_BINDS';

/**
 * An array-bound `INSERT … VALUES (…)` rewritten to read its rows from a staging table whose
 * column `B<n>` holds bind n (`INSERT … SELECT <tuple> FROM staging`), so any number of rows
 * runs as one DuckDB statement. Undefined when the statement is not of that shape.
 */
export function arrayInsertAsSelect(sql: string, params: number): string | undefined {
  let tokens: Token[];
  try {
    tokens = tokenize(sql);
  } catch {
    return undefined;
  }
  const statements = splitStatements(tokens);
  if (statements.length !== 1) return undefined;
  const stmt = statements[0]!;
  const sig = stmt.filter(isSignificant);
  const word = (t: Token | undefined): string | undefined => (t?.kind === 'word' ? t.text.toUpperCase() : undefined);
  if (word(sig[0]) !== 'INSERT' || sig.at(-1)?.text !== ')') return undefined;
  // The tuple is the last top-level parenthesis, right after VALUES.
  let depth = 0;
  let open = -1;
  for (let k = sig.length - 1; k >= 0; k--) {
    const t = sig[k]!;
    if (t.kind === 'op' && t.text === ')') depth++;
    else if (t.kind === 'op' && t.text === '(' && --depth === 0) {
      open = k;
      break;
    }
  }
  if (open < 1 || word(sig[open - 1]) !== 'VALUES') return undefined;
  const values = stmt.indexOf(sig[open - 1]!);
  const start = stmt.indexOf(sig[open]!);
  const end = stmt.lastIndexOf(sig.at(-1)!);
  const inner = stmt.slice(start + 1, end);
  const markers = inner.filter((t) => t.kind === 'param');
  if (markers.length === 0 || markers.some((t) => t.text.startsWith('$'))) return undefined;
  const positional = markers.every((t) => t.text === '?');
  if (!positional && markers.some((t) => t.text === '?')) return undefined;
  if (positional && markers.length !== params) return undefined;
  let next = 0;
  const columns = inner.map((t) => (t.kind === 'param' ? quoteIdent(`B${positional ? ++next : Number(t.text.slice(1))}`) : t.text)).join('');
  const head = stmt
    .slice(0, values)
    .map((t) => t.text)
    .join('');
  return `${head}SELECT ${columns} FROM TEMP.MAIN.${quoteIdent(ARRAY_BINDS_TABLE)}`;
}
