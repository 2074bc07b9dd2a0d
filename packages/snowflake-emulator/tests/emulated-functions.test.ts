// The Snowflake functions of src/emulated-functions.ts, through the real snowflake-sdk, with the
// examples of each function's page in Snowflake's SQL reference (named at each case).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection, ConnectionOptions, SnowflakeError } from 'snowflake-sdk';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '../src/server.js';

type SnowflakeSdk = typeof import('snowflake-sdk');

let emulator: SnowflakeEmulator;
let conn: Connection;

function exec(sqlText: string): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    conn.execute({ sqlText, complete: (err, _stmt, rows) => (err ? reject(err) : resolve((rows ?? []) as Record<string, unknown>[])) });
  });
}

async function failure(sqlText: string): Promise<SnowflakeError> {
  try {
    await exec(sqlText);
  } catch (error) {
    return error as SnowflakeError;
  }
  throw new Error(`expected "${sqlText}" to fail`);
}

/** One row's values, ARRAY values read as JSON. */
async function row(sqlText: string): Promise<unknown[]> {
  const [r] = await exec(sqlText);
  return Object.values(r ?? {}).map((v) => (typeof v === 'string' && /^[[{]/.test(v) ? JSON.parse(v) : v));
}

beforeAll(async () => {
  emulator = await startSnowflakeEmulator({ port: 0 });
  const mod = await import('snowflake-sdk');
  const sdk = ((mod as { default?: SnowflakeSdk }).default ?? mod) as SnowflakeSdk;
  sdk.configure({ logLevel: 'OFF' });
  conn = sdk.createConnection({
    account: 'emulator',
    username: 'model',
    password: 'model-password',
    accessUrl: emulator.url,
    warehouse: 'compute_wh',
  } as ConnectionOptions);
  await new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())));
  await exec('create database fn_db');
});

afterAll(async () => {
  if (conn?.isUp()) await new Promise<void>((resolve) => conn.destroy(() => resolve()));
  await emulator?.close();
});

describe('arrays', () => {
  // https://docs.snowflake.com/en/sql-reference/functions/array_construct: any values, any types, none at all.
  it('ARRAY_CONSTRUCT', async () => {
    expect(await row("select array_construct(10, 20, 30), array_construct(null, 'hello', 3::double, 4, 5), array_construct()")).toEqual([
      [10, 20, 30],
      [null, 'hello', 3, 4, 5],
      [],
    ]);
  });

  // https://docs.snowflake.com/en/sql-reference/functions/array_append and /array_cat
  it('ARRAY_APPEND and ARRAY_CAT', async () => {
    expect(await row("select array_append(array_construct(1, 2, 3), 'HELLO'), array_append(array_construct(), 4)")).toEqual([[1, 2, 3, 'HELLO'], [4]]);
    expect(await row('select array_cat(array_construct(0, 1), array_construct(3, 4)), array_cat(array_construct(), array_construct(2))')).toEqual([
      [0, 1, 3, 4],
      [2],
    ]);
    expect(await row('select array_cat(array_construct(1), null) as n')).toEqual([null]);
  });

  // https://docs.snowflake.com/en/sql-reference/functions/array_slice: 0-based, `to` excluded,
  // negative positions from the end, both past one end an empty array, NULL in NULL out.
  it('ARRAY_SLICE', async () => {
    expect(
      await row(
        'select array_slice(array_construct(0,1,2,3,4,5,6), 0, 2), array_slice(array_construct(0,1,2,3,4,5,6), 3, 7), ' +
          'array_slice(array_construct(0,1,2,3,4,5,6), -5, -3), array_slice(array_construct(0,1,2,3,4,5,6), 10, 12), ' +
          'array_slice(array_construct(0,1,2,3,4,5,6), -10, -12), array_slice(array_construct(0,1,2), 1, null)',
      ),
    ).toEqual([[0, 1], [3, 4, 5, 6], [2, 3], [], [], null]);
  });

  // https://docs.snowflake.com/en/sql-reference/functions/array_to_string: TO_VARCHAR of each
  // element, a null element as '', a NULL argument gives NULL.
  it('ARRAY_TO_STRING', async () => {
    expect(
      await row(
        "select array_to_string(array_construct('a', 'b', 'c'), ', '), array_to_string(array_construct('a', null, 'b'), ','), " +
          "array_to_string(array_construct(1, true, 'x'), '|'), array_to_string(null, ',') as n",
      ),
    ).toEqual(['a, b, c', 'a,,b', '1|true|x', null]);
  });

  it('ARRAY_AGG results work with the array functions (dbt-snowflake listagg with a limit)', async () => {
    await exec('create table fn_db.public.words (g int, w varchar, o int)');
    await exec("insert into fn_db.public.words values (1, 'c', 3), (1, 'a', 1), (1, 'b', 2)");
    expect(await row("select array_to_string(array_slice(array_agg(w) within group (order by o), 0, 2), ', ') from fn_db.public.words")).toEqual(['a, b']);
  });
});

// https://docs.snowflake.com/en/sql-reference/functions/last_day: year, quarter, month (default)
// or week, a DATE even for a timestamp.
describe('LAST_DAY', () => {
  it('takes a date part', async () => {
    expect(
      await row(
        "select to_varchar(last_day('2024-05-08 23:39:20'::timestamp)), to_varchar(last_day('2024-05-08'::date, 'year')), " +
          "to_varchar(last_day('2024-05-08'::date, quarter)), to_varchar(last_day('2024-05-08'::date, 'week')), to_varchar(last_day('2024-02-10'::date, mm))",
      ),
    ).toEqual(['2024-05-31', '2024-12-31', '2024-06-30', '2024-05-12', '2024-02-29']);
  });

  it('refuses a part it does not take', async () => {
    expect((await failure("select last_day('2024-05-08'::date, 'day')")).message).toContain("Invalid date part 'day'");
  });
});

// https://docs.snowflake.com/en/sql-reference/functions/regexp_instr (its examples' string).
describe('WIDTH_BUCKET', () => {
  // The page's example (home sales between 200000 and 600000 in 4 buckets), with one below and one above.
  it('puts values in equal-width buckets, 0 below min and num_buckets + 1 from max', async () => {
    const prices = [190000, 290000, 320000, 399999.99, 400000, 470000, 510000, 610000, null];
    const sql = prices
      .map((p, i) => `select ${i} as i, width_bucket(${p === null ? 'null' : `${p}::number(10, 2)`}, 200000, 600000, 4) as b`)
      .join(' union all ');
    const rows = await exec(`select b from (${sql}) order by i`);
    expect(rows.map((r) => r.B)).toEqual([0, 1, 2, 2, 3, 3, 4, 5, null]);
  });
});

describe('REGEXP_INSTR', () => {
  const s = "'nevermore1, nevermore2, nevermore3.'";
  it('finds an occurrence from a position, its start or its end', async () => {
    expect(
      await row(
        `select regexp_instr(${s}, 'nevermore\\\\d'), regexp_instr(${s}, 'nevermore\\\\d', 5), regexp_instr(${s}, 'nevermore\\\\d', 1, 3), ` +
          `regexp_instr(${s}, 'nevermore\\\\d', 1, 3, 1), regexp_instr(${s}, 'nevermore\\\\d', 1, 4), regexp_instr(${s}, 'NEVERMORE', 1, 1, 0, 'i'), ` +
          `regexp_instr(${s}, 'NEVERMORE', 1, 1, 0, 'ic'), regexp_instr(null, 'a')`,
      ),
    ).toEqual([1, 13, 25, 35, 0, 1, 0, null]);
  });

  it('refuses sub-match extraction, which it does not emulate', async () => {
    expect((await failure(`select regexp_instr(${s}, 'never(more)', 1, 1, 0, 'c', 1)`)).code).toBe('002000');
    expect((await failure(`select regexp_instr(${s}, 'never(more)', 1, 1, 0, 'e')`)).code).toBe('002000');
  });
});

describe('data generation', () => {
  const rowsOf = (n: number) => `(values ${Array.from({ length: n }, (_, i) => `(${i})`).join(', ')}) as t(i)`;
  // https://docs.snowflake.com/en/sql-reference/functions/random: pseudo-random 64-bit integers.
  it('RANDOM gives 64-bit integers', async () => {
    const rows = await exec(`select random() as r from ${rowsOf(50)}`);
    const values = rows.map((r) => BigInt(String(r.R)));
    expect(values.every((v) => v >= -(2n ** 63n) && v < 2n ** 63n)).toBe(true);
    // Far outside [0, 1): DuckDB's own random() would not pass.
    expect(values.some((v) => v > 2n ** 32n || v < -(2n ** 32n))).toBe(true);
    expect((await failure('select random(42)')).message).toMatch(/Unsupported feature 'RANDOM with a seed'/);
  });

  // https://docs.snowflake.com/en/sql-reference/functions/uniform: UNIFORM(1, 10, RANDOM()) gives
  // integers in [1, 10]; floating-point bounds (dbt_expectations' snowflake__rand:
  // uniform(0::float, 1::float, random())) give floating-point numbers.
  it('UNIFORM draws from the inclusive range, integer or floating-point as its bounds', async () => {
    const ints = await exec(`select uniform(1, 10, random()) as u from ${rowsOf(200)}`);
    const seen = new Set(ints.map((r) => Number(r.U)));
    expect([...seen].every((v) => Number.isInteger(v) && v >= 1 && v <= 10)).toBe(true);
    expect(seen.size).toBeGreaterThan(5);
    const floats = await exec(`select uniform(0::float, 1::float, random()) as u from ${rowsOf(50)}`);
    expect(floats.every((r) => typeof r.U === 'number' && r.U >= 0 && r.U <= 1)).toBe(true);
    expect(floats.some((r) => !Number.isInteger(r.U))).toBe(true);
    // A constant gen gives a constant.
    const constant = await exec(`select uniform(1, 1000, 1234) as u from ${rowsOf(5)}`);
    expect(new Set(constant.map((r) => r.U)).size).toBe(1);
    expect((await failure('select uniform(1, 10)')).message).toMatch(/not enough arguments for function UNIFORM, expected 3, got 2/);
    expect((await failure('select uniform(x, 10, random()) from (select 1 as x)')).message).toMatch(/Unsupported feature 'UNIFORM with a min or max/);
  });
});

describe('TO_CHAR with a date format', () => {
  // https://docs.snowflake.com/en/sql-reference/functions/to_char and the format elements of
  // https://docs.snowflake.com/en/sql-reference/functions-conversion (dbt_date's
  // snowflake__month_name: to_char(date, 'MON') and to_char(date, 'MMMM')).
  it('writes dates and timestamps in the format', async () => {
    expect(
      await row(
        "select to_char('2020-11-29'::date, 'MON'), to_char('2020-11-29'::date, 'MMMM'), to_varchar('2020-12-01 13:05:09'::timestamp, 'YYYY-MM-DD HH24:MI:SS'), to_char('2020-11-29'::date, 'DY, DD \"of\" MON YY')",
      ),
    ).toEqual(['Nov', 'November', '2020-12-01 13:05:09', 'Sun, 29 of Nov 20']);
    expect((await failure("select to_char('2020-11-29'::date, f) from (select 'MON' as f)")).message).toMatch(/Unsupported feature 'TO_CHAR with a format/);
    expect((await failure("select to_char('2020-11-29'::date, 'WW')")).message).toMatch(/Unsupported feature 'TO_CHAR with the format 'WW'/);
  });
});
