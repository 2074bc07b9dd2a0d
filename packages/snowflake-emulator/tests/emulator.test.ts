// Drives the emulator with the real snowflake-sdk over loopback HTTP.

import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection, ConnectionOptions, RowStatement, SnowflakeError } from 'snowflake-sdk';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '../src/server.js';

type SnowflakeSdk = typeof import('snowflake-sdk');

let emulator: SnowflakeEmulator;
let sdk: SnowflakeSdk;
const open: Connection[] = [];

const USER = 'model';
const PASSWORD = 'model-password';

beforeAll(async () => {
  emulator = await startSnowflakeEmulator({ port: 0 });
  // Imported lazily, after the setup file disabled the SDK's cloud probing.
  const mod = await import('snowflake-sdk');
  sdk = ((mod as { default?: SnowflakeSdk }).default ?? mod) as SnowflakeSdk;
  sdk.configure({ logLevel: 'OFF' });
});

afterAll(async () => {
  for (const conn of open) if (conn.isUp()) await destroy(conn);
  await emulator.close();
});

function connect(options: Partial<ConnectionOptions> = {}): Promise<Connection> {
  const conn = sdk.createConnection({
    account: 'emulator',
    username: USER,
    password: PASSWORD,
    accessUrl: emulator.url,
    warehouse: 'compute_wh',
    sfRetryMaxLoginRetries: 1,
    ...options,
  } as ConnectionOptions);
  open.push(conn);
  return new Promise((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve(conn))));
}

function destroy(conn: Connection): Promise<void> {
  return new Promise((resolve, reject) => conn.destroy((err) => (err ? reject(err) : resolve())));
}

interface Executed {
  stmt: RowStatement;
  rows: Record<string, unknown>[];
}

function exec(conn: Connection, sqlText: string, binds?: unknown[], extra: Record<string, unknown> = {}): Promise<Executed> {
  return new Promise((resolve, reject) => {
    conn.execute({
      sqlText,
      ...(binds ? { binds: binds as never } : {}),
      ...extra,
      complete: (err, stmt, rows) => (err ? reject(err) : resolve({ stmt: stmt as RowStatement, rows: (rows ?? []) as Record<string, unknown>[] })),
    });
  });
}

async function execError(conn: Connection, sqlText: string): Promise<SnowflakeError> {
  try {
    await exec(conn, sqlText);
  } catch (error) {
    return error as SnowflakeError;
  }
  throw new Error(`expected "${sqlText}" to fail`);
}

describe('login and session', () => {
  it('logs in with the configured user', async () => {
    const before = emulator.sessionCount;
    const conn = await connect();
    expect(conn.isUp()).toBe(true);
    expect(emulator.sessionCount).toBe(before + 1);
    const { rows } = await exec(conn, 'select 1 as one');
    expect(rows).toEqual([{ ONE: 1 }]);
  });

  it('rejects a wrong password quickly with a clear error', async () => {
    const started = Date.now();
    const error = await connect({ password: 'wrong' }).then(
      () => undefined,
      (e: unknown) => e as SnowflakeError,
    );
    expect(error).toBeDefined();
    expect(error!.code).toBe('390100');
    expect(error!.message).toMatch(/Incorrect username or password/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses requests without a valid session token', async () => {
    const requestsBefore = emulator.stats.queries;
    for (const authorization of ['Snowflake Token="not-a-token"', '']) {
      const response = await fetch(`${emulator.url}/queries/v1/query-request`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(authorization ? { Authorization: authorization } : {}) },
        body: JSON.stringify({ sqlText: 'select 1' }),
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.json()).toMatchObject({ success: false, code: '390104' });
    }
    expect(emulator.stats.queries).toBe(requestsBefore);
  });

  it('accepts gzip request bodies, detected by their magic bytes', async () => {
    const body = gzipSync(JSON.stringify({ data: { LOGIN_NAME: USER, PASSWORD: PASSWORD } }));
    // No Content-Encoding header on purpose: the emulator must sniff the bytes.
    const response = await fetch(`${emulator.url}/session/v1/login-request`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
    });
    expect(response.status).toBe(200);
    const reply = (await response.json()) as { success: boolean; data: { token: string; sessionId: number } };
    expect(reply.success).toBe(true);
    expect(reply.data.token).toEqual(expect.any(String));
    const logout = await fetch(`${emulator.url}/session?delete=true`, {
      method: 'POST',
      headers: { Authorization: `Snowflake Token="${reply.data.token}"` },
    });
    expect(await logout.json()).toMatchObject({ success: true });
  });

  it('answers heartbeats and logs out', async () => {
    const conn = await connect();
    const heartbeats = emulator.stats.heartbeats;
    // isValidAsync() sends a heartbeat request.
    await expect(conn.isValidAsync()).resolves.toBe(true);
    expect(emulator.stats.heartbeats).toBe(heartbeats + 1);
    const before = emulator.sessionCount;
    await destroy(conn);
    expect(conn.isUp()).toBe(false);
    expect(emulator.sessionCount).toBe(before - 1);
  });

  it('logs in to a missing database, failing queries with 002003 until it exists', async () => {
    const conn = await connect({ database: 'not_yet', schema: 'public' });
    expect((await execError(conn, 'select * from t')).code).toBe('002003');
    const noContext = await execError(conn, 'create table t (a int)');
    expect(noContext.code).toBe('090105');
    expect((await exec(conn, 'select 42 as answer')).rows).toEqual([{ ANSWER: 42 }]);

    const admin = await connect();
    await exec(admin, 'create database not_yet');
    await exec(admin, 'create table not_yet.public.t (a int)');
    await exec(admin, 'insert into not_yet.public.t values (7)');
    expect((await exec(conn, 'select a from t')).rows).toEqual([{ A: 7 }]);
  });

  it('keeps temp tables and USE context per session', async () => {
    const a = await connect();
    const b = await connect();
    await exec(a, 'create database if not exists scratch');
    await exec(a, 'create temporary table tmp_only_a (x int)');
    expect((await exec(a, 'select count(*) as n from tmp_only_a')).rows).toEqual([{ N: 0 }]);
    expect((await execError(b, 'select * from tmp_only_a')).code).toBe('002003');
    expect((await execError(b, 'select * from tmp_only_a')).sqlState).toBe('42S02');
  });
});

describe('DDL', () => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await connect();
    await exec(conn, 'create database if not exists analytics');
    await exec(conn, 'use database analytics');
  });

  it('creates schemas and makes a new one current, as Snowflake does', async () => {
    const { rows } = await exec(conn, 'create schema if not exists analytics.staging');
    expect(rows).toEqual([{ status: 'Schema STAGING successfully created.' }]);
    await exec(conn, 'create table in_staging (a int)');
    expect(await emulator.query("select count(*) as n from duckdb_tables() where schema_name = 'STAGING' and table_name = 'IN_STAGING'")).toEqual([{ n: 1 }]);
    await exec(conn, 'use schema public');
    expect((await execError(conn, 'select * from in_staging')).code).toBe('002003');
    expect((await exec(conn, 'select count(*) as n from staging.in_staging')).rows).toEqual([{ N: 0 }]);
  });

  it('creates or replaces transient tables', async () => {
    await exec(conn, 'create or replace transient table analytics.public.t_replace as select 1 as a');
    const { rows } = await exec(conn, 'create or replace transient table analytics.public.t_replace as select 2 as a union all select 3');
    expect(rows).toEqual([{ status: 'Table T_REPLACE successfully created.' }]);
    expect((await exec(conn, 'select a from t_replace order by a')).rows).toEqual([{ A: 2 }, { A: 3 }]);
    expect((await execError(conn, 'create transient table t_replace (a int)')).code).toBe('002002');
  });

  it('swaps tables atomically', async () => {
    await exec(conn, "create or replace table swap_live as select 'old' as v");
    await exec(conn, "create or replace table swap_next as select 'new' as v union all select 'newer'");
    await exec(conn, 'alter table analytics.public.swap_live swap with swap_next');
    expect((await exec(conn, 'select v from swap_live order by v')).rows).toEqual([{ V: 'new' }, { V: 'newer' }]);
    expect((await exec(conn, 'select v from swap_next')).rows).toEqual([{ V: 'old' }]);

    // A failed swap leaves both tables as they were.
    expect((await execError(conn, 'alter table swap_live swap with no_such_table')).code).toBe('002003');
    expect((await exec(conn, 'select count(*) as n from swap_live')).rows).toEqual([{ N: 2 }]);
  });

  // docs.snowflake.com/en/user-guide/tables-temp-transient (a table's kind is fixed when it is
  // created), …/sql-reference/info-schema/tables (IS_TRANSIENT), …/sql-reference/sql/show-tables (kind).
  it('keeps table kinds: transient or permanent, shown and never swapped across', async () => {
    await exec(conn, 'create or replace transient table kind_a as select 1 as v');
    await exec(conn, 'create or replace table kind_b as select 2 as v');
    await exec(conn, 'create or replace transient table kind_c as select 3 as v');
    const kinds = async () =>
      (await exec(conn, "select table_name, is_transient from information_schema.tables where table_name like 'KIND_%' order by 1")).rows;
    expect(await kinds()).toEqual([
      { TABLE_NAME: 'KIND_A', IS_TRANSIENT: 'YES' },
      { TABLE_NAME: 'KIND_B', IS_TRANSIENT: 'NO' },
      { TABLE_NAME: 'KIND_C', IS_TRANSIENT: 'YES' },
    ]);
    const shown = await exec(conn, "show tables like 'kind_%' in schema analytics.public");
    expect(shown.rows.map((r) => [r.name, r.kind])).toEqual([
      ['KIND_A', 'TRANSIENT'],
      ['KIND_B', 'TABLE'],
      ['KIND_C', 'TRANSIENT'],
    ]);

    const refused = await execError(conn, 'alter table kind_a swap with kind_b');
    expect([refused.code, refused.message]).toEqual(['002002', "SQL compilation error:\nCannot swap transient table 'KIND_A' with permanent table 'KIND_B'."]);
    expect((await exec(conn, 'select v from kind_a')).rows).toEqual([{ V: 1 }]);

    // Same kind swaps; kinds stay with the names' tables (both transient). A rename keeps the kind;
    // CREATE OR REPLACE makes the kind it names.
    await exec(conn, 'alter table kind_a swap with kind_c');
    expect((await exec(conn, 'select v from kind_a')).rows).toEqual([{ V: 3 }]);
    await exec(conn, 'alter table kind_c rename to kind_d');
    await exec(conn, 'create or replace transient table kind_b copy grants as select * from kind_b');
    expect(await kinds()).toEqual([
      { TABLE_NAME: 'KIND_A', IS_TRANSIENT: 'YES' },
      { TABLE_NAME: 'KIND_B', IS_TRANSIENT: 'YES' },
      { TABLE_NAME: 'KIND_D', IS_TRANSIENT: 'YES' },
    ]);
    await exec(conn, 'create or replace table kind_a as select 4 as v');
    await exec(conn, 'drop table kind_d');
    await exec(conn, 'create table kind_d (v int)');
    expect(await kinds()).toEqual([
      { TABLE_NAME: 'KIND_A', IS_TRANSIENT: 'NO' },
      { TABLE_NAME: 'KIND_B', IS_TRANSIENT: 'YES' },
      { TABLE_NAME: 'KIND_D', IS_TRANSIENT: 'NO' },
    ]);
  });

  // …/sql-reference/info-schema/tables: TABLE_OWNER is the role that owns the table, LAST_ALTERED
  // when it last changed (here: its last CREATE, SWAP or RENAME), as dbt-snowflake's catalog reads them.
  it('reports who owns a table or view and when it last changed', async () => {
    const before = Date.now() - 1000;
    await exec(conn, 'create or replace table owned_t as select 1 as v');
    await exec(conn, 'create or replace view owned_v as select * from owned_t');
    const [role] = (await exec(conn, 'select current_role() as r')).rows;
    const rows = (
      await exec(conn, "select table_name, table_owner, last_altered, clustering_key from information_schema.tables where table_name like 'OWNED_%' order by 1")
    ).rows;
    expect(rows.map((r) => [r.TABLE_NAME, r.TABLE_OWNER, r.CLUSTERING_KEY])).toEqual([
      ['OWNED_T', role?.R, null],
      ['OWNED_V', role?.R, null],
    ]);
    for (const r of rows) expect(new Date(String(r.LAST_ALTERED)).getTime()).toBeGreaterThanOrEqual(before);
  });

  it('lists objects through information_schema and SHOW', async () => {
    await exec(conn, 'create or replace table listed (id number(10,0), name varchar, amount number(12,2), loaded_at timestamp_ntz)');
    const tables = await exec(conn, "select table_schema, table_name, table_type from analytics.information_schema.tables where table_name = 'LISTED'");
    expect(tables.rows).toEqual([{ TABLE_SCHEMA: 'PUBLIC', TABLE_NAME: 'LISTED', TABLE_TYPE: 'BASE TABLE' }]);
    const columns = await exec(
      conn,
      "select column_name, data_type, numeric_precision, numeric_scale from information_schema.columns where table_name = 'LISTED' order by ordinal_position",
    );
    expect(columns.rows).toEqual([
      { COLUMN_NAME: 'ID', DATA_TYPE: 'NUMBER', NUMERIC_PRECISION: 10, NUMERIC_SCALE: 0 },
      { COLUMN_NAME: 'NAME', DATA_TYPE: 'TEXT', NUMERIC_PRECISION: null, NUMERIC_SCALE: null },
      { COLUMN_NAME: 'AMOUNT', DATA_TYPE: 'NUMBER', NUMERIC_PRECISION: 12, NUMERIC_SCALE: 2 },
      { COLUMN_NAME: 'LOADED_AT', DATA_TYPE: 'TIMESTAMP_NTZ', NUMERIC_PRECISION: null, NUMERIC_SCALE: null },
    ]);
    const shown = await exec(conn, "show tables like 'list%' in schema analytics.public");
    expect(shown.rows.map((r) => [r.name, r.database_name, r.schema_name, r.kind])).toEqual([['LISTED', 'ANALYTICS', 'PUBLIC', 'TABLE']]);
    const described = await exec(conn, 'describe table listed');
    expect(described.rows.map((r) => [r.name, r.type])).toEqual([
      ['ID', 'NUMBER(10,0)'],
      ['NAME', 'VARCHAR(16777216)'],
      ['AMOUNT', 'NUMBER(12,2)'],
      ['LOADED_AT', 'TIMESTAMP_NTZ(9)'],
    ]);
  });
});

describe('DML and binds', () => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await connect({ database: 'dml_db', schema: 'public' });
    await exec(conn, 'create database dml_db');
    await exec(conn, 'create table people (id number, name string, score float)');
  });

  it('binds with ? markers', async () => {
    const { stmt } = await exec(conn, 'insert into people (id, name, score) values (?, ?, ?)', [1, "O'Brien", 9.5]);
    expect(stmt.getNumUpdatedRows()).toBe(1);
    const { rows } = await exec(conn, 'select name, score from people where id = ?', [1]);
    expect(rows).toEqual([{ NAME: "O'Brien", SCORE: 9.5 }]);
  });

  it('binds many rows in one INSERT with :N markers', async () => {
    const rows = Array.from({ length: 500 }, (_, i) => [i + 100, `person ${i}`, i / 4]);
    const { stmt } = await exec(conn, 'insert into people (id, name, score) values (:1, :2, :3)', rows);
    expect(stmt.getNumUpdatedRows()).toBe(500);
    expect(await emulator.query('select count(*) as n, sum(score) as s from dml_db.public.people where id >= 100')).toEqual([
      { n: 500, s: (499 * 500) / 2 / 4 },
    ]);
  });

  it('reports affected rows for UPDATE, DELETE and MERGE', async () => {
    const updated = await exec(conn, 'update people set score = score + 1 where id between 100 and 109');
    expect(updated.stmt.getNumUpdatedRows()).toBe(10);
    expect(updated.rows).toEqual([{ 'number of rows updated': 10, 'number of multi-joined rows updated': 0 }]);
    const deleted = await exec(conn, 'delete from people where id >= 590');
    expect(deleted.stmt.getNumUpdatedRows()).toBe(10);
    const merged = await exec(
      conn,
      `merge into people p using (select 1 as id, 'Renamed' as name union all select 9999, 'New') s on p.id = s.id
       when matched then update set name = s.name
       when not matched then insert (id, name, score) values (s.id, s.name, 0)`,
    );
    expect(merged.stmt.getNumUpdatedRows()).toBe(2);
    expect((await exec(conn, 'select id, name from people where id in (1, 9999) order by id')).rows).toEqual([
      { ID: 1, NAME: 'Renamed' },
      { ID: 9999, NAME: 'New' },
    ]);
  });
});

describe('types', () => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await connect();
    await exec(conn, 'create database if not exists types_db');
  });

  it('round-trips values into proper JS values', async () => {
    await exec(
      conn,
      `create or replace table typed (
         i number, big number(38,0), d number(12,2), f float, s varchar, dt date, ts timestamp_ntz, b boolean, v variant, n number)`,
    );
    await exec(conn, 'insert into typed values (?, ?, ?, ?, ?, ?, ?, ?, parse_json(?), ?)', [
      -42,
      '9007199254740993',
      1234.56,
      -0.125,
      `quote ' double " backslash \\ and unicode: é 漢字 🎉`,
      '2024-02-29',
      '2024-02-29 13:14:15.123456',
      true,
      '{"a": [1, 2, {"b": null}]}',
      null,
    ]);
    await exec(conn, "insert into typed (i, dt, ts, b) values (0, '1969-12-31', '1969-12-31 23:59:59.5', false)");
    const { rows, stmt } = await exec(conn, 'select * from typed order by i');
    const [row, pre] = rows as [Record<string, unknown>, Record<string, unknown>];
    expect(row.I).toBe(-42);
    expect(row.BIG).toBe(9007199254740993); // precision loss is the SDK's JS-number behaviour
    expect(row.D).toBe(1234.56);
    expect(row.F).toBe(-0.125);
    expect(row.S).toBe(`quote ' double " backslash \\ and unicode: é 漢字 🎉`);
    expect(row.DT).toBeInstanceOf(Date);
    expect((row.DT as Date).getTime()).toBe(Date.UTC(2024, 1, 29));
    expect((row.TS as Date).getTime()).toBe(Date.UTC(2024, 1, 29, 13, 14, 15, 123));
    expect(row.B).toBe(true);
    expect(row.V).toEqual({ a: [1, 2, { b: null }] });
    expect(row.N).toBeNull();
    expect((pre.DT as Date).getTime()).toBe(Date.UTC(1969, 11, 31));
    expect((pre.TS as Date).getTime()).toBe(Date.UTC(1969, 11, 31, 23, 59, 59, 500));
    expect(pre.B).toBe(false);

    const types = Object.fromEntries((stmt.getColumns() ?? []).map((c) => [c.getName(), [c.getType(), c.getPrecision(), c.getScale()]]));
    expect(types).toMatchObject({
      I: ['fixed', 38, 0],
      D: ['fixed', 12, 2],
      F: ['real', null, null],
      S: ['text', null, null],
      DT: ['date', null, null],
      TS: ['timestamp_ntz', 0, 9],
      B: ['boolean', null, null],
      V: ['variant', null, null],
    });
  });

  it('reads literals, casts and emulated functions', async () => {
    const { rows } = await exec(
      conn,
      `select 1::number(10,2) as dec, 2.5::float as dbl, 'x' as txt, true as yes, null as nothing,
         iff(1 < 2, 'lt', 'ge') as iff_result, nvl(null, 'fallback') as nvl_result, zeroifnull(null) as zero,
         div0(1, 0) as div_zero, datediff(day, '2024-01-01'::date, '2024-03-01'::date) as days,
         try_to_number('abc') as bad_number, to_varchar(12) as as_text,
         '2024-05-06 07:08:09'::timestamp_ltz as ltz, [1, 2] as arr`,
    );
    expect(rows[0]).toMatchObject({
      DEC: 1,
      DBL: 2.5,
      TXT: 'x',
      YES: true,
      NOTHING: null,
      IFF_RESULT: 'lt',
      NVL_RESULT: 'fallback',
      ZERO: 0,
      DIV_ZERO: 0,
      DAYS: 60,
      BAD_NUMBER: null,
      AS_TEXT: '12',
      ARR: [1, 2],
    });
    // Read in the session's TIMEZONE, Snowflake's default America/Los_Angeles (PDT, UTC-7, in May).
    expect((rows[0]!.LTZ as Date).getTime()).toBe(Date.UTC(2024, 4, 6, 14, 8, 9));
  });

  it("starts sessions in Snowflake's default time zone and follows ALTER SESSION SET/UNSET TIMEZONE", async () => {
    const ltz = async () => ((await exec(conn, `select '2024-05-06 07:08:09'::timestamp_ltz as ltz`)).rows[0]!.LTZ as Date).getTime();
    await exec(conn, `alter session set timezone = 'UTC'`);
    expect(await ltz()).toBe(Date.UTC(2024, 4, 6, 7, 8, 9));
    await exec(conn, 'alter session unset timezone');
    expect(await ltz()).toBe(Date.UTC(2024, 4, 6, 14, 8, 9));
  });

  // docs.snowflake.com/en/sql-reference/session-variables and /sql/set, /sql/unset: SET evaluates the
  // expression once and keeps its type; names are case-insensitive; $name reads the value.
  it('keeps session variables: SET, SET (a, b) = (…), $name, UNSET', async () => {
    const own = await connect();
    await exec(own, "SET my_variable = 'test'");
    expect((await exec(own, "select $MY_VARIABLE as column_name, $my_variable || '!' as bang")).rows).toEqual([{ COLUMN_NAME: 'test', BANG: 'test!' }]);
    await exec(own, 'SET (v1, v2) = (10, 20 + 1)');
    await exec(own, 'SET v3 = (select $v1 * 2)');
    expect((await exec(own, 'select $v1 + $v2 as total, $v3 as doubled')).rows).toEqual([{ TOTAL: 31, DOUBLED: 20 }]);
    // One statement of a multi-statement request sets what the next one reads.
    const multi = await exec(own, "set greeting = 'hello'; select $greeting as g", undefined, { parameters: { MULTI_STATEMENT_COUNT: 2 } });
    expect(multi.stmt.getStatus()).toBeDefined();
    expect((await exec(own, 'select $greeting as g')).rows).toEqual([{ G: 'hello' }]);
    await exec(own, 'UNSET v1');
    const error = await execError(own, 'select $v1 as gone');
    expect(error.message).toMatch(/Session variable '\$V1' does not exist/);
    // Another session does not see them.
    const other = await connect();
    expect((await execError(other, 'select $my_variable as x')).message).toMatch(/Session variable '\$MY_VARIABLE' does not exist/);
  });

  it('upper-cases unquoted identifiers and keeps quoted ones', async () => {
    const { rows, stmt } = await exec(conn, 'select 1 as plain, 2 as "lower", 3 as "MiXed", 4 as UPPER_ONE');
    expect((stmt.getColumns() ?? []).map((c) => c.getName())).toEqual(['PLAIN', 'lower', 'MiXed', 'UPPER_ONE']);
    expect(rows).toEqual([{ PLAIN: 1, lower: 2, MiXed: 3, UPPER_ONE: 4 }]);
  });
});

describe('errors', () => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await connect();
  });

  it('reports a missing table as 002003 with HTTP 200 (no retries)', async () => {
    const before = emulator.stats.requests;
    const error = await execError(conn, 'select * from no_such_db.public.no_such_table');
    expect(error.code).toBe('002003');
    expect(error.sqlState).toBe('42S02');
    expect(error.message).toMatch(/does not exist or not authorized/);
    expect(emulator.stats.requests - before).toBe(1);
  });

  it('reports a syntax error as 001003', async () => {
    const error = await execError(conn, 'selec 1');
    expect(error.code).toBe('001003');
    expect(error.message).toMatch(/^SQL compilation error/);
    expect((await execError(conn, "select 'unterminated")).code).toBe('001003');
  });

  it('reports an unknown column as 000904', async () => {
    expect((await execError(conn, 'select nope from (select 1 as a)')).code).toBe('000904');
  });
});

describe('multi-statement', () => {
  it('runs several statements when MULTI_STATEMENT_COUNT allows it', async () => {
    const conn = await connect();
    const results: Record<string, unknown>[][] = [];
    await new Promise<void>((resolve, reject) => {
      conn.execute({
        sqlText: 'select 1 as first; select 2 as second; select 3 as third',
        parameters: { MULTI_STATEMENT_COUNT: 3 },
        complete: (err, stmt, rows) => {
          if (err) return reject(err);
          results.push(rows ?? []);
          // hasNext/NextResult exist on multi-statement results but are not in the SDK's typings.
          const multi = stmt as unknown as { hasNext(): boolean; NextResult(): void };
          if (multi.hasNext()) multi.NextResult();
          else resolve();
        },
      });
    });
    expect(results).toEqual([[{ FIRST: 1 }], [{ SECOND: 2 }], [{ THIRD: 3 }]]);
  });

  it('refuses several statements by default', async () => {
    const conn = await connect();
    const error = await execError(conn, 'select 1; select 2');
    expect(error.code).toBe('000008');
  });
});

describe('fault injection', () => {
  it('recovers from an injected 503 and a dropped connection through SDK retries', async () => {
    const conn = await connect({ sfRetryMaxSleepTime: 1 } as Partial<ConnectionOptions>);
    const faultsBefore = emulator.stats.faultsInjected;
    emulator.setFaults({ http503: 1, destroySocket: 1 });
    const { rows } = await exec(conn, 'select 5 as five');
    expect(rows).toEqual([{ FIVE: 5 }]);
    expect(emulator.stats.faultsInjected - faultsBefore).toBe(2);
    emulator.setFaults({});
  });

  it('answers a retried request from its first execution (lost response after commit)', async () => {
    const conn = await connect({ sfRetryMaxSleepTime: 1 } as Partial<ConnectionOptions>);
    await exec(conn, 'create database if not exists faults_db');
    await exec(conn, 'create or replace table faults_db.public.events (id int)');
    const duplicatesBefore = emulator.stats.duplicateRequests;
    emulator.setFaults({ destroyAfterExecute: 1 });
    const { stmt } = await exec(conn, 'insert into faults_db.public.events values (1)');
    emulator.setFaults({});
    expect(stmt.getNumUpdatedRows()).toBe(1);
    expect(emulator.stats.duplicateRequests - duplicatesBefore).toBe(1);
    expect(await emulator.query('select count(*) as n from faults_db.public.events')).toEqual([{ n: 1 }]);
  });
});
