// COPY INTO <table> FROM @stage: staged CSV and Parquet files loaded into a table, with the file
// format, ON_ERROR, PURGE, PATTERN, FILES, FORCE and MATCH_BY_COLUMN_NAME options, COPY's
// per-file result rows, its load metadata (a file already loaded into a table is skipped), and
// its error text naming the file, line, character, row and column.
// As https://docs.snowflake.com/en/sql-reference/sql/copy-into-table documents it; the default
// CSV options come from https://docs.snowflake.com/en/sql-reference/sql/create-file-format.

import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import { fixedColumn, textColumn, type RowType } from './encode.js';
import { optionBool, optionList, optionText, Scanner, type Options } from './stage-syntax.js';
import { CSV_OPTIONS, invalidFormatOption, PARQUET_OPTIONS, patternMatcher, sqlError, type StageAnswer, type StageSession, type StageStore } from './stages.js';
import { quoteIdent, quoteString } from './tokenizer.js';
import { TranslationError } from './translate.js';

const unsupported = (what: string): TranslationError => new TranslationError(`Unsupported feature '${what}' (not emulated).`, '002000', '0A000');

const CONTINUE_HINT =
  "If you would like to continue loading when an error is encountered, use other values such as 'SKIP_FILE' or 'CONTINUE' for the ON_ERROR option. For more information on loading options, please run 'info loading_data' in a SQL client.";

const COPY_OPTIONS = new Set([
  'FILES',
  'PATTERN',
  'FILE_FORMAT',
  'ON_ERROR',
  'PURGE',
  'MATCH_BY_COLUMN_NAME',
  'FORCE',
  'SIZE_LIMIT',
  'RETURN_FAILED_ONLY',
  'ENFORCE_LENGTH',
  'TRUNCATECOLUMNS',
  'LOAD_UNCERTAIN_FILES',
  'VALIDATION_MODE',
]);

interface TargetColumn {
  name: string;
  type: string;
  nullable: boolean;
}

type OnError = { kind: 'abort' } | { kind: 'continue' } | { kind: 'skip'; limit: number; percent: boolean };

function parseOnError(text: string | undefined): OnError {
  const t = (text ?? 'ABORT_STATEMENT').toUpperCase();
  if (t === 'ABORT_STATEMENT') return { kind: 'abort' };
  if (t === 'CONTINUE') return { kind: 'continue' };
  if (t === 'SKIP_FILE') return { kind: 'skip', limit: 1, percent: false };
  const m = /^SKIP_FILE_(\d+(?:\.\d+)?)(%?)$/.exec(t);
  if (m) return { kind: 'skip', limit: Number(m[1]), percent: m[2] === '%' };
  throw sqlError('002029', '22023', `SQL compilation error:\ninvalid value [${text}] for parameter 'ON_ERROR'`);
}

/** Snowflake's message for a value a column type does not take. */
function conversionMessage(type: string, value: string): { code: string; text: string } {
  const t = type.toUpperCase();
  const v = value.length > 100 ? `${value.slice(0, 100)}…` : value;
  if (/^(DECIMAL|NUMERIC|BIGINT|INTEGER|SMALLINT|TINYINT|HUGEINT|DOUBLE|FLOAT|REAL|U?BIGINT)/.test(t))
    return { code: '100038', text: `Numeric value '${v}' is not recognized` };
  if (t === 'DATE') return { code: '100040', text: `Date '${v}' is not recognized` };
  if (t.startsWith('TIMESTAMP')) return { code: '100035', text: `Timestamp '${v}' is not recognized` };
  if (t === 'TIME') return { code: '100108', text: `Time '${v}' is not recognized` };
  if (t === 'BOOLEAN') return { code: '100037', text: `Boolean value '${v}' is not recognized` };
  return { code: '100069', text: `Error parsing the value '${v}'` };
}

interface FileOutcome {
  row: string[] | (string | null)[];
  loaded: boolean;
}

export async function copyInto(store: StageStore, session: StageSession, conn: DuckDBConnection, source: string): Promise<StageAnswer> {
  const s = new Scanner(source);
  s.expect('COPY', 'INTO');
  s.acceptChar(' ');
  if (s.text.slice(s.pos).trimStart().startsWith('@') || s.text.slice(s.pos).trimStart().startsWith("'")) throw unsupported('COPY INTO <location> (unloading)');
  const tableParts = s.name();
  if (s.acceptChar('(')) throw unsupported('COPY INTO with a column list');
  s.expect('FROM');
  if (s.acceptChar('(')) throw unsupported('COPY INTO with a transformation (FROM (SELECT …))');
  const ref = s.stageRef();
  const stage = store.stage(session, ref);
  const options = s.options();
  for (const name of options.keys()) {
    if (!COPY_OPTIONS.has(name)) throw sqlError('001003', '42000', `SQL compilation error:\ninvalid parameter '${name}'`);
  }
  if (options.has('VALIDATION_MODE')) throw unsupported('VALIDATION_MODE');
  const copyOption = (name: string) => options.get(name) ?? stage.copyOptions.get(name);

  // The format: COPY's own options over a named format over the stage's, per option.
  const format: Options = new Map(stage.fileFormat);
  const given = options.get('FILE_FORMAT');
  if (given && given.kind !== 'options') throw sqlError('001003', '42000', 'SQL compilation error:\nsyntax error: FILE_FORMAT takes ( … )');
  const givenOptions = given?.kind === 'options' ? given.options : new Map();
  const named = optionText(givenOptions.get('FORMAT_NAME')) ?? optionText(format.get('FORMAT_NAME'));
  if (named) for (const [k, v] of store.fileFormat(session, named)) format.set(k, v);
  for (const [k, v] of givenOptions) if (k !== 'FORMAT_NAME') format.set(k, v);
  format.delete('FORMAT_NAME');
  const type = (optionText(format.get('TYPE')) ?? 'CSV').toUpperCase();
  if (type !== 'CSV' && type !== 'PARQUET') throw unsupported(`FILE_FORMAT TYPE = ${type}`);
  const allowed = new Set([...(type === 'CSV' ? CSV_OPTIONS : PARQUET_OPTIONS), 'TYPE', 'COMMENT']);
  for (const name of format.keys()) if (!allowed.has(name)) throw invalidFormatOption(name);

  const onError = parseOnError(optionText(copyOption('ON_ERROR')));
  const purge = optionBool(copyOption('PURGE'), false);
  const force = optionBool(copyOption('FORCE'), false);
  const match = (optionText(copyOption('MATCH_BY_COLUMN_NAME')) ?? 'NONE').toUpperCase();
  if (!['NONE', 'CASE_SENSITIVE', 'CASE_INSENSITIVE'].includes(match)) {
    throw sqlError('002029', '22023', `SQL compilation error:\ninvalid value [${match}] for parameter 'MATCH_BY_COLUMN_NAME'`);
  }
  const parseHeader = optionBool(format.get('PARSE_HEADER'), false);
  if (type === 'CSV' && match !== 'NONE' && !parseHeader) {
    throw sqlError('002016', '22000', 'SQL compilation error:\nMATCH_BY_COLUMN_NAME is only supported for CSV files when PARSE_HEADER = TRUE.');
  }
  if (type === 'CSV' && parseHeader && optionText(format.get('SKIP_HEADER')) !== undefined) {
    throw sqlError('002016', '22000', 'SQL compilation error:\nPARSE_HEADER and SKIP_HEADER cannot be used together.');
  }

  // The target table, as this session resolves its name.
  const qualified = tableParts.map(quoteIdent).join('.');
  let columns: TargetColumn[];
  let tableId: string;
  try {
    const described = (await conn.runAndReadAll(`DESCRIBE ${qualified}`)).getRowsJson() as string[][];
    columns = described.map((r) => ({ name: String(r[0]), type: String(r[1]), nullable: r[2] !== 'NO' }));
    tableId = await tableIdentity(conn, tableParts);
  } catch {
    throw sqlError('002003', '42S02', `SQL compilation error:\nTable '${tableParts.join('.')}' does not exist or not authorized.`);
  }
  const tableName = tableParts.at(-1)!;

  // The files: FILES names them under the path; PATTERN filters the rest.
  const files = optionList(copyOption('FILES'));
  const pattern = patternMatcher(optionText(copyOption('PATTERN')));
  const prefix = ref.path;
  let staged = store.files(stage, prefix);
  if (files) {
    const wanted = new Set(files.map((f) => `${prefix ? `${prefix.replace(/\/?$/, '/')}` : ''}${f}`));
    staged = staged.filter((f) => wanted.has(f.rel));
  } else staged = staged.filter((f) => pattern(f.rel) || pattern(store.displayName(stage, f.rel)));
  const history = store.loaded.get(tableId) ?? new Set<string>();
  const candidates = staged.map((f) => ({ ...f, id: `${stage.key}/${f.rel}:${createHash('md5').update(readFileSync(f.abs)).digest('hex')}` }));
  const toLoad = force ? candidates : candidates.filter((f) => !history.has(f.id));
  if (toLoad.length === 0) return { rowtype: [textColumn('status')], rowset: [['Copy executed with 0 files processed.']], statementTypeId: 0x1000 };

  const outcomes: FileOutcome[] = [];
  const ownTransaction = !(await inTransaction(conn));
  if (ownTransaction) await conn.run('BEGIN TRANSACTION');
  try {
    for (const f of toLoad) {
      outcomes.push(
        await loadFile(conn, {
          file: f.abs,
          shown: store.displayName(stage, f.rel),
          type,
          format,
          match,
          columns,
          qualified,
          tableName,
          onError,
        }),
      );
    }
    if (ownTransaction) await conn.run('COMMIT');
  } catch (error) {
    if (ownTransaction) await conn.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
  toLoad.forEach((f, i) => {
    if (!outcomes[i]!.loaded) return;
    history.add(f.id);
    if (purge) rmSync(f.abs, { force: true });
  });
  store.loaded.set(tableId, history);
  const rowtype: RowType[] = [
    textColumn('file'),
    textColumn('status'),
    fixedColumn('rows_parsed'),
    fixedColumn('rows_loaded'),
    fixedColumn('error_limit'),
    fixedColumn('errors_seen'),
    textColumn('first_error'),
    fixedColumn('first_error_line'),
    fixedColumn('first_error_character'),
    textColumn('first_error_column_name'),
  ];
  return { rowtype, rowset: outcomes.map((o) => o.row), statementTypeId: 0x1000 };
}

/** The table's identity (DuckDB's oid): a table created again under the same name has no load history. */
async function tableIdentity(conn: DuckDBConnection, parts: string[]): Promise<string> {
  const db = parts.length === 3 ? quoteString(parts[0]!) : 'current_database()';
  const schema = parts.length >= 2 ? quoteString(parts.at(-2)!) : 'current_schema()';
  const r = await conn.runAndReadAll(
    `SELECT table_oid FROM duckdb_tables() WHERE lower(table_name) = lower(${quoteString(parts.at(-1)!)}) AND ((lower(schema_name) = lower(${schema}) AND lower(database_name) = lower(${db})) OR database_name = 'temp') ORDER BY database_name = 'temp' DESC LIMIT 1`,
  );
  return String(r.getRowsJson()[0]?.[0] ?? parts.join('.'));
}

async function inTransaction(conn: DuckDBConnection): Promise<boolean> {
  try {
    await conn.run('BEGIN TRANSACTION');
  } catch {
    return true;
  }
  await conn.run('ROLLBACK');
  return false;
}

interface LoadSpec {
  file: string;
  shown: string;
  type: string;
  format: Options;
  match: string;
  columns: TargetColumn[];
  qualified: string;
  tableName: string;
  onError: OnError;
}

const STAGING = '__EMULATOR_COPY_ROWS';

/** One staged file: read into a staging table with row numbers, checked, then inserted. */
async function loadFile(conn: DuckDBConnection, spec: LoadSpec): Promise<FileOutcome> {
  const { format, columns } = spec;
  const lit = quoteString(spec.file);
  // Source column (in the staging table) for each target column, or null when the file has none.
  let sources: (string | null)[];
  let skipHeader = 0;
  try {
    if (spec.type === 'CSV') {
      const delim = optionText(format.get('FIELD_DELIMITER')) ?? ',';
      const enclosed = optionText(format.get('FIELD_OPTIONALLY_ENCLOSED_BY')) ?? 'NONE';
      const quote = enclosed.toUpperCase() === 'NONE' ? '' : enclosed;
      const compression = (optionText(format.get('COMPRESSION')) ?? 'AUTO').toUpperCase();
      const duckCompression =
        compression === 'AUTO' ? 'auto' : compression === 'NONE' ? 'none' : compression === 'GZIP' ? 'gzip' : compression === 'ZSTD' ? 'zstd' : null;
      if (duckCompression === null) throw unsupported(`COMPRESSION = ${compression}`);
      const record = optionText(format.get('RECORD_DELIMITER'));
      if (record !== undefined && record !== '\n' && record !== '\\n') throw unsupported(`RECORD_DELIMITER other than '\\n'`);
      const parseHeader = optionBool(format.get('PARSE_HEADER'), false);
      skipHeader = Number(optionText(format.get('SKIP_HEADER')) ?? 0) + (parseHeader ? 1 : 0);
      const emptyAsNull = optionBool(format.get('EMPTY_FIELD_AS_NULL'), true);
      const strictCount = optionBool(format.get('ERROR_ON_COLUMN_COUNT_MISMATCH'), true);
      let names: string[];
      if (parseHeader) {
        const head = await conn.runAndReadAll(
          `SELECT * FROM read_csv(${lit}, header = true, all_varchar = true, delim = ${quoteString(delim)}, quote = ${quoteString(quote)}, compression = '${duckCompression}') LIMIT 0`,
        );
        names = head.columnNames();
      } else {
        // Count the file's fields from its first record.
        const probe = await conn.runAndReadAll(
          `SELECT * FROM read_csv(${lit}, header = false, all_varchar = true, delim = ${quoteString(delim)}, quote = ${quoteString(quote)}, skip = ${skipHeader}, compression = '${duckCompression}', sample_size = 1) LIMIT 0`,
        );
        const count = probe.columnCount;
        if (strictCount && count !== columns.length) {
          throw sqlError(
            '100080',
            '22000',
            `Number of columns in file (${count}) does not match that of the corresponding table (${columns.length}), use file format option error_on_column_count_mismatch=false to ignore this error\n  File '${spec.shown}', line ${skipHeader + 1}, character 1\n  Row 1 starts at line ${skipHeader + 1}, column "${spec.tableName}"[${count > columns.length ? columns.length + 1 : count + 1}]\n  ${CONTINUE_HINT}`,
          );
        }
        names = Array.from({ length: strictCount ? columns.length : Math.max(count, columns.length) }, (_, i) => `c${i + 1}`);
      }
      const typed = `{${names.map((n) => `${quoteString(n)}: 'VARCHAR'`).join(', ')}}`;
      const nullIf = optionList(format.get('NULL_IF')) ?? ['\\N'];
      const trim = optionBool(format.get('TRIM_SPACE'), false);
      const read = `read_csv(${lit}, header = ${parseHeader}, auto_detect = false, columns = ${typed}, delim = ${quoteString(delim)}, quote = ${quoteString(quote)}, escape = ${quoteString(quote)}, skip = ${parseHeader ? 0 : skipHeader}, compression = '${duckCompression}', allow_quoted_nulls = false, strict_mode = ${strictCount}, null_padding = ${!strictCount}, nullstr = ${emptyAsNull ? "''" : quoteString('\u0000never')})`;
      const value = (n: string) => {
        let v = quoteIdent(n);
        if (trim) v = `trim(${v})`;
        return nullIf.length ? `CASE WHEN ${v} IN (${nullIf.map(quoteString).join(', ')}) THEN NULL ELSE ${v} END` : v;
      };
      await conn.run(
        `CREATE OR REPLACE TEMP TABLE ${STAGING} AS SELECT row_number() OVER () AS __row, ${names.map((n, i) => `${value(n)} AS v${i}`).join(', ')} FROM ${read}`,
      );
      sources = columns.map((c, i) => {
        if (!parseHeader) return i < names.length ? `v${i}` : null;
        const at = names.findIndex((n) => (spec.match === 'CASE_SENSITIVE' ? n === c.name : n.toUpperCase() === c.name.toUpperCase()));
        return at < 0 ? null : `v${at}`;
      });
    } else {
      if (spec.match === 'NONE') {
        throw sqlError(
          '002019',
          '0A000',
          'SQL compilation error:\nPARQUET file format can produce one and only one column of type variant, object, or array. Load data into separate columns using the MATCH_BY_COLUMN_NAME copy option or copy with transformation.',
        );
      }
      const head = await conn.runAndReadAll(`SELECT * FROM read_parquet(${lit}) LIMIT 0`);
      const names = head.columnNames();
      await conn.run(
        `CREATE OR REPLACE TEMP TABLE ${STAGING} AS SELECT file_row_number + 1 AS __row, ${names.map((n, i) => `${quoteIdent(n)} AS v${i}`).join(', ')} FROM read_parquet(${lit}, file_row_number = true)`,
      );
      sources = columns.map((c) => {
        const at = names.findIndex((n) => (spec.match === 'CASE_SENSITIVE' ? n === c.name : n.toUpperCase() === c.name.toUpperCase()));
        return at < 0 ? null : `v${at}`;
      });
    }
  } catch (error) {
    if (error instanceof TranslationError) throw error;
    throw readError(error, spec);
  }

  try {
    const total = Number((await conn.runAndReadAll(`SELECT count(*) FROM ${STAGING}`)).getRowsJson()[0]![0]);
    // A row is bad when a value does not convert to its column's type, or is NULL in a NOT NULL column.
    const checks = columns.map((c, i) => {
      const src = sources[i];
      const nullCheck = c.nullable ? 'false' : src ? `${src} IS NULL` : 'true';
      if (!src) return nullCheck;
      const convert = c.type === 'VARCHAR' ? 'false' : `(${src} IS NOT NULL AND TRY_CAST(${src} AS ${c.type}) IS NULL)`;
      return `${convert} OR ${nullCheck}`;
    });
    const badExpr = checks.map((c) => `(${c})`).join(' OR ') || 'false';
    const errors = Number((await conn.runAndReadAll(`SELECT count(*) FROM ${STAGING} WHERE ${badExpr}`)).getRowsJson()[0]![0]);
    let first: { row: number; column: number; value: string | null; character: number } | undefined;
    if (errors > 0) {
      const which = checks.map((c, i) => `WHEN ${c} THEN ${i}`).join(' ');
      const r = (await conn.runAndReadAll(`SELECT __row, CASE ${which} END AS col FROM ${STAGING} WHERE ${badExpr} ORDER BY __row LIMIT 1`)).getRowsJson()[0]!;
      const row = Number(r[0]);
      const column = Number(r[1]);
      const src = sources[column];
      const value = src
        ? ((await conn.runAndReadAll(`SELECT CAST(${src} AS VARCHAR) FROM ${STAGING} WHERE __row = ${row}`)).getRowsJson()[0]![0] as string | null)
        : null;
      // Where the field starts in its line: the fields before it and their delimiters (quotes not counted).
      const before = sources.slice(0, column).filter((x): x is string => x !== null);
      const offset = before.length
        ? Number(
            (
              await conn.runAndReadAll(`SELECT ${before.map((x) => `coalesce(length(${x}), 0)`).join(' + ')} FROM ${STAGING} WHERE __row = ${row}`)
            ).getRowsJson()[0]![0],
          )
        : 0;
      first = { row, column, value, character: 1 + offset + before.length };
    }
    const describe = (f: { row: number; column: number; value: string | null; character: number }) => {
      const col = columns[f.column]!;
      const msg = f.value === null ? { code: '100072', text: `NULL result in a non-nullable column` } : conversionMessage(col.type, f.value);
      const line = spec.type === 'CSV' ? f.row + skipHeader : f.row;
      const character = spec.type === 'CSV' ? f.character : 1;
      return { msg, line, character, column: `"${spec.tableName}"["${col.name}":${f.column + 1}]` };
    };
    let limit = 1;
    if (spec.onError.kind === 'continue') limit = total;
    if (spec.onError.kind === 'skip') limit = spec.onError.percent ? Math.ceil((spec.onError.limit / 100) * total) : spec.onError.limit;
    if (first && spec.onError.kind === 'abort') {
      const d = describe(first);
      throw sqlError(
        d.msg.code,
        '22000',
        `${d.msg.text}\n  File '${spec.shown}', line ${d.line}, character ${d.character}\n  Row ${first.row}, column ${d.column}\n  ${CONTINUE_HINT}`,
      );
    }
    const skipFile = spec.onError.kind === 'skip' && errors >= limit && errors > 0;
    let loaded = 0;
    if (!skipFile) {
      const select = columns.map((c, i) => (sources[i] ? `CAST(${sources[i]} AS ${c.type})` : 'NULL')).join(', ');
      const names = columns.map((c) => quoteIdent(c.name)).join(', ');
      const reader = await conn.runAndReadAll(
        `INSERT INTO ${spec.qualified} (${names}) SELECT ${select} FROM ${STAGING} WHERE NOT (${badExpr}) ORDER BY __row`,
      );
      loaded = reader.rowsChanged;
    }
    const d = first ? describe(first) : undefined;
    const statusText = errors === 0 ? 'LOADED' : loaded === 0 ? 'LOAD_FAILED' : 'PARTIALLY_LOADED';
    return {
      loaded: statusText !== 'LOAD_FAILED',
      row: [
        spec.shown,
        statusText,
        String(total),
        String(loaded),
        String(limit),
        String(errors),
        d ? `${d.msg.text}` : null,
        d ? String(d.line) : null,
        d ? String(d.character) : null,
        d ? d.column : null,
      ],
    };
  } finally {
    await conn.run(`DROP TABLE IF EXISTS temp.main.${STAGING}`);
  }
}

/** A file DuckDB cannot read, as Snowflake reports it. */
function readError(error: unknown, spec: LoadSpec): TranslationError {
  const text = error instanceof Error ? error.message : String(error);
  const line = /CSV Error on Line: (\d+)/.exec(text)?.[1];
  const counts = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(text);
  if (line && counts) {
    return sqlError(
      '100080',
      '22000',
      `Number of columns in file (${counts[2]}) does not match that of the corresponding table (${counts[1]}), use file format option error_on_column_count_mismatch=false to ignore this error\n  File '${spec.shown}', line ${line}, character 1\n  Row ${line} starts at line ${line}, column "${spec.tableName}"[${Number(counts[1]) + 1}]\n  ${CONTINUE_HINT}`,
    );
  }
  if (/parquet|magic/i.test(text) && spec.type === 'PARQUET') {
    return sqlError('100152', '22000', `Error parsing the parquet file: Invalid: Parquet magic bytes not found in footer.\n  File '${spec.shown}'`);
  }
  return sqlError('100069', '22000', `Error reading the file: ${text.split('\n')[0]}\n  File '${spec.shown}'`);
}
