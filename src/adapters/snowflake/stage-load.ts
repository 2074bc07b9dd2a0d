import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { LoadRowError, type Connection, type SeedColumn, type StagedFiles } from '../../warehouse/adapter.js';
import type { Dialect, RelationName, RelationType, TableKind } from '../../warehouse/dialect.js';
import type { CsvParts } from './csv-parts.js';
import { storedName } from './snowflake-dialect.js';

/** The format csv-parts.ts writes, as COPY reads it (options from …/sql-reference/sql/create-file-format). */
const PARTS_FORMAT = `(type = csv field_delimiter = ',' field_optionally_enclosed_by = '"' escape_unenclosed_field = none empty_field_as_null = true null_if = () compression = gzip)`;

/** Files the SDK uploads at once for one PUT (Snowflake's default is 4, at most 99: …/sql-reference/sql/put). */
const PUT_PARALLEL = 8;

export interface StageLoadContext {
  dialect: Dialect;
  /** Throws when the run was interrupted: checked between steps, as PUT's transfer cannot be cancelled mid-file. */
  checkCancelled: () => void;
}

async function relationType(conn: Connection, dialect: Dialect, rel: RelationName): Promise<{ type: RelationType; kind: TableKind } | null> {
  const r = await conn.execute(
    `select table_type, is_transient from ${dialect.quoteIdentifier(rel.database)}.information_schema.tables where table_schema = ? and table_name = ?`,
    [storedName(rel.schema), storedName(rel.identifier)],
  );
  const row = r.rows[0];
  if (!row) return null;
  return { type: row[0] === 'VIEW' ? 'view' : 'table', kind: row[1] === 'YES' ? 'transient' : 'permanent' };
}

/**
 * Builds `relation` aside under a temporary name, fills it with `fill` and swaps it in; on any
 * failure the temporary table is dropped and the previous relation is left as it was.
 */
async function replaceTable(
  conn: Connection,
  ctx: StageLoadContext,
  relation: RelationName,
  columns: SeedColumn[],
  fill: (tmp: RelationName) => Promise<number>,
): Promise<number> {
  const d = ctx.dialect;
  const tmp = { ...relation, identifier: `${relation.identifier}__model_tmp` };
  const existing = await relationType(conn, d, relation);
  await conn.execute(d.createTable(tmp, columns));
  try {
    const rows = await fill(tmp);
    ctx.checkCancelled();
    // The new table is transient (createTable); a permanent one (a seed dbt built) is replaced, keeping its grants.
    const kinds = existing ? { built: 'transient' as const, existing: existing.kind } : undefined;
    for (const s of d.swapTable(tmp, relation, existing?.type ?? null, kinds)) await conn.execute(s);
    return rows;
  } catch (e) {
    await conn.execute(d.drop(tmp, 'table')).catch(() => undefined);
    throw e;
  }
}

/** COPY's answer: one row per file with its status and rows_loaded (…/sql-reference/sql/copy-into-table, "Output"). */
function rowsLoaded(result: { columns: { name: string }[]; rows: unknown[][] }): number {
  const at = result.columns.findIndex((c) => c.name.toLowerCase() === 'rows_loaded');
  if (at < 0) return 0;
  return result.rows.reduce<number>((n, r) => n + Number(r[at] ?? 0), 0);
}

/**
 * COPY's error names the staged file, its row and the column: `File '<stage>/part_00003.csv.gz',
 * line 17, character 5` and `Row 17, column "T"["AMOUNT":6]`. Mapped back to the loaded data's
 * row (part i starts at its firstRow) and column, with Snowflake's reason.
 */
function copyError(e: unknown, parts: CsvParts, columns: SeedColumn[]): unknown {
  const text = e instanceof Error ? e.message : String(e);
  const file = /File '(?:[^']*\/)?(part_\d+\.csv\.gz)'/.exec(text)?.[1];
  const row = /Row (\d+)/.exec(text)?.[1];
  const part = parts.parts.find((p) => p.name === file);
  if (!part || row === undefined) return e;
  const stored = /column "(?:[^"]|"")*"\["((?:[^"]|"")*)":\d+\]/.exec(text)?.[1]?.replace(/""/g, '"');
  const column = columns.find((c) => storedName(c.name) === stored)?.name ?? stored;
  const reason = text.split('\n')[0]!.trim();
  return new LoadRowError(reason, part.firstRow + Number(row) - 1, column);
}

/** A new stage name, unique to this load, in the relation's schema. */
function stageFor(relation: RelationName): RelationName {
  return { ...relation, identifier: `model_load_${randomBytes(6).toString('hex')}` };
}

/**
 * Loads local parts into `relation` through a temporary internal stage: one CREATE STAGE, one PUT
 * (the SDK uploads the parts in parallel), one COPY INTO a temporary table, then the swap; the stage
 * is dropped whatever happens (COPY's PURGE has already removed the files it loaded). A process
 * killed meanwhile leaves a TEMPORARY stage, which Snowflake drops with the session.
 */
export async function loadParts(conn: Connection, ctx: StageLoadContext, relation: RelationName, columns: SeedColumn[], parts: CsvParts): Promise<number> {
  return replaceTable(conn, ctx, relation, columns, async (tmp) => {
    if (parts.parts.length === 0) return 0;
    const d = ctx.dialect;
    const stage = `@${d.qualify(stageFor(relation))}`;
    ctx.checkCancelled();
    await conn.execute(`create temporary stage ${stage.slice(1)}`);
    try {
      ctx.checkCancelled();
      // The path as written, quoted (spaces allowed): file:///tmp/… on Unix, file://C:\… on Windows.
      await conn.execute(
        `put ${d.stringLiteral(`file://${path.join(parts.dir, parts.glob)}`)} ${stage} parallel = ${PUT_PARALLEL} auto_compress = false source_compression = gzip overwrite = true`,
      );
      ctx.checkCancelled();
      let result: Awaited<ReturnType<Connection['execute']>>;
      try {
        result = await conn.execute(`copy into ${d.qualify(tmp)} from ${stage} file_format = ${PARTS_FORMAT} on_error = abort_statement purge = true`);
      } catch (e) {
        throw copyError(e, parts, columns);
      }
      return rowsLoaded(result);
    } finally {
      await conn.execute(`drop stage if exists ${stage.slice(1)}`).catch(() => undefined);
    }
  });
}

/** `( type = parquet )` as written, a format's name as `( format_name = 'name' )`. */
function fileFormatClause(format: string | undefined, dialect: Dialect): string {
  if (format === undefined) return '';
  const f = format.trim();
  return f.startsWith('(') ? ` file_format = ${f}` : ` file_format = (format_name = ${dialect.stringLiteral(f)})`;
}

/**
 * Loads files already in a stage with COPY INTO, matching columns by name as dbt-external-tables'
 * Snowpipe backfill does (macros/plugins/snowflake/snowpipe/get_copy_sql.sql): no upload.
 */
export async function loadStagedFiles(
  conn: Connection,
  ctx: StageLoadContext,
  relation: RelationName,
  files: StagedFiles,
  columns: SeedColumn[],
): Promise<number> {
  return replaceTable(conn, ctx, relation, columns, async (tmp) => {
    const d = ctx.dialect;
    const pattern = files.pattern === undefined ? '' : ` pattern = ${d.stringLiteral(files.pattern)}`;
    // The temporary table is new each run, so COPY's load metadata never skips a file loaded before.
    const result = await conn.execute(
      `copy into ${d.qualify(tmp)} from ${files.location}${fileFormatClause(files.fileFormat, d)}${pattern} match_by_column_name = case_insensitive on_error = abort_statement`,
    );
    return rowsLoaded(result);
  });
}
