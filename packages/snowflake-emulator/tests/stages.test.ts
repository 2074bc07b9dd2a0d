// Stages, PUT, LIST, REMOVE, COPY INTO and chunked results, driven by the real snowflake-sdk:
// PUT goes through the SDK's own file-transfer code (LOCAL_FS), chunks through its downloader.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Connection, ConnectionOptions, SnowflakeError } from 'snowflake-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '../src/server.js';

type SnowflakeSdk = typeof import('snowflake-sdk');

let emulator: SnowflakeEmulator;
let sdk: SnowflakeSdk;
let conn: Connection;
let dir: string;

function connect(): Promise<Connection> {
  const c = sdk.createConnection({
    account: 'emulator',
    username: 'model',
    password: 'model-password',
    accessUrl: emulator.url,
    warehouse: 'compute_wh',
    sfRetryMaxLoginRetries: 1,
  } as ConnectionOptions);
  return new Promise((resolve, reject) => c.connect((err) => (err ? reject(err) : resolve(c))));
}

function exec(c: Connection, sqlText: string): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    c.execute({ sqlText, complete: (err, _stmt, rows) => (err ? reject(err) : resolve((rows ?? []) as Record<string, unknown>[])) });
  });
}

async function fails(c: Connection, sqlText: string): Promise<SnowflakeError> {
  try {
    await exec(c, sqlText);
  } catch (e) {
    return e as SnowflakeError;
  }
  throw new Error(`expected "${sqlText}" to fail`);
}

const file = (name: string, text: string): string => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

beforeAll(async () => {
  emulator = await startSnowflakeEmulator({ port: 0, resultChunkRows: 100 });
  const mod = await import('snowflake-sdk');
  sdk = ((mod as { default?: SnowflakeSdk }).default ?? mod) as SnowflakeSdk;
  sdk.configure({ logLevel: 'OFF' });
  dir = mkdtempSync(path.join(os.tmpdir(), 'stage-test-'));
  conn = await connect();
  await exec(conn, 'create database stage_db');
  await exec(conn, 'create table t (id number(38,0) not null, name varchar, d date)');
});

afterAll(async () => {
  await new Promise<void>((r) => conn.destroy(() => r()));
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('stages and PUT', () => {
  // https://docs.snowflake.com/en/sql-reference/sql/create-stage, …/sql/put, …/sql/list, …/sql/remove
  it('CREATE STAGE, PUT (the SDK uploads and gzips), LIST, REMOVE, DROP STAGE', async () => {
    expect(await exec(conn, 'create stage s1')).toEqual([{ status: 'Stage area S1 successfully created.' }]);
    expect((await fails(conn, 'create stage s1')).code).toBe('002002');
    expect(await exec(conn, 'create stage if not exists s1')).toEqual([{ status: 'S1 already exists, statement succeeded.' }]);
    const src = file('a.csv', '1,x,2024-01-02\n');
    const put = await exec(conn, `put file://${src} @s1/in/ auto_compress=true`);
    expect(put).toEqual([
      expect.objectContaining({ source: 'a.csv', target: 'a.csv.gz', sourceCompression: null, targetCompression: 'GZIP', status: 'UPLOADED' }),
    ]);
    const listed = await exec(conn, 'list @s1');
    expect(listed).toEqual([
      { name: 's1/in/a.csv.gz', size: expect.any(Number), md5: expect.stringMatching(/^[0-9a-f]{32}$/), last_modified: expect.any(String) },
    ]);
    expect(await exec(conn, "list @s1 pattern = '.*[.]txt'")).toEqual([]);
    expect(await exec(conn, 'remove @s1/in/')).toEqual([{ name: 's1/in/a.csv.gz', result: 'removed' }]);
    expect(await exec(conn, 'ls @s1')).toEqual([]);
    expect(await exec(conn, 'drop stage s1')).toEqual([{ status: 'S1 successfully dropped.' }]);
    const missing = await fails(conn, 'list @s1');
    expect(missing.code).toBe('002003');
    expect(missing.message).toMatch(/Stage 'STAGE_DB.PUBLIC.S1' does not exist or not authorized/);
  });

  it('a temporary stage is dropped with its session, files and all', async () => {
    const other = await connect();
    await exec(other, 'use schema stage_db.public');
    await exec(other, 'create temporary stage tmp_s');
    await exec(other, `put 'file://${file('b.csv', '1,y,2024-01-01\n')}' @tmp_s auto_compress=false`);
    expect(emulator.stageFiles().filter((f) => f.stage.endsWith('TMP_S'))).toEqual([expect.objectContaining({ temporary: true, file: 'b.csv' })]);
    // Not visible from another session.
    expect((await fails(conn, 'list @tmp_s')).code).toBe('002003');
    await new Promise<void>((r) => other.destroy(() => r()));
    expect(emulator.stageFiles().filter((f) => f.stage.endsWith('TMP_S'))).toEqual([]);
  });
});

describe('COPY INTO', () => {
  // https://docs.snowflake.com/en/sql-reference/sql/copy-into-table: output columns, ON_ERROR, PURGE, load metadata.
  it('loads CSV files with the given format and answers one row per file', async () => {
    await exec(conn, 'create or replace stage s2');
    await exec(conn, `put file://${file('p1.csv', 'id,name,d\n1,"a, b",2024-01-02\n2,"",\n')} @s2 auto_compress=true`);
    await exec(conn, `put file://${file('p2.csv', 'id,name,d\n3,\\N,2024-03-04\n')} @s2 auto_compress=false`);
    const rows = await exec(conn, "copy into t from @s2 file_format = (type = csv skip_header = 1 field_optionally_enclosed_by = '\"') purge = true");
    expect(rows).toEqual([
      {
        file: 's2/p1.csv.gz',
        status: 'LOADED',
        rows_parsed: 2,
        rows_loaded: 2,
        error_limit: 1,
        errors_seen: 0,
        first_error: null,
        first_error_line: null,
        first_error_character: null,
        first_error_column_name: null,
      },
      expect.objectContaining({ file: 's2/p2.csv', status: 'LOADED', rows_loaded: 1 }),
    ]);
    // "" is an empty string, an empty field NULL, \N NULL (the default NULL_IF).
    expect(await emulator.query('select ID, NAME, cast(D as varchar) as D from STAGE_DB.PUBLIC.T order by ID')).toEqual([
      { ID: 1, NAME: 'a, b', D: '2024-01-02' },
      { ID: 2, NAME: '', D: null },
      { ID: 3, NAME: null, D: '2024-03-04' },
    ]);
    // PURGE removed the loaded files.
    expect(await exec(conn, 'list @s2')).toEqual([]);
  });

  it('skips files it already loaded into the table unless FORCE = TRUE', async () => {
    await exec(conn, 'create or replace table t2 (id number, name varchar, d date)');
    await exec(conn, 'create or replace stage s3');
    await exec(conn, `put file://${file('q.csv', '7,q,2024-01-01\n')} @s3`);
    expect(await exec(conn, 'copy into t2 from @s3')).toEqual([expect.objectContaining({ status: 'LOADED', rows_loaded: 1 })]);
    expect(await exec(conn, 'copy into t2 from @s3')).toEqual([{ status: 'Copy executed with 0 files processed.' }]);
    expect(await exec(conn, 'copy into t2 from @s3 force = true')).toEqual([expect.objectContaining({ status: 'LOADED' })]);
    // A table created again under the same name has no load history.
    await exec(conn, 'create or replace table t2 (id number, name varchar, d date)');
    expect(await exec(conn, 'copy into t2 from @s3')).toEqual([expect.objectContaining({ status: 'LOADED' })]);
  });

  it('a bad value aborts the statement naming file, line, character, row and column; nothing is loaded', async () => {
    await exec(conn, 'create or replace table t3 (id number, name varchar, d date)');
    await exec(conn, 'create or replace stage s4');
    await exec(conn, `put file://${file('good.csv', '1,a,2024-01-01\n')} @s4`);
    await exec(conn, `put file://${file('bad.csv', 'id,name,d\n1,a,2024-01-01\n2,bb,notadate\n')} @s4`);
    const e = await fails(conn, "copy into t3 from @s4 file_format = (type = csv skip_header = 1) pattern = '.*bad.*'");
    expect(e.code).toBe('100040');
    expect(e.message).toBe(
      "Date 'notadate' is not recognized\n  File 's4/bad.csv.gz', line 3, character 6\n  Row 2, column \"T3\"[\"D\":3]\n  If you would like to continue loading when an error is encountered, use other values such as 'SKIP_FILE' or 'CONTINUE' for the ON_ERROR option. For more information on loading options, please run 'info loading_data' in a SQL client.",
    );
    expect(await emulator.query('select count(*) as N from STAGE_DB.PUBLIC.T3')).toEqual([{ N: 0 }]);
    const cont = await exec(conn, "copy into t3 from @s4 file_format = (type = csv skip_header = 1) pattern = '.*bad.*' on_error = continue");
    expect(cont).toEqual([
      expect.objectContaining({
        file: 's4/bad.csv.gz',
        status: 'PARTIALLY_LOADED',
        rows_parsed: 2,
        rows_loaded: 1,
        errors_seen: 1,
        first_error: "Date 'notadate' is not recognized",
        first_error_line: 3,
        first_error_column_name: '"T3"["D":3]',
      }),
    ]);
    const skip = await exec(conn, "copy into t3 from @s4 file_format = (type = csv skip_header = 1) pattern = '.*bad.*' on_error = skip_file force = true");
    expect(skip).toEqual([expect.objectContaining({ status: 'LOAD_FAILED', rows_loaded: 0 })]);
    const count = await fails(conn, "copy into t3 from @s4 pattern = '.*good.*' file_format = (type = csv field_delimiter = '|')");
    expect(count.code).toBe('100080');
    expect(count.message).toMatch(/^Number of columns in file \(1\) does not match that of the corresponding table \(3\)/);
  });

  it('loads Parquet by column name, and refuses Parquet into separate columns without MATCH_BY_COLUMN_NAME', async () => {
    const pq = path.join(dir, 'x.parquet');
    const duck = await DuckDBInstance.create(':memory:');
    const c = await duck.connect();
    await c.run(
      `copy (select 'n' || i as name, i as id, date '2024-01-01' + cast(i as integer) as d, 'extra' as other from range(3) t(i)) to '${pq}' (format parquet)`,
    );
    c.closeSync();
    duck.closeSync();
    await exec(conn, 'create or replace table t4 (id number, name varchar, d date)');
    await exec(conn, 'create or replace file format pq type = parquet');
    await exec(conn, 'create or replace stage s5 file_format = (format_name = pq)');
    await exec(conn, `put file://${pq} @s5 auto_compress = false`);
    const e = await fails(conn, 'copy into t4 from @s5');
    expect(e.code).toBe('002019');
    expect(await exec(conn, 'copy into t4 from @s5 match_by_column_name = case_insensitive')).toEqual([
      expect.objectContaining({ status: 'LOADED', rows_loaded: 3 }),
    ]);
    expect(await emulator.query('select ID, NAME from STAGE_DB.PUBLIC.T4 order by ID')).toEqual([
      { ID: 0, NAME: 'n0' },
      { ID: 1, NAME: 'n1' },
      { ID: 2, NAME: 'n2' },
    ]);
  });

  it('rejects options Snowflake does not have', async () => {
    await exec(conn, 'create or replace stage s6');
    expect((await fails(conn, 'copy into t from @s6 on_eror = continue')).code).toBe('001003');
    expect((await fails(conn, 'copy into t from @s6 file_format = (type = csv bogus = 1)')).message).toMatch(/invalid file format option 'BOGUS'/);
  });
});

describe('chunked results', () => {
  it('a large result comes inline and in chunks the SDK downloads with the result key', async () => {
    await exec(conn, 'create or replace table nums (i number)');
    await new Promise<void>((resolve, reject) =>
      conn.execute({
        sqlText: 'insert into nums (i) values (?)',
        binds: Array.from({ length: 1000 }, (_, i) => [i]),
        complete: (err) => (err ? reject(err) : resolve()),
      }),
    );
    const before = emulator.stats.requests;
    const rows = await exec(conn, 'select i from nums order by i');
    expect(rows).toHaveLength(1000);
    expect(rows.map((r) => Number(Object.values(r)[0]))).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    // 100 rows inline, 9 chunks fetched over loopback.
    expect(emulator.stats.requests - before).toBeGreaterThanOrEqual(10);
  });
});
