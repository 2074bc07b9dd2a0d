import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import { ColumnMismatchError, missingColumns, type ExternalFile, type SeedColumn } from '../../warehouse/adapter.js';

/**
 * Gzip CSV files ready for PUT, in one local folder: every value in double quotes (a quote doubled),
 * NULL as an empty unquoted field, so COPY tells NULL from the empty string with
 * FIELD_OPTIONALLY_ENCLOSED_BY = '"' and EMPTY_FIELD_AS_NULL = TRUE, and no text value can be taken
 * for NULL (https://docs.snowflake.com/en/user-guide/data-unload-considerations, "Empty strings
 * and NULL values"). Part i holds the data rows firstRow … firstRow + rows - 1, in input order.
 */
export interface CsvParts {
  dir: string;
  /** The files' name pattern, for PUT. */
  glob: string;
  parts: { name: string; firstRow: number; rows: number; bytes: number }[];
  rows: number;
}

/**
 * Uncompressed CSV bytes per part. Snowflake loads each file on one thread and recommends files of
 * 100–250 MB compressed at most (https://docs.snowflake.com/en/user-guide/data-load-considerations-prepare);
 * 128 MB of CSV gzips to roughly 20–40 MB, so a big input gives several parts that PUT uploads, and
 * COPY loads, in parallel, while a small one stays one file.
 */
export const PART_BYTES = 128 * 1024 * 1024;

const PREFIX = 'model-load-';

/** A new folder for one load's parts; folders left by killed processes (their pid is gone) are removed first. */
export function newPartsDir(): string {
  const tmp = os.tmpdir();
  for (const name of readdirSync(tmp)) {
    const pid = Number(/^model-load-(\d+)-/.exec(name)?.[1]);
    if (!pid || pid === process.pid || alive(pid)) continue;
    rmSync(path.join(tmp, name), { recursive: true, force: true });
  }
  return mkdtempSync(path.join(tmp, `${PREFIX}${process.pid}-`));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const partName = (i: number) => `part_${String(i).padStart(5, '0')}.csv.gz`;

function csvField(v: string | null): string {
  return v === null ? '' : `"${v.replace(/"/g, '""')}"`;
}

/** Seed rows (text or NULL) as parts, written here: a seed is already in memory. */
export function writeRowParts(dir: string, rows: (string | null)[][]): CsvParts {
  const parts: CsvParts['parts'] = [];
  let lines: string[] = [];
  let bytes = 0;
  let first = 1;
  const flush = () => {
    if (!lines.length) return;
    const name = partName(parts.length);
    const data = gzipSync(lines.join(''));
    writeFileSync(path.join(dir, name), data);
    parts.push({ name, firstRow: first, rows: lines.length, bytes: data.length });
    first += lines.length;
    lines = [];
    bytes = 0;
  };
  for (const row of rows) {
    const line = `${row.map(csvField).join(',')}\n`;
    lines.push(line);
    bytes += line.length;
    if (bytes >= PART_BYTES) flush();
  }
  flush();
  return { dir, glob: 'part_*.csv.gz', parts, rows: rows.length };
}

/** A Snowflake type for each DuckDB column type a Parquet or CSV file can have, and its text form. */
function snowflakeTypeOf(duckType: string): { type: string; select: (col: string) => string } {
  const asText = (col: string) => `cast(${col} as varchar)`;
  const t = duckType.toUpperCase();
  if (t === 'BOOLEAN') return { type: 'BOOLEAN', select: asText };
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/.test(t)) return { type: 'NUMBER(38,0)', select: asText };
  const dec = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(t);
  if (dec) return { type: `NUMBER(${dec[1]},${dec[2]})`, select: asText };
  if (t === 'FLOAT' || t === 'DOUBLE') return { type: 'FLOAT', select: asText };
  if (t === 'DATE') return { type: 'DATE', select: asText };
  if (t === 'TIMESTAMP WITH TIME ZONE') return { type: 'TIMESTAMP_TZ', select: (c) => `strftime(${c}, '%Y-%m-%d %H:%M:%S.%f %z')` };
  if (/^TIMESTAMP/.test(t)) return { type: 'TIMESTAMP_NTZ', select: asText };
  if (t === 'TIME') return { type: 'TIME', select: asText };
  if (t === 'VARCHAR') return { type: 'VARCHAR', select: (c) => c };
  // Nested values (lists, structs, maps), JSON, UUID, intervals, blobs: their text form.
  if (/\[\]$|^(STRUCT|MAP|UNION|LIST|JSON)/.test(t)) return { type: 'VARCHAR', select: (c) => `cast(to_json(${c}) as varchar)` };
  return { type: 'VARCHAR', select: asText };
}

/**
 * Reads a local Parquet or CSV file with an embedded DuckDB and writes it as parts: the file's
 * columns keep their names and get the matching Snowflake types; values are DuckDB's text for them.
 * When the file lacks one of `expectedColumns`, nothing is written and a ColumnMismatchError is thrown.
 */
export async function writeFileParts(
  dir: string,
  file: ExternalFile,
  expectedColumns: string[],
  checkCancelled: () => void = () => undefined,
): Promise<{ columns: SeedColumn[]; parts: CsvParts }> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  // In memory, spilling to the scratch folder when a big input does not fit.
  const scratch = path.join(dir, 'scratch');
  mkdirSync(scratch);
  const instance = await DuckDBInstance.create(':memory:', { temp_directory: scratch });
  const local = await instance.connect();
  try {
    const lit = `'${file.path.replace(/'/g, "''")}'`;
    const reader = file.format === 'parquet' ? `read_parquet(${lit})` : `read_csv(${lit}, header = true, all_varchar = true)`;
    const described = (await local.runAndReadAll(`describe select * from ${reader}`)).getRowsJson() as string[][];
    const found = described.map((r) => String(r[0]));
    const missing = missingColumns(expectedColumns, found);
    if (missing.length) throw new ColumnMismatchError(missing, found);
    const mapped = described.map((r) => ({ name: String(r[0]), ...snowflakeTypeOf(String(r[1])) }));
    const columns = mapped.map((m) => ({ name: m.name, type: m.type }));
    const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
    // Text columns in input order (DuckDB keeps insertion order), so rowid ranges are row ranges.
    await local.run(`create table src as select ${mapped.map((m, i) => `${m.select(q(m.name))} as c${i}`).join(', ')} from ${reader}`);
    const [[countText, widthText]] = (
      await local.runAndReadAll(
        `select (select count(*) from src), coalesce((select avg(${mapped.map((_, i) => `coalesce(strlen(c${i}), 0)`).join(' + ') || '0'}) from (select * from src limit 10000)), 0)`,
      )
    ).getRowsJson() as [[string, string]];
    const rows = Number(countText);
    // Each value costs its bytes, two quotes and a comma; the row a newline.
    const rowBytes = Number(widthText) + 3 * columns.length + 1;
    const perPart = Math.max(1, Math.floor(PART_BYTES / Math.max(1, rowBytes)));
    const count = Math.ceil(rows / perPart);
    const parts: CsvParts['parts'] = Array.from({ length: count }, (_, i) => ({
      name: partName(i),
      firstRow: i * perPart + 1,
      rows: Math.min(perPart, rows - i * perPart),
      bytes: 0,
    }));
    // DuckDB writes each part as plain CSV and Node gzips it (zlib on the thread pool, several
    // times faster than DuckDB's own gzip), the next part being written meanwhile.
    const compressing: Promise<void>[] = [];
    for (const p of parts) {
      // Ctrl-C stops a big file between parts rather than after all of them.
      checkCancelled();
      const plain = path.join(dir, p.name.replace(/\.gz$/, ''));
      await local.run(
        `copy (select * from src where rowid >= ${p.firstRow - 1} and rowid < ${p.firstRow - 1 + p.rows}) to '${plain.replace(/'/g, "''")}' (format csv, header false, force_quote *)`,
      );
      const done = pipeline(createReadStream(plain), createGzip(), createWriteStream(path.join(dir, p.name))).then(() => {
        rmSync(plain);
        p.bytes = statSync(path.join(dir, p.name)).size;
      });
      // Awaited below; marked handled now so a failure while the next part is written is not unhandled.
      done.catch(() => undefined);
      compressing.push(done);
    }
    await Promise.all(compressing);
    return { columns, parts: { dir, glob: 'part_*.csv.gz', parts, rows } };
  } finally {
    local.closeSync();
    instance.closeSync();
    rmSync(scratch, { recursive: true, force: true });
  }
}
