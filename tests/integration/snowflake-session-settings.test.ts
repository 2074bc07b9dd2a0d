// An account's own settings cannot change the answer: the engine pins, per session, the input
// formats string casts use, the time zone and the week numbering, and the emulator honours
// ALTER ACCOUNT SET / ALTER SESSION SET for them as Snowflake documents
// (docs.snowflake.com/en/sql-reference/parameters: TIMESTAMP_INPUT_FORMAT, DATE_INPUT_FORMAT,
// TIMEZONE, WEEK_START; a session's value overrides the account's; ALTER ACCOUNT needs
// ACCOUNTADMIN, docs.snowflake.com/en/sql-reference/sql/alter-account).

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Connection, ConnectionOptions, SnowflakeError } from 'snowflake-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '@model/snowflake-emulator';
import { copyShippedProject, runModel } from '../helpers/project.js';

type SnowflakeSdk = typeof import('snowflake-sdk');
let sdk: SnowflakeSdk;
let emulator: SnowflakeEmulator;
let project: string;
const open: Connection[] = [];

async function connect(options: Partial<ConnectionOptions> = {}): Promise<Connection> {
  const conn = sdk.createConnection({
    account: 'emulator',
    accessUrl: emulator.url,
    username: 'model',
    password: 'model-password',
    warehouse: 'COMPUTE_WH',
    ...options,
  } as ConnectionOptions);
  open.push(conn);
  await new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())));
  return conn;
}

function exec(conn: Connection, sqlText: string): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    conn.execute({ sqlText, complete: (err, _stmt, rows) => (err ? reject(err) : resolve((rows ?? []) as Record<string, unknown>[])) });
  });
}

const env = (format = 'AUTO') => ({
  SNOWFLAKE_ACCOUNT: 'emulator',
  SNOWFLAKE_USER: 'model',
  SNOWFLAKE_PASSWORD: 'model-password',
  SNOWFLAKE_ACCESS_URL: emulator.url,
  SNOWFLAKE_WAREHOUSE: 'COMPUTE_WH',
  SF_TS_FORMAT: format,
});

const answer = () => emulator.query('select count(*) as n, sum(length(segment_name)) as chars from dh_database.dh_prod.segments_derived');
const cleanRows = async () => Number((await emulator.query('select count(*) as n from dh_database.dh_stage.clean_vouchers'))[0]!.n);

beforeAll(async () => {
  emulator = await startSnowflakeEmulator({ port: 0 });
  const mod = await import('snowflake-sdk');
  sdk = ((mod as { default?: SnowflakeSdk }).default ?? mod) as SnowflakeSdk;
  sdk.configure({ logLevel: 'OFF' });
  project = copyShippedProject();
  // A target that may set its own session parameters over the engine's (here: the account's format).
  const profiles = readFileSync(path.join(project, 'profiles.yml'), 'utf8').replace(
    '      database: dh_database\n',
    '      database: dh_database\n      session_parameters:\n        timestamp_input_format: "{{ env_var(\'SF_TS_FORMAT\') }}"\n',
  );
  writeFileSync(path.join(project, 'profiles.yml'), profiles);
});

afterAll(async () => {
  for (const c of open) if (c.isUp()) await new Promise<void>((r) => c.destroy(() => r()));
  await emulator?.close();
});

describe('session settings', () => {
  it('the emulator reads strings with the account’s TIMESTAMP_INPUT_FORMAT and DATE_INPUT_FORMAT, a session’s own value first', async () => {
    const admin = await connect();
    await exec(admin, "alter account set timestamp_input_format = 'DD/MM/YYYY HH24:MI:SS', date_input_format = 'DD/MM/YYYY'");
    try {
      const conn = await connect();
      const [row] = await exec(
        conn,
        "select try_cast('2020-05-01 10:00:00' as timestamp) as iso, to_varchar(try_cast('01/05/2020 10:00:00' as timestamp)) as dmy, to_varchar(try_cast('01/05/2020' as date)) as d",
      );
      expect(row!.ISO).toBeNull();
      expect(String(row!.DMY)).toMatch(/^2020-05-01 10:00:00/);
      expect(row!.D).toBe('2020-05-01');
      const failed = await exec(conn, "select cast('2020-05-01 10:00:00' as timestamp) as t").catch((e: SnowflakeError) => e);
      expect(failed).toBeInstanceOf(Error);
      await exec(conn, "alter session set timestamp_input_format = 'AUTO'");
      const [auto] = await exec(conn, "select to_varchar(try_cast('2020-05-01 10:00:00' as timestamp)) as iso");
      expect(String(auto!.ISO)).toMatch(/^2020-05-01 10:00:00/);
    } finally {
      await exec(admin, 'alter account unset timestamp_input_format, date_input_format');
    }
  });

  it('ALTER ACCOUNT needs ACCOUNTADMIN', async () => {
    const admin = await connect();
    for (const sql of [
      'create role analyst',
      "create user bo type = person password = 'bo-password-1' default_role = analyst",
      'grant role analyst to user bo',
    ]) {
      await exec(admin, sql);
    }
    const bo = await connect({ username: 'bo', password: 'bo-password-1', warehouse: undefined });
    const refused = (await exec(bo, "alter account set timestamp_input_format = 'YYYY'").catch((e: SnowflakeError) => e)) as SnowflakeError;
    expect(refused.code).toBe('003001');
  });

  it('builds the same answer on an account with a non-AUTO TIMESTAMP_INPUT_FORMAT, TIMEZONE and WEEK_START', async () => {
    const first = await runModel(['build', '--target', 'snowflake'], { cwd: project, env: env() });
    expect(first.code, first.stderr + first.stdout).toBe(0);
    const before = await answer();
    const cleaned = await cleanRows();
    expect(cleaned).toBeGreaterThan(0);

    const admin = await connect();
    await exec(admin, "alter account set timestamp_input_format = 'DD/MM/YYYY HH24:MI:SS', timezone = 'Asia/Tokyo', week_start = 3");
    try {
      const again = await runModel(['build', '--target', 'snowflake'], { cwd: project, env: env() });
      expect(again.code, again.stderr + again.stdout).toBe(0);
      expect(await answer()).toEqual(before);
      expect(await cleanRows()).toBe(cleaned);
      // What the pin prevents: a session that takes the account's format reads the timestamps as
      // NULL, and the cleaning rules then keep other rows.
      await runModel(['run', '--target', 'snowflake'], { cwd: project, env: env('DD/MM/YYYY HH24:MI:SS') });
      expect(await cleanRows()).not.toBe(cleaned);
    } finally {
      await exec(admin, 'alter account unset timestamp_input_format, timezone, week_start');
    }
  });
});
