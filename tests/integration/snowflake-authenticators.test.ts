// Every way of signing in to Snowflake, end to end: the engine's CLI with dbt-snowflake's profile
// keys (dbt-labs/dbt-adapters: dbt-snowflake/src/dbt/adapters/snowflake/connections.py,
// SnowflakeCredentials and auth_args: authenticator, token, oauth_client_id, oauth_client_secret,
// oauth_token_request_url, oauth_scope; and the Python connector's passcode and
// workload_identity_provider), the real snowflake-sdk, and the emulator on 127.0.0.1 playing
// Snowflake, the OAuth server, the SSO identity provider, Duo and the OIDC issuer.
// Snowflake's pages: docs.snowflake.com/en/user-guide/programmatic-access-tokens,
// /user-guide/oauth-custom (token endpoint, refresh tokens), /user-guide/admin-security-fed-auth-use
// (browser SSO), /user-guide/security-mfa (MFA token caching, ALLOW_CLIENT_MFA_CACHING),
// /user-guide/workload-identity-federation (OIDC: issuer, subject, audience snowflakecomputing.com).

import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Connection, ConnectionOptions } from 'snowflake-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '@model/snowflake-emulator';
import { runModelInProcess } from '../helpers/in-process.js';
import { REPO_ROOT, runModel, writeProject } from '../helpers/project.js';

type SnowflakeSdk = typeof import('snowflake-sdk');
let sdk: SnowflakeSdk;
let emulator: SnowflakeEmulator;
let admin: Connection;
let project: string;

const CLIENT_SECRET = 'client-secret-5f2c9e71d3';
const PASSCODE = '246810';
const ANA_PASSWORD = 'ana-password-7731';
const issuer = generateKeyPairSync('rsa', { modulusLength: 2048 });
const OIDC_ISSUER = 'https://token.actions.example';
const OIDC_SUBJECT = 'repo:acme/model:ref:refs/heads/main';

/** An OIDC ID token as a CI provider issues one to its workload. */
function oidcToken(claims: Record<string, unknown> = {}): string {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = `${enc({ alg: 'RS256', typ: 'JWT' })}.${enc({ iss: OIDC_ISSUER, sub: OIDC_SUBJECT, aud: 'snowflakecomputing.com', iat: now, exp: now + 300, ...claims })}`;
  return `${body}.${sign('sha256', Buffer.from(body), issuer.privateKey).toString('base64url')}`;
}

function exec(conn: Connection, sqlText: string): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    conn.execute({ sqlText, complete: (err, _stmt, rows) => (err ? reject(err) : resolve((rows ?? []) as Record<string, unknown>[])) });
  });
}

const PROFILE = `auth:
  target: pat
  outputs:
${['pat', 'oauth', 'oauth_refresh', 'client_credentials', 'browser', 'mfa', 'mfa_plain', 'wif']
  .map(
    (name) => `    ${name}:
      type: snowflake
      account: emulator
      user: "{{ env_var('SF_USER') }}"
      authenticator: "{{ env_var('SF_AUTHENTICATOR', '') }}"
      password: "{{ env_var('SF_PASSWORD', '') }}"
      token: "{{ env_var('SF_TOKEN', '') }}"
      oauth_client_id: "{{ env_var('SF_OAUTH_CLIENT_ID', '') }}"
      oauth_client_secret: "{{ env_var('SF_OAUTH_CLIENT_SECRET', '') }}"
      passcode: "{{ env_var('SF_PASSCODE', '') }}"
      workload_identity_provider: "{{ env_var('SF_WIF_PROVIDER', '') }}"
      ${name === 'browser' ? 'disable_console_login: false' : 'client_session_keep_alive: true'}
      role: "{{ env_var('SF_ROLE', '') }}"
      warehouse: transforming
      access_url: "{{ env_var('SF_ACCESS_URL') }}"
      database: auth_db
      schema: built
      threads: 1`,
  )
  .join('\n')}
`;

let cacheDir: string;
const baseEnv = () => ({
  SF_ACCESS_URL: emulator.url,
  SF_ROLE: 'transformer',
  // The driver's token cache (MFA and ID tokens) in a folder of this test, not the home folder.
  SF_TEMPORARY_CREDENTIAL_CACHE_DIR: cacheDir,
  SNOWFLAKE_DISABLE_PLATFORM_DETECTION: 'true',
});

async function build(target: string, env: Record<string, string>) {
  return runModel(['run', '--target', target], { cwd: project, env: { ...baseEnv(), ...env }, timeoutMs: 60_000 });
}

/**
 * The same run in the test process (tests/helpers/in-process.ts): the engine's and the driver's
 * code for each authenticator is the same, without a process start and a snowflake-sdk import per
 * login. The first login of each kind and the driver's MFA token cache are tested in real processes.
 */
async function buildHere(target: string, env: Record<string, string>) {
  return runModelInProcess(['run', '--target', target], { cwd: project, env: { ...baseEnv(), ...env } });
}

/** Every file the engine wrote into the project (logs, artifacts, compiled SQL), as text. */
function writtenText(dir: string): string {
  let out = '';
  for (const entry of readdirSync(dir)) {
    const file = path.join(dir, entry);
    if (statSync(file).isDirectory()) out += writtenText(file);
    else out += readFileSync(file, 'utf8');
  }
  return out;
}

beforeAll(async () => {
  emulator = await startSnowflakeEmulator({
    port: 0,
    identity: {
      oauthClients: [{ clientId: 'model-ci', clientSecret: CLIENT_SECRET, user: 'svc_model' }],
      mfaPasscodes: { ana: PASSCODE },
      ssoUsers: ['ana'],
      workloadIdentities: {
        svc_wif: { issuer: OIDC_ISSUER, subject: OIDC_SUBJECT, publicKey: issuer.publicKey.export({ format: 'pem', type: 'spki' }).toString() },
      },
    },
  });
  const mod = await import('snowflake-sdk');
  sdk = ((mod as { default?: SnowflakeSdk }).default ?? mod) as SnowflakeSdk;
  sdk.configure({ logLevel: 'OFF' });
  admin = sdk.createConnection({ account: 'emulator', accessUrl: emulator.url, username: 'model', password: 'model-password' } as ConnectionOptions);
  await new Promise<void>((resolve, reject) => admin.connect((err) => (err ? reject(err) : resolve())));
  for (const sql of [
    'create role transformer',
    'create warehouse transforming',
    'use warehouse transforming',
    'create database auth_db',
    'create schema auth_db.built',
    'grant usage on warehouse transforming to role transformer',
    'grant usage on database auth_db to role transformer',
    'grant usage, create table, create view on schema auth_db.built to role transformer',
    'create user svc_model type = service default_role = transformer',
    'grant role transformer to user svc_model',
    'create user svc_wif type = service default_role = transformer',
    'grant role transformer to user svc_wif',
    `create user ana type = person password = '${ANA_PASSWORD}' default_role = transformer`,
    'grant role transformer to user ana',
  ]) {
    await exec(admin, sql);
  }
  project = writeProject({
    'project.yml': 'name: auth\nprofile: auth\nmodels:\n  auth:\n    +materialized: table\n',
    'models/signed_in.sql': 'select current_user() as who, current_role() as role_name',
    'profiles.yml': PROFILE,
  });
  cacheDir = mkdtempSync(path.join(os.tmpdir(), 'model-sf-cache-'));
});

afterAll(async () => {
  if (admin?.isUp()) await new Promise<void>((r) => admin.destroy(() => r()));
  await emulator?.close();
});

async function signedInAs(): Promise<string> {
  const rows = await exec(admin, 'select who from auth_db.built.signed_in');
  return String(rows[0]!.WHO);
}

function expectBuilt(result: Awaited<ReturnType<typeof build>>, secrets: string[]): void {
  const out = result.stdout + result.stderr;
  expect(result.code, out).toBe(0);
  for (const s of secrets) {
    expect(out).not.toContain(s);
    expect(writtenText(path.join(project, 'target'))).not.toContain(s);
  }
}

describe('signing in to Snowflake with each authenticator (dbt-snowflake profile keys)', () => {
  it('programmatic access token: authenticator programmatic_access_token with token, and a token given as the password', async () => {
    const [row] = await exec(admin, 'alter user svc_model add programmatic access token ci role_restriction = transformer');
    const secret = String(row!.token_secret);
    const result = await build('pat', { SF_USER: 'svc_model', SF_AUTHENTICATOR: 'programmatic_access_token', SF_TOKEN: secret });
    expectBuilt(result, [secret]);
    expect(await signedInAs()).toBe('SVC_MODEL');
    // dbt-snowflake passes no token for this authenticator: a PAT in the password field works too.
    expectBuilt(await buildHere('pat', { SF_USER: 'svc_model', SF_PASSWORD: secret }), [secret]);
    const bad = await buildHere('pat', { SF_USER: 'svc_model', SF_AUTHENTICATOR: 'programmatic_access_token', SF_TOKEN: `${secret}x` });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/refused the login|cannot connect/);
    expect(bad.stderr + bad.stdout).not.toContain(secret);
  });

  it('OAuth with a given access token (authenticator oauth, token)', async () => {
    const access = emulator.identity.issueAccessToken('svc_model', 'transformer');
    expectBuilt(await build('oauth', { SF_USER: 'svc_model', SF_AUTHENTICATOR: 'oauth', SF_TOKEN: access }), [access]);
    expect(await signedInAs()).toBe('SVC_MODEL');
  });

  it("OAuth with a refresh token and the client's id and secret, exchanged at the token endpoint as dbt-snowflake does", async () => {
    const refresh = emulator.identity.issueRefreshToken('model-ci', 'svc_model', 'transformer');
    const env = { SF_USER: 'svc_model', SF_AUTHENTICATOR: 'oauth', SF_TOKEN: refresh, SF_OAUTH_CLIENT_ID: 'model-ci', SF_OAUTH_CLIENT_SECRET: CLIENT_SECRET };
    expectBuilt(await build('oauth_refresh', env), [refresh, CLIENT_SECRET]);
    const wrong = await buildHere('oauth_refresh', { ...env, SF_OAUTH_CLIENT_SECRET: 'not-the-secret-93' });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/OAuth token endpoint .* gave no access token for target 'oauth_refresh': invalid_client/);
    expect(wrong.stderr).not.toContain('not-the-secret-93');
  });

  it('OAuth client credentials against the token endpoint (authenticator oauth_client_credentials)', async () => {
    const env = { SF_USER: 'svc_model', SF_AUTHENTICATOR: 'oauth_client_credentials', SF_OAUTH_CLIENT_ID: 'model-ci', SF_OAUTH_CLIENT_SECRET: CLIENT_SECRET };
    expectBuilt(await build('client_credentials', env), [CLIENT_SECRET]);
    expect(await signedInAs()).toBe('SVC_MODEL');
  });

  it('externalbrowser: the browser signs in at the identity provider and brings the token back to the driver on loopback', async () => {
    const env = {
      SF_USER: 'ana',
      SF_AUTHENTICATOR: 'externalbrowser',
      BROWSER: path.join(REPO_ROOT, 'tests', 'helpers', 'headless-browser.mjs'),
      HEADLESS_BROWSER_ORIGIN: emulator.url,
    };
    const result = await build('browser', env);
    expectBuilt(result, []);
    expect(result.stderr).toMatch(/Sign in to Snowflake in your browser; if none opens, visit: https:\/\/127\.0\.0\.1\/console\/login\?login_name=ana/);
    expect(await signedInAs()).toBe('ANA');
  });

  it('username_password_mfa: the passcode once, then the MFA token the driver cached', async () => {
    await exec(admin, 'alter account set allow_client_mfa_caching = true');
    const env = { SF_USER: 'ana', SF_AUTHENTICATOR: 'username_password_mfa', SF_PASSWORD: ANA_PASSWORD };
    // A password alone is refused for a user enrolled in MFA.
    const plain = await buildHere('mfa_plain', { SF_USER: 'ana', SF_PASSWORD: ANA_PASSWORD });
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toMatch(/Multi-factor authentication is required/);
    expectBuilt(await build('mfa', { ...env, SF_PASSCODE: PASSCODE }), [ANA_PASSWORD, PASSCODE]);
    const cache = readFileSync(path.join(cacheDir, 'credential_cache_v1.json'), 'utf8');
    expect(cache).toMatch(/mfa-/);
    // No passcode this time: the cached MFA token stands in for it.
    expectBuilt(await build('mfa', env), [ANA_PASSWORD]);
    // Another machine (no cache) has to give the passcode again.
    const elsewhere = await runModel(['run', '--target', 'mfa'], {
      cwd: project,
      env: { ...baseEnv(), ...env, SF_TEMPORARY_CREDENTIAL_CACHE_DIR: mkdtempSync(path.join(os.tmpdir(), 'model-sf-cache-')) },
    });
    expect(elsewhere.code).not.toBe(0);
    expect(elsewhere.stderr).toMatch(/Multi-factor authentication is required/);
  });

  it('workload identity with an OIDC token given explicitly (workload_identity_provider oidc)', async () => {
    const token = oidcToken();
    // The driver signs in with workload identity only to Snowflake's own domains unless told otherwise.
    const env = {
      SF_USER: 'svc_wif',
      SF_AUTHENTICATOR: 'workload_identity',
      SF_WIF_PROVIDER: 'oidc',
      SF_TOKEN: token,
      SNOWFLAKE_WIF_ALLOWED_HOST_SUFFIXES: '127.0.0.1',
    };
    expectBuilt(await build('wif', env), [token]);
    expect(await signedInAs()).toBe('SVC_WIF');
    const forged = await buildHere('wif', { ...env, SF_TOKEN: oidcToken({ sub: 'repo:someone/else' }) });
    expect(forged.code).not.toBe(0);
    expect(forged.stderr).toMatch(/Workload identity federation authentication failed/);
  });
});
