// The emulator rejects what Snowflake rejects and answers as Snowflake answers: each case of
// issue 15's "Why", through the real snowflake-sdk. Every expectation names the Snowflake
// documentation page it comes from.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection, ConnectionOptions, RowStatement, SnowflakeError } from 'snowflake-sdk';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '../src/server.js';

type SnowflakeSdk = typeof import('snowflake-sdk');

let emulator: SnowflakeEmulator;
let sdk: SnowflakeSdk;
let conn: Connection;
const open: Connection[] = [];

function connect(options: Partial<ConnectionOptions> = {}): Promise<Connection> {
  const c = sdk.createConnection({
    account: 'emulator',
    username: 'model',
    password: 'model-password',
    accessUrl: emulator.url,
    warehouse: 'compute_wh',
    sfRetryMaxLoginRetries: 1,
    ...options,
  } as ConnectionOptions);
  open.push(c);
  return new Promise((resolve, reject) => c.connect((err) => (err ? reject(err) : resolve(c))));
}

function exec(c: Connection, sqlText: string): Promise<{ stmt: RowStatement; rows: Record<string, unknown>[] }> {
  return new Promise((resolve, reject) => {
    c.execute({
      sqlText,
      complete: (err, stmt, rows) => (err ? reject(err) : resolve({ stmt: stmt as RowStatement, rows: (rows ?? []) as Record<string, unknown>[] })),
    });
  });
}

async function failure(c: Connection, sqlText: string): Promise<SnowflakeError> {
  try {
    await exec(c, sqlText);
  } catch (error) {
    return error as SnowflakeError;
  }
  throw new Error(`expected "${sqlText}" to fail`);
}

beforeAll(async () => {
  emulator = await startSnowflakeEmulator({ port: 0 });
  const mod = await import('snowflake-sdk');
  sdk = ((mod as { default?: SnowflakeSdk }).default ?? mod) as SnowflakeSdk;
  sdk.configure({ logLevel: 'OFF' });
  conn = await connect();
  await exec(conn, 'create database strict_db');
  await exec(conn, 'create table accounts (id number, amount number(10,2), code varchar(5), n number(3,0))');
  await exec(conn, "insert into accounts values (1, 10.50, 'ab', 1), (2, null, null, 2)");
});

afterAll(async () => {
  for (const c of open) if (c.isUp()) await new Promise<void>((resolve) => c.destroy(() => resolve()));
  await emulator?.close();
});

describe('identifier resolution', () => {
  // "Identifier requirements": unquoted identifiers are stored and resolved in upper case;
  // double-quoted identifiers are case-sensitive.
  // https://docs.snowflake.com/en/sql-reference/identifiers-syntax
  it('does not let a quoted lower-case name match an unquoted column or table', async () => {
    expect((await failure(conn, 'select "amount" from accounts')).code).toBe('000904');
    expect((await failure(conn, 'select amount from "accounts"')).code).toBe('002003');
    const { rows } = await exec(conn, 'select "AMOUNT", Amount from "ACCOUNTS" where id = 1');
    expect(rows).toEqual([{ AMOUNT: 10.5 }]);
  });

  it('keeps quoted names that differ only in case apart, and reports them in their case', async () => {
    await exec(conn, 'create table "mixed" ("Col" int, "col" int, COL int)');
    await exec(conn, 'insert into "mixed" values (1, 2, 3)');
    const { rows, stmt } = await exec(conn, 'select "Col", "col", col from "mixed"');
    expect((stmt.getColumns() ?? []).map((c) => c.getName())).toEqual(['Col', 'col', 'COL']);
    expect(Object.values(rows[0]!)).toEqual([1, 2, 3]);
    expect((await failure(conn, 'select * from mixed')).code).toBe('002003');
    const tables = await exec(conn, "select table_name from information_schema.tables where table_name = 'mixed'");
    expect(tables.rows).toEqual([{ TABLE_NAME: 'mixed' }]);
  });
});

describe('only Snowflake functions and syntax', () => {
  // Unknown names: error 002140 "Unknown function" (the function list is
  // https://docs.snowflake.com/en/sql-reference/functions-all); named arguments are written
  // `name => value` ("Calling a UDF", https://docs.snowflake.com/en/developer-guide/udf/udf-calling-sql).
  it('refuses DuckDB-only functions as unknown', async () => {
    const listValue = await failure(conn, 'select list_value(1, 2)');
    expect(listValue.code).toBe('002140');
    expect(listValue.message).toContain('Unknown function LIST_VALUE');
    expect((await failure(conn, 'select struct_pack(a := 1)')).code).toBe('002140');
    expect((await failure(conn, 'select * from range(3)')).code).toBe('002140');
    expect((await failure(conn, 'select unnest([1, 2])')).code).toBe('002140');
  });

  it('refuses DuckDB-only syntax as a syntax error', async () => {
    expect((await failure(conn, 'select object_construct(a := 1)')).code).toBe('001003');
    expect((await failure(conn, 'from accounts select id')).code).toBe('001003');
    expect((await failure(conn, 'select distinct on (id) id from accounts')).code).toBe('001003');
    expect((await failure(conn, 'pragma version')).code).toBe('001003');
  });

  // CONCAT: "If any of the arguments is a NULL, the function returns NULL"
  // (https://docs.snowflake.com/en/sql-reference/functions/concat); GREATEST/LEAST likewise
  // (https://docs.snowflake.com/en/sql-reference/functions/greatest); MONTHNAME/DAYNAME give
  // three-letter names (https://docs.snowflake.com/en/sql-reference/functions/monthname);
  // REGEXP_REPLACE replaces every match (https://docs.snowflake.com/en/sql-reference/functions/regexp_replace);
  // REGEXP_LIKE matches the whole subject (https://docs.snowflake.com/en/sql-reference/functions/regexp_like).
  it('answers functions whose DuckDB namesake differs as Snowflake does', async () => {
    const { rows } = await exec(
      conn,
      "select concat('a', null) as c1, concat('a', 'b', 'c') as c2, greatest(1, null, 2) as g1, greatest(1, 3, 2) as g2, least(2, 1.5) as l, " +
        "monthname('2024-03-05'::date) as m, dayname('2024-03-05'::date) as d, regexp_replace('a-b-c', '-') as r1, " +
        "regexp_replace('a-b-c', '-', '+') as r2, regexp_like('abc', 'b') as x1, regexp_like('abc', 'a.c') as x2",
    );
    expect(rows).toEqual([{ C1: null, C2: 'abc', G1: null, G2: 3, L: 1.5, M: 'Mar', D: 'Tue', R1: 'abc', R2: 'a+b+c', X1: false, X2: true }]);
    expect((await failure(conn, "select decode(1, 1, 'one', 'other')")).code).toBe('002000');
  });

  it('still runs the Snowflake functions it emulates', async () => {
    const { rows } = await exec(conn, "select iff(true, 'y', 'n') as a, nvl(null, 2) as b, zeroifnull(null) as c, div0(1, 0) as d");
    expect(rows).toEqual([{ A: 'y', B: 2, C: 0, D: 0 }]);
  });
});

describe('TRY_CAST', () => {
  // "TRY_CAST ... Only works for string expressions." https://docs.snowflake.com/en/sql-reference/functions/try_cast
  it('takes strings only', async () => {
    const { rows } = await exec(conn, "select try_cast('12' as integer) as a, try_cast('x' as integer) as b");
    expect(rows).toEqual([{ A: 12, B: null }]);
    const error = await failure(conn, 'select try_cast(1 as integer)');
    expect(error.code).toBe('001044');
    expect(error.message).toContain("Invalid argument types for function 'TRY_CAST'");
    // Refused when the statement compiles, so even over no rows.
    const column = await failure(conn, 'select try_cast(amount as varchar) from accounts where false');
    expect(column.code).toBe('001044');
    expect(column.message).toContain('(NUMBER(10,2))');
  });
});

describe('VARCHAR(n) and NUMBER(p,s) on insert', () => {
  // VARCHAR(n) holds at most n characters ("String & binary data types",
  // https://docs.snowflake.com/en/sql-reference/data-types-text); a longer value is refused with
  // "String '…' is too long and would be truncated" (error 100074).
  it('refuses a string longer than the column', async () => {
    const error = await failure(conn, "insert into accounts (id, code) values (3, 'abcdefghijkl')");
    expect(error.code).toBe('100074');
    expect(error.message).toBe("String 'abcdefghijkl' is too long and would be truncated");
    expect((await exec(conn, 'select count(*) as n from accounts')).rows).toEqual([{ N: 2 }]);
    await expect(exec(conn, "update accounts set code = 'toolong' where id = 1")).rejects.toMatchObject({ code: '100074' });
    // The declared length is what DESCRIBE and INFORMATION_SCHEMA report.
    const described = await exec(conn, 'describe table accounts');
    expect(described.rows.find((r) => r.name === 'CODE')?.type).toBe('VARCHAR(5)');
    const info = await exec(
      conn,
      "select character_maximum_length as n from information_schema.columns where table_name = 'ACCOUNTS' and column_name = 'CODE'",
    );
    expect(info.rows).toEqual([{ N: 5 }]);
    // A cast to a shorter VARCHAR(n) fails too (TRY_CAST gives NULL: the TRY_CAST page's 'ABCD' AS CHAR(2)).
    expect((await failure(conn, "select cast('abcdef' as varchar(3))")).code).toBe('100074');
  });

  // CREATE TABLE … (columns) AS SELECT: "CREATE TABLE … AS SELECT (also referred to as CTAS)"
  // with a column list, https://docs.snowflake.com/en/sql-reference/sql/create-table
  it('enforces the declared columns of a CTAS', async () => {
    const { rows } = await exec(conn, "create or replace table ctas (c varchar(5), n number(3,1)) as select 'abc', 1.25");
    expect(rows).toEqual([{ status: 'Table CTAS successfully created.' }]);
    expect((await exec(conn, 'select c, n from ctas')).rows).toEqual([{ C: 'abc', N: 1.3 }]);
    expect((await failure(conn, "create or replace table ctas (c varchar(5)) as select 'abcdefghijkl'")).code).toBe('100074');
    expect((await exec(conn, 'select c from ctas')).rows).toEqual([{ C: 'abc' }]);
  });

  // NUMBER(p,s): at most p digits, s after the point ("Numeric data types",
  // https://docs.snowflake.com/en/sql-reference/data-types-numeric).
  it('refuses a number with more digits than the column', async () => {
    const error = await failure(conn, 'insert into accounts (id, n) values (4, 1234)');
    expect(error.code).toBe('100039');
    expect(error.message).toContain("Numeric value '1234' is out of range");
  });
});

describe('answers as Snowflake does', () => {
  // Division: scale S = max(S1, min(S1 + 6, 12)) ("Scale and precision in arithmetic operations",
  // https://docs.snowflake.com/en/sql-reference/operators-arithmetic); 1/0 fails ("Division by zero").
  it('divides fixed-point numbers with Snowflake scale', async () => {
    const { rows, stmt } = await exec(conn, 'select 1/3 as a, 10.01/3 as b, amount / 4 as c, 1.5::float / 2 as d from accounts where id = 1');
    expect(rows).toEqual([{ A: 0.333333, B: 3.33666667, C: 2.625, D: 0.75 }]);
    expect((stmt.getColumns() ?? []).map((c) => [c.getType(), c.getScale()])).toEqual([
      ['fixed', 6],
      ['fixed', 8],
      ['fixed', 8],
      ['real', null],
    ]);
    const zero = await failure(conn, 'select 1/0');
    expect(zero.code).toBe('100051');
    expect(zero.message).toBe('Division by zero');
  });

  // "NULLS FIRST | LAST ... By default, NULL values are sorted as higher than any non-NULL value:
  // NULLS LAST for ASC, NULLS FIRST for DESC." https://docs.snowflake.com/en/sql-reference/constructs/order-by
  it('sorts NULL last ascending and first descending', async () => {
    const desc = await exec(conn, 'select amount from accounts order by amount desc');
    expect(desc.rows.map((r) => r.AMOUNT)).toEqual([null, 10.5]);
    const asc = await exec(conn, 'select amount from accounts order by amount');
    expect(asc.rows.map((r) => r.AMOUNT)).toEqual([10.5, null]);
    const window = await exec(conn, 'select id, row_number() over (order by amount desc) as r from accounts order by id');
    expect(window.rows).toEqual([
      { ID: 1, R: 2 },
      { ID: 2, R: 1 },
    ]);
  });

  // DATEADD: "If date_or_time_expr is a date ... and date_or_time_part is a date part, the result is
  // a DATE"; a time part gives a TIMESTAMP_NTZ. https://docs.snowflake.com/en/sql-reference/functions/dateadd
  // DATEDIFF returns an integer. https://docs.snowflake.com/en/sql-reference/functions/datediff
  it('gives DATEADD and DATEDIFF their Snowflake result types', async () => {
    const { stmt } = await exec(
      conn,
      "select dateadd(day, 1, '2024-02-28'::date) as a, dateadd(month, 1, '2024-01-31'::date) as b, dateadd(hour, 1, '2024-01-01'::date) as c, " +
        "datediff(day, '2024-01-01'::date, '2024-03-01'::date) as d, date_trunc(month, '2024-02-15'::date) as e",
    );
    expect((stmt.getColumns() ?? []).map((c) => c.getType())).toEqual(['date', 'date', 'timestamp_ntz', 'fixed', 'date']);
    const { rows } = await exec(
      conn,
      "select to_varchar(dateadd(day, 1, '2024-02-28'::date)) as a, to_varchar(dateadd(month, 1, '2024-01-31'::date)) as b, " +
        "datediff(day, '2024-01-01'::date, '2024-03-01'::date) as d",
    );
    expect(rows).toEqual([{ A: '2024-02-29', B: '2024-02-29', D: 60 }]);
  });

  // A text value is cast implicitly: DATEADD of a date string is a TIMESTAMP_NTZ (dbt's date_spine
  // with `'2023-09-01'` bounds, dbt-adapters utils/test_date_spine.py, relies on it).
  it('reads a text value of DATEADD as a timestamp', async () => {
    const { stmt, rows } = await exec(conn, "select dateadd(day, 1 + 1, '2023-09-01') as a, dateadd(month, 1, '2023-09-01') = '2023-10-01'::timestamp as b");
    expect((stmt.getColumns() ?? []).map((c) => c.getType())).toEqual(['timestamp_ntz', 'boolean']);
    expect(rows[0]!.B).toBe(true);
  });
});

describe('nondeterministic MERGE', () => {
  // ERROR_ON_NONDETERMINISTIC_MERGE (default TRUE): "returns an error when the MERGE joins a target
  // row against multiple source rows" ("Duplicate join behavior",
  // https://docs.snowflake.com/en/sql-reference/sql/merge and
  // https://docs.snowflake.com/en/sql-reference/parameters#error-on-nondeterministic-merge).
  it('refuses two source rows updating one target row, unless the parameter is off', async () => {
    await exec(conn, 'create table target (id int, v int)');
    await exec(conn, 'insert into target values (1, 0)');
    const merge =
      'merge into target t using (select 1 as id, 5 as v union all select 1, 6) s on t.id = s.id ' +
      'when matched then update set v = s.v when not matched then insert (id, v) values (s.id, s.v)';
    const error = await failure(conn, merge);
    expect(error.code).toBe('100090');
    expect(error.message).toContain('Duplicate row detected during DML action');
    expect((await exec(conn, 'select v from target')).rows).toEqual([{ V: 0 }]);
    // One source row per target row is fine, and so are duplicates only inserted.
    await exec(conn, 'merge into target t using (select 1 as id, 7 as v) s on t.id = s.id when matched then update set v = s.v');
    await exec(
      conn,
      'merge into target t using (select 2 as id, 1 as v union all select 2, 2) s on t.id = s.id when not matched then insert (id, v) values (s.id, s.v)',
    );
    const other = await connect({ database: 'strict_db' });
    await exec(other, 'alter session set error_on_nondeterministic_merge = false');
    await exec(other, merge);
  });
});

describe('warehouses', () => {
  // Error 000606 "No active warehouse selected in the current session." ("Overview of warehouses":
  // a warehouse provides the compute for queries and DML, https://docs.snowflake.com/en/user-guide/warehouses-overview).
  it('refuses queries in a session without a warehouse until one is used', async () => {
    const c = await connect({ database: 'strict_db', warehouse: undefined });
    const error = await failure(c, 'select * from accounts');
    expect(error.code).toBe('000606');
    expect(error.message).toContain('No active warehouse selected in the current session');
    expect((await failure(c, 'insert into accounts (id) values (9)')).code).toBe('000606');
    // DDL and metadata do not need one.
    await exec(c, 'create table no_wh (a int)');
    await exec(c, 'show tables');
    await exec(c, 'use warehouse compute_wh');
    expect((await exec(c, 'select count(*) as n from accounts')).rows).toEqual([{ N: 2 }]);
  });
});
