// Permanent and transient tables on Snowflake, through the real CLI and snowflake-sdk against the
// emulator. dbt-snowflake builds tables transient unless `transient: false`
// (dbt-snowflake/src/dbt/include/snowflake/macros/relations/table/create/standard.sql); a table's kind
// is fixed when it is created (docs.snowflake.com/en/user-guide/tables-temp-transient), and SWAP WITH
// takes two tables of one kind, so a table of the other kind is replaced with CREATE OR REPLACE …
// COPY GRANTS (docs.snowflake.com/en/sql-reference/sql/create-table, COPY GRANTS), which keeps what
// readers were granted. Views: dbt-snowflake's create_view_as adds `copy grants` with copy_grants
// (…/macros/relations/view/create.sql), and apply_grants then revokes what the config does not name.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '@model/snowflake-emulator';
import { runModel, writeProject } from '../helpers/project.js';
import { type AdminSession, adminEnv, adminProfile, adminSession } from '../helpers/snowflake-admin.js';

let emulator: SnowflakeEmulator;
let admin: AdminSession;
let reporter: AdminSession;
let project: string;

const TABLE = 'kinds_db.built.segments';
const run = (...args: string[]) => runModel(['run', ...args], { cwd: project, env: adminEnv(emulator) });
const seed = () => runModel(['seed'], { cwd: project, env: adminEnv(emulator) });

const segments = (transient: boolean) =>
  `{{ config(materialized='table', transient=${transient ? 'true' : 'false'}, grants={'select': ['reporter']}) }}\nselect 1 as id, 'a' as segment`;

async function kind(table: string): Promise<string> {
  const rows = await admin.exec(`select is_transient from kinds_db.information_schema.tables where table_schema = 'BUILT' and table_name = '${table}'`);
  return String(rows[0]?.IS_TRANSIENT);
}

/** The statements the engine sent since `from` in the statement log, lower-cased. */
const sentSince = (from: number) => emulator.statementLog.slice(from).map((e) => e.sql.toLowerCase());

beforeAll(async () => {
  emulator = await startSnowflakeEmulator({ port: 0 });
  admin = await adminSession(emulator);
  for (const sql of [
    'create role reporter',
    'create role auditor',
    'create database kinds_db',
    'create schema kinds_db.built',
    'create warehouse compute_wh',
    'grant usage on warehouse compute_wh to role reporter',
    'grant usage on database kinds_db to role reporter',
    'grant usage on schema kinds_db.built to role reporter',
    "create user ana type = person password = 'ana-password' default_role = reporter",
    'grant role reporter to user ana',
  ]) {
    await admin.exec(sql);
  }
  project = writeProject({
    'project.yml': 'name: k\nprofile: k\n',
    'profiles.yml': adminProfile('k', 'kinds_db', 'built'),
    'models/segments.sql': segments(false),
    'seeds/codes.csv': 'code,label\n1,one\n',
    'snapshots/kept_history.sql':
      "{% snapshot kept_history %}\n{{ config(unique_key='id', strategy='check', check_cols='all', transient=false) }}\nselect 1 as id, 'a' as v\n{% endsnapshot %}\n",
    'models/where_built.sql': "{{ config(materialized='table') }}\nselect current_schema() as schema_name",
    'models/copied_view.sql': "{{ config(materialized='view', copy_grants=true) }}\nselect 1 as id",
    'models/granted_view.sql': "{{ config(materialized='view', copy_grants=true, grants={'select': ['reporter']}) }}\nselect 1 as id",
  });
  reporter = await adminSession(emulator, { username: 'ana', password: 'ana-password' });
});

afterAll(async () => {
  await reporter?.close();
  await admin?.close();
  await emulator?.close();
});

describe('table kinds on Snowflake', () => {
  it('builds a permanent table with transient: false, which the reporter reads', async () => {
    const first = await run();
    expect(first.code, first.stderr + first.stdout).toBe(0);
    expect(await kind('SEGMENTS')).toBe('NO');
    expect(await kind('WHERE_BUILT')).toBe('YES');
    expect(await reporter.exec(`select segment from ${TABLE}`)).toEqual([{ SEGMENT: 'a' }]);
  });

  it('sessions start in the target schema', async () => {
    expect(await admin.exec('select schema_name from kinds_db.built.where_built')).toEqual([{ SCHEMA_NAME: 'BUILT' }]);
  });

  it('rebuilds it as transient and back, the reporter keeping access throughout', async () => {
    await admin.exec(`grant select on table ${TABLE} to role auditor`);
    for (const transient of [true, false, true]) {
      writeFileSync(path.join(project, 'models/segments.sql'), segments(transient));
      const before = emulator.statementLog.length;
      const r = await run('--select', 'segments');
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(await kind('SEGMENTS')).toBe(transient ? 'YES' : 'NO');
      // No swap across kinds: one CREATE OR REPLACE that keeps the grants, then the config's grants
      // (what it does not name revoked, as for a table kept in place).
      const sent = sentSince(before);
      expect(sent.some((s) => /swap with/.test(s))).toBe(false);
      const replace = sent.findIndex((s) => /^create or replace (transient )?table kinds_db\.built\.segments copy grants as select \* from/.test(s));
      expect(replace, sent.join('\n')).toBeGreaterThanOrEqual(0);
      expect(sent.slice(0, replace).some((s) => /^(grant|revoke) /.test(s))).toBe(false);
      expect(await admin.holders(TABLE)).toEqual(['reporter']);
      expect(await reporter.exec(`select segment from ${TABLE}`)).toEqual([{ SEGMENT: 'a' }]);
    }
  });

  it('a rebuild of the same kind keeps the swap, grants given before it', async () => {
    const before = emulator.statementLog.length;
    const r = await run('--select', 'segments');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const sent = sentSince(before);
    const grant = sent.findIndex((s) => /^grant select on table .*segments__model_tmp/.test(s));
    const swap = sent.findIndex((s) => /swap with/.test(s));
    expect(grant).toBeGreaterThanOrEqual(0);
    expect(grant).toBeLessThan(swap);
    expect(await kind('SEGMENTS')).toBe('YES');
    expect(await admin.holders(TABLE)).toEqual(['reporter']);
  });

  it('views with copy_grants keep their grants, brought to the config when it has one', async () => {
    await admin.exec('grant select on view kinds_db.built.copied_view to role auditor');
    await admin.exec('grant select on view kinds_db.built.granted_view to role auditor');
    const before = emulator.statementLog.length;
    const r = await run('--select', 'copied_view', 'granted_view');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(sentSince(before).filter((s) => /^create or replace view .* copy grants as/.test(s))).toHaveLength(2);
    expect(await admin.holders('kinds_db.built.copied_view', 'SELECT', 'view')).toEqual(['auditor']);
    expect(await admin.holders('kinds_db.built.granted_view', 'SELECT', 'view')).toEqual(['reporter']);
    expect(await reporter.exec('select id from kinds_db.built.granted_view')).toEqual([{ ID: 1 }]);
  });

  it('a seed replaces a permanent table dbt built (dbt seeds are permanent), keeping its readers', async () => {
    await admin.exec("create table kinds_db.built.codes as select 0 as code, 'zero' as label");
    await admin.exec('grant select on table kinds_db.built.codes to role reporter');
    const r = await seed();
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(await kind('CODES')).toBe('YES');
    expect(await admin.holders('kinds_db.built.codes')).toEqual(['reporter']);
    expect(await reporter.exec('select label from kinds_db.built.codes')).toEqual([{ LABEL: 'one' }]);
  });

  it('a snapshot with transient: false is a permanent table (dbt-snowflake: snapshots are transient by default)', async () => {
    const r = await runModel(['snapshot'], { cwd: project, env: adminEnv(emulator) });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(await kind('KEPT_HISTORY')).toBe('NO');
  });
});
