// Issue 16's done-when, through the real snowflake-sdk against the loopback emulator: an
// administrator sets up a database, its schemas, a least-privilege `transformer` role and a
// key-pair service user in Snowflake SQL; the shipped project builds as that user, twice; a
// `reporter` role reads dh_prod.segments_derived through `+grants` after each build and cannot
// read dh_stage; the transformer cannot create databases or schemas.
// Privileges per operation: docs.snowflake.com/en/user-guide/security-access-control-privileges
// (CREATE TABLE/VIEW on a schema, USAGE on database and schema, CREATE DATABASE on the account).
// Service users cannot use passwords: docs.snowflake.com/en/user-guide/admin-user-management
// (types of users). SWAP WITH keeps grants with the table: docs.snowflake.com/en/sql-reference/sql/alter-table.

import { generateKeyPairSync } from 'node:crypto';
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

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicBody = publicKey
  .export({ format: 'pem', type: 'spki' })
  .toString()
  .replace(/-----[^-]+-----|\s/g, '');
const privatePem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

function connect(options: Partial<ConnectionOptions>): Promise<Connection> {
  const conn = sdk.createConnection({ account: 'emulator', accessUrl: emulator.url, sfRetryMaxLoginRetries: 1, ...options } as ConnectionOptions);
  open.push(conn);
  return new Promise((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve(conn))));
}

function exec(conn: Connection, sqlText: string): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    conn.execute({ sqlText, complete: (err, _stmt, rows) => (err ? reject(err) : resolve((rows ?? []) as Record<string, unknown>[])) });
  });
}

async function refused(conn: Connection, sqlText: string): Promise<SnowflakeError> {
  try {
    await exec(conn, sqlText);
  } catch (e) {
    return e as SnowflakeError;
  }
  throw new Error(`expected "${sqlText}" to be refused`);
}

/** The setup script the README shows, run by the administrator. */
const SETUP = (key: string) => [
  'create role transformer',
  'create role reporter',
  'create warehouse transforming',
  'create database dh_database',
  'create schema dh_database.dh_raw',
  'create schema dh_database.dh_stage',
  'create schema dh_database.dh_prod',
  'grant usage on warehouse transforming to role transformer',
  'grant usage on database dh_database to role transformer',
  ...['public', 'dh_raw', 'dh_stage', 'dh_prod'].map(
    (s) => `grant usage, create table, create view, create stage on schema dh_database.${s} to role transformer`,
  ),
  'grant usage on warehouse transforming to role reporter',
  'grant usage on database dh_database to role reporter',
  'grant usage on schema dh_database.dh_prod to role reporter',
  `create user svc_model type = service rsa_public_key = '${key}' default_role = transformer`,
  'grant role transformer to user svc_model',
  "create user ana type = person password = 'ana-password' default_role = reporter",
  'grant role reporter to user ana',
];

beforeAll(async () => {
  emulator = await startSnowflakeEmulator({ port: 0 });
  const mod = await import('snowflake-sdk');
  sdk = ((mod as { default?: SnowflakeSdk }).default ?? mod) as SnowflakeSdk;
  sdk.configure({ logLevel: 'OFF' });
  project = copyShippedProject();
  writeFileSync(path.join(project, 'transformer.p8'), privatePem, { mode: 0o600 });
  // The readers' grant, as a project sets it (dbt's `+grants`).
  const yml = readFileSync(path.join(project, 'project.yml'), 'utf8').replace(
    '      +schema: dh_prod',
    '      +schema: dh_prod\n      +grants:\n        select: [reporter]',
  );
  writeFileSync(path.join(project, 'project.yml'), yml);
  const admin = await connect({ username: 'model', password: 'model-password' });
  for (const sql of SETUP(publicBody)) await exec(admin, sql);
});

afterAll(async () => {
  for (const c of open) if (c.isUp()) await new Promise<void>((r) => c.destroy(() => r()));
  await emulator?.close();
});

const env = () => ({
  SNOWFLAKE_ACCOUNT: 'emulator',
  SNOWFLAKE_USER: 'svc_model',
  SNOWFLAKE_PASSWORD: '',
  SNOWFLAKE_PRIVATE_KEY_PATH: 'transformer.p8',
  SNOWFLAKE_ROLE: 'transformer',
  SNOWFLAKE_WAREHOUSE: 'transforming',
  SNOWFLAKE_ACCESS_URL: emulator.url,
});

describe('a least-privilege transformer role and a key-pair service user', () => {
  it('refuses a password for the service user', async () => {
    await expect(connect({ username: 'svc_model', password: 'anything' })).rejects.toMatchObject({ code: '390100' });
  });

  it('refuses create database and create schema to the transformer', async () => {
    const conn = await connect({ username: 'svc_model', authenticator: 'SNOWFLAKE_JWT', privateKey: privatePem, role: 'transformer' });
    const db = await refused(conn, 'create database if not exists dh_database');
    expect(db.code).toBe('003001');
    expect(db.message).toMatch(/Insufficient privileges to operate on account/);
    const schema = await refused(conn, 'create schema if not exists dh_database.dh_prod');
    expect(schema.code).toBe('003001');
    expect(schema.message).toMatch(/Insufficient privileges to operate on database 'DH_DATABASE'/);
    // A role the user does not hold cannot be used.
    expect((await refused(conn, 'use role accountadmin')).code).toBe('003013');
  });

  it('builds the shipped project twice; the reporter reads dh_prod after each build and never dh_stage', async () => {
    const before = emulator.statementLog.length;
    for (const round of [1, 2]) {
      const built = await runModel(['build', '--target', 'snowflake'], { cwd: project, env: env() });
      expect(built.code, `build ${round}: ${built.stderr}${built.stdout}`).toBe(0);
      expect(built.stdout + built.stderr).not.toContain('grants');
      const reporter = await connect({ username: 'ana', password: 'ana-password', warehouse: 'transforming' });
      const rows = await exec(reporter, 'select count(*) as n from dh_database.dh_prod.segments_derived');
      expect(Number(rows[0]!.N)).toBeGreaterThan(0);
      const stage = await refused(reporter, 'select * from dh_database.dh_stage.vouchers_checked');
      expect(stage.code).toBe('002003');
      expect(stage.message).toMatch(/does not exist or not authorized/);
    }
    // The transformer never asked for what it does not have: the database and schemas existed.
    const asked = emulator.statementLog.slice(before).filter((e) => /^\s*create (database|schema)/i.test(e.sql));
    expect(asked).toEqual([]);
  });

  it('model debug checks the warehouse, the role, the database and the privileges a build needs, each with its fix', async () => {
    const ok = await runModel(['debug', '--target', 'snowflake'], { cwd: project, env: env() });
    expect(ok.code, ok.stderr + ok.stdout).toBe(0);
    expect(ok.stdout).toMatch(/role: OK \(TRANSFORMER\)/);
    expect(ok.stdout).toMatch(/warehouse: OK \(TRANSFORMING\)/);
    expect(ok.stdout).toMatch(/database dh_database: OK/);
    expect(ok.stdout).toMatch(/schema dh_database\.dh_stage: OK \(CREATE (VIEW|TABLE), CREATE (VIEW|TABLE): held\)/);

    const noWarehouse = await runModel(['debug', '--target', 'snowflake'], { cwd: project, env: { ...env(), SNOWFLAKE_WAREHOUSE: '' } });
    expect(noWarehouse.code).not.toBe(0);
    expect(noWarehouse.stdout).toMatch(/warehouse: FAIL \(the session has no warehouse/);
    expect(noWarehouse.stderr).toMatch(/1 access check failed/);

    const admin = await connect({ username: 'model', password: 'model-password' });
    await exec(admin, 'revoke create view on schema dh_database.dh_stage from role transformer');
    try {
      const missing = await runModel(['debug', '--target', 'snowflake'], { cwd: project, env: env() });
      expect(missing.code).not.toBe(0);
      expect(missing.stdout).toMatch(/schema dh_database\.dh_stage: FAIL \(role TRANSFORMER lacks CREATE VIEW\)/);
      expect(missing.stdout).toContain('fix: grant create view on schema dh_database.dh_stage to role transformer;');
      expect(missing.stderr).toMatch(/1 access check failed/);
    } finally {
      await exec(admin, 'grant create view on schema dh_database.dh_stage to role transformer');
    }
    // A warehouse the role may not use leaves the session without one.
    await exec(admin, 'revoke usage on warehouse transforming from role transformer');
    try {
      const unusable = await runModel(['debug', '--target', 'snowflake'], { cwd: project, env: env() });
      expect(unusable.code).not.toBe(0);
      expect(unusable.stdout).toContain('fix: grant usage on warehouse transforming to role transformer;');
    } finally {
      await exec(admin, 'grant usage on warehouse transforming to role transformer');
    }
  });

  it('names the missing privilege, the object, the role and the GRANT that fixes it', async () => {
    const admin = await connect({ username: 'model', password: 'model-password' });
    await exec(admin, 'revoke create table on schema dh_database.dh_stage from role transformer');
    try {
      const built = await runModel(['build', '--target', 'snowflake'], { cwd: project, env: env() });
      expect(built.code).not.toBe(0);
      const out = built.stdout + built.stderr;
      expect(out).toMatch(/role transformer lacks the CREATE TABLE privilege on schema dh_database\.dh_stage/);
      expect(out).toMatch(/grant create table on schema dh_database\.dh_stage to role transformer;/);
      expect(out).not.toMatch(/\n\s+at /);
    } finally {
      await exec(admin, 'grant create table on schema dh_database.dh_stage to role transformer');
    }
  });
});
