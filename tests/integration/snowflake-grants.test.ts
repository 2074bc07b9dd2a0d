// dbt's grants on Snowflake, through the real CLI against the emulator: dbt-adapters'
// dbt/include/global_project/macros/adapters/apply_grants.sql (should_revoke: a replaced relation
// starts fresh unless copy_grants; a table kept in place has its grants diffed, get_revoke_sql
// before get_grant_sql) and dbt-snowflake's copy_grants config (COPY GRANTS keeps what the old
// table had). SWAP WITH moves grants with the table: docs.snowflake.com/en/sql-reference/sql/alter-table.

import type { Connection, ConnectionOptions } from 'snowflake-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '@model/snowflake-emulator';
import { runModel, writeProject } from '../helpers/project.js';
import { emulatorOutput, envVar, profilesYml } from '../helpers/profiles.js';

type SnowflakeSdk = typeof import('snowflake-sdk');
let emulator: SnowflakeEmulator;
let admin: Connection;

function exec(sqlText: string): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    admin.execute({ sqlText, complete: (err, _stmt, rows) => (err ? reject(err) : resolve((rows ?? []) as Record<string, unknown>[])) });
  });
}

/** Who holds SELECT on a table, lower-cased and sorted. */
async function readers(table: string): Promise<string[]> {
  const rows = await exec(`show grants on table grants_db.built.${table}`);
  return rows
    .filter((r) => r.privilege === 'SELECT')
    .map((r) => String(r.grantee_name).toLowerCase())
    .sort();
}

const PROFILE = profilesYml('g', 'sf', {
  sf: emulatorOutput({
    password: envVar('SF_PASSWORD'),
    warehouse: 'COMPUTE_WH',
    access_url: envVar('SF_ACCESS_URL'),
    database: 'grants_db',
    schema: 'built',
    threads: 1,
  }),
});

let project: string;
const run = (...args: string[]) => runModel(['run', ...args], { cwd: project, env: { SF_PASSWORD: 'model-password', SF_ACCESS_URL: emulator.url } });

beforeAll(async () => {
  emulator = await startSnowflakeEmulator({ port: 0 });
  const mod = await import('snowflake-sdk');
  const sdk = ((mod as { default?: SnowflakeSdk }).default ?? mod) as SnowflakeSdk;
  sdk.configure({ logLevel: 'OFF' });
  admin = sdk.createConnection({
    account: 'emulator',
    accessUrl: emulator.url,
    username: 'model',
    password: 'model-password',
    warehouse: 'COMPUTE_WH',
  } as ConnectionOptions);
  await new Promise<void>((resolve, reject) => admin.connect((err) => (err ? reject(err) : resolve())));
  for (const sql of ['create role reporter', 'create role auditor', 'create database grants_db', 'create schema grants_db.built']) await exec(sql);
  project = writeProject({
    'project.yml': 'name: g\nprofile: g\n',
    'profiles.yml': PROFILE,
    'models/configured.sql': "{{ config(materialized='table', grants={'select': ['reporter']}) }}\nselect 1 as id",
    'models/copied.sql': "{{ config(materialized='table', copy_grants=true) }}\nselect 1 as id",
    'models/kept.sql': "{{ config(materialized='incremental', grants={'select': ['reporter']}) }}\nselect 1 as id",
  });
});

afterAll(async () => {
  if (admin?.isUp()) await new Promise<void>((r) => admin.destroy(() => r()));
  await emulator?.close();
});

describe('grants on Snowflake', () => {
  it('a rebuilt table has the configured grants, given before the swap; grants made by hand are gone', async () => {
    const first = await run();
    expect(first.code, first.stderr + first.stdout).toBe(0);
    expect(await readers('configured')).toEqual(['reporter']);
    await exec('grant select on table grants_db.built.configured to role auditor');
    const before = emulator.statementLog.length;
    const again = await run('--select', 'configured');
    expect(again.code, again.stderr).toBe(0);
    expect(await readers('configured')).toEqual(['reporter']);
    // Readers never lose access: the grant lands on the new table before it is swapped in.
    const log = emulator.statementLog.slice(before).map((e) => e.sql.toLowerCase());
    const grant = log.findIndex((s) => /^grant select on table .*configured__model_tmp/.test(s));
    const swap = log.findIndex((s) => /swap with/.test(s));
    expect(grant).toBeGreaterThanOrEqual(0);
    expect(grant).toBeLessThan(swap);
  });

  it('copy_grants keeps the grants the replaced table had', async () => {
    await exec('grant select on table grants_db.built.copied to role auditor');
    const again = await run('--select', 'copied');
    expect(again.code, again.stderr).toBe(0);
    expect(await readers('copied')).toEqual(['auditor']);
  });

  it('an incremental run revokes what the config does not name, then grants what is missing', async () => {
    await exec('grant select on table grants_db.built.kept to role auditor');
    await exec('revoke select on table grants_db.built.kept from role reporter');
    const before = emulator.statementLog.length;
    const again = await run('--select', 'kept');
    expect(again.code, again.stderr).toBe(0);
    expect(await readers('kept')).toEqual(['reporter']);
    const log = emulator.statementLog.slice(before).map((e) => e.sql.toLowerCase());
    const revoke = log.findIndex((s) => /^revoke select on table .*kept.* from role "?auditor/.test(s));
    const grant = log.findIndex((s) => /^grant select on table .*kept.* to role "?reporter/.test(s));
    expect(revoke).toBeGreaterThanOrEqual(0);
    expect(revoke).toBeLessThan(grant);
  });
});
