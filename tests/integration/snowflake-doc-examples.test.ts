// Expected values from the examples in Snowflake's documentation, for every function the shipped
// models (models/), macros (macros/) and the cross-database macros (src/templating/builtin-macros.ts)
// call on Snowflake, run through the real snowflake-sdk against the emulator. Each case names its page.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection, ConnectionOptions } from 'snowflake-sdk';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '@model/snowflake-emulator';

type SnowflakeSdk = typeof import('snowflake-sdk');

let emulator: SnowflakeEmulator;
let conn: Connection;

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
    sfRetryMaxLoginRetries: 1,
  } as ConnectionOptions);
  await new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())));
  await rows('create database doc_examples');
});
afterAll(async () => {
  if (conn?.isUp()) await new Promise<void>((resolve) => conn.destroy(() => resolve()));
  await emulator?.close();
});

function rows(sqlText: string): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    conn.execute({ sqlText, complete: (err, _stmt, r) => (err ? reject(err) : resolve((r ?? []) as Record<string, unknown>[])) });
  });
}
const column = async (sqlText: string): Promise<unknown[]> => (await rows(sqlText)).map((r) => Object.values(r)[0]);

describe('numeric functions', () => {
  // https://docs.snowflake.com/en/sql-reference/functions/abs
  it('ABS', async () => {
    expect(await column('select abs(column1) from (values (0), (1), (-2), (3.5), (-4.5), (null))')).toEqual([0, 1, 2, 3.5, 4.5, null]);
  });
  // https://docs.snowflake.com/en/sql-reference/functions/floor
  it('FLOOR', async () => {
    expect(await column('select floor(column1) from (values (135.135), (-975.975))')).toEqual([135, -976]);
  });
});

describe('conditional functions', () => {
  // https://docs.snowflake.com/en/sql-reference/functions/coalesce
  it('COALESCE', async () => {
    const values = '(1, 2, 3), (null, 2, 3), (null, null, 3), (null, null, null), (1, null, 3), (1, null, null), (1, 2, null)';
    expect(await column(`select coalesce(column1, column2, column3) from (values ${values})`)).toEqual([1, 2, 3, null, 1, 1, 1]);
  });
  // https://docs.snowflake.com/en/sql-reference/functions/nullif
  it('NULLIF', async () => {
    const values = '(0, 0), (0, 1), (0, null), (1, 0), (1, 1), (null, 0), (null, null)';
    expect(await column(`select nullif(column1, column2) from (values ${values})`)).toEqual([null, 0, 0, 1, null, null, null]);
  });
});

describe('string functions', () => {
  // https://docs.snowflake.com/en/sql-reference/functions/trim
  it('TRIM', async () => {
    expect(await rows("select trim('*-*ABC-*-', '*-') as trimmed, trim('  ABC  ') as spaces")).toEqual([{ TRIMMED: 'ABC', SPACES: 'ABC' }]);
  });
  // https://docs.snowflake.com/en/sql-reference/functions/lower
  it('LOWER', async () => {
    expect(await column("select lower('The Quick Gray Fox')")).toEqual(['the quick gray fox']);
  });
  // https://docs.snowflake.com/en/sql-reference/functions/listagg (within group orders the values)
  it('LISTAGG', async () => {
    expect(await column("select listagg(column1, ' ') within group (order by column1) from (values ('b'), ('c'), ('a'))")).toEqual(['a b c']);
  });
});

describe('conversion functions', () => {
  // https://docs.snowflake.com/en/sql-reference/functions/cast
  it('CAST and ::', async () => {
    expect(await rows("select cast('1.6845' as number(6,3)) as n, '2022-04-01'::date as d")).toEqual([{ N: 1.685, D: new Date(Date.UTC(2022, 3, 1)) }]);
  });
  // https://docs.snowflake.com/en/sql-reference/functions/try_cast: 'ABCD' does not fit CHAR(2).
  it('TRY_CAST (the safe_cast macro)', async () => {
    expect(await rows("select try_cast('ABCD' as char(2)) as short, try_cast('ABCD' as varchar(10)) as long, try_cast('12' as integer) as n")).toEqual([
      { SHORT: null, LONG: 'ABCD', N: 12 },
    ]);
  });
});

describe('date and time functions', () => {
  // https://docs.snowflake.com/en/sql-reference/functions/datediff
  it('DATEDIFF', async () => {
    expect(await column("select datediff(year, '2010-04-09 14:39:20'::timestamp, '2013-05-08 23:39:20'::timestamp)")).toEqual([3]);
    expect(await column("select datediff(month, '2017-01-31'::date, '2017-02-01'::date)")).toEqual([1]);
  });
  // https://docs.snowflake.com/en/sql-reference/functions/dateadd
  it('DATEADD', async () => {
    const [r] = await rows(
      "select to_varchar(dateadd(year, 2, to_date('2022-05-08'))) as plus_two_years, to_varchar(dateadd(month, 1, '2023-01-31'::date)) as end_of_month, " +
        "to_varchar(dateadd(hour, 2, to_date('2022-05-08'))) as plus_two_hours",
    );
    expect(r).toEqual({ PLUS_TWO_YEARS: '2024-05-08', END_OF_MONTH: '2023-02-28', PLUS_TWO_HOURS: '2022-05-08 02:00:00' });
  });
  // https://docs.snowflake.com/en/sql-reference/functions/convert_timezone
  it('CONVERT_TIMEZONE (the current_timestamp macro)', async () => {
    expect(await column("select to_varchar(convert_timezone('America/Los_Angeles', 'America/New_York', '2019-01-01 14:00:00'::timestamp_ntz))")).toEqual([
      '2019-01-01 17:00:00',
    ]);
  });
  // https://docs.snowflake.com/en/sql-reference/functions/current_timestamp: a TIMESTAMP_LTZ.
  it('CURRENT_TIMESTAMP', async () => {
    const [now] = await column('select current_timestamp()');
    expect(Math.abs((now as Date).getTime() - Date.now())).toBeLessThan(60_000);
  });
});

describe('aggregate and window functions', () => {
  const data = "(values ('a', 1), ('a', 2), ('b', 5), ('b', null)) as t(g, v)";
  // https://docs.snowflake.com/en/sql-reference/functions/sum, /count, /max
  it('SUM, COUNT, MAX', async () => {
    expect(await rows(`select g, sum(v) as s, count(v) as c, count(*) as n, max(v) as m from ${data} group by g order by g`)).toEqual([
      { G: 'a', S: 3, C: 2, N: 2, M: 2 },
      { G: 'b', S: 5, C: 1, N: 2, M: 5 },
    ]);
  });
  // AVG of fixed-point numbers has the division scale: the average of 1, 2, 2 is 1.666667
  // (https://docs.snowflake.com/en/developer-guide/snowpark/reference/python/latest/snowpark/api/snowflake.snowpark.functions.avg).
  it('AVG', async () => {
    expect(await column('select avg(column1) from (values (1), (2), (2))')).toEqual([1.666667]);
    expect(await column('select avg(column1) from (values (1), (3), (10), (1), (3))')).toEqual([3.6]);
  });
  // https://docs.snowflake.com/en/sql-reference/functions/booland_agg's sibling boolor_agg: TRUE if any value is TRUE.
  it('BOOLOR_AGG (the bool_or macro)', async () => {
    const values = '(1, true), (1, false), (2, false), (2, false), (3, null)';
    expect(await rows(`select column1 as k, boolor_agg(column2) as b from (values ${values}) group by 1 order by 1`)).toEqual([
      { K: 1, B: true },
      { K: 2, B: false },
      { K: 3, B: null },
    ]);
  });
  // https://docs.snowflake.com/en/sql-reference/functions/row_number
  it('ROW_NUMBER', async () => {
    const corn = "(values ('Kansas', 130), ('Kansas', 120), ('Iowa', 110), ('Iowa', 100)) as c(state, bushels)";
    expect(await rows(`select state, bushels, row_number() over (order by bushels desc) as r from ${corn} order by r`)).toEqual([
      { STATE: 'Kansas', BUSHELS: 130, R: 1 },
      { STATE: 'Kansas', BUSHELS: 120, R: 2 },
      { STATE: 'Iowa', BUSHELS: 110, R: 3 },
      { STATE: 'Iowa', BUSHELS: 100, R: 4 },
    ]);
  });
});
