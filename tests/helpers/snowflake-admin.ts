// An administrator's session on the loopback emulator through the real snowflake-sdk (imported
// lazily), and the profile a project builds with against it as the emulator's administrator.

import type { Connection, ConnectionOptions } from 'snowflake-sdk';
import type { SnowflakeEmulator } from '@model/snowflake-emulator';
import { emulatorOutput, envVar, profilesYml } from './profiles.js';

type SnowflakeSdk = typeof import('snowflake-sdk');

export interface AdminSession {
  exec(sqlText: string): Promise<Record<string, unknown>[]>;
  /** Who holds `privilege` on a relation (`db.schema.name`), lower-cased and sorted. */
  holders(relation: string, privilege?: string, type?: 'table' | 'view'): Promise<string[]>;
  close(): Promise<void>;
}

/** Logs in as the emulator's administrator (user model, ACCOUNTADMIN), or as `as` (a user made by the administrator). */
export async function adminSession(emulator: SnowflakeEmulator, as?: { username: string; password: string }): Promise<AdminSession> {
  const mod = await import('snowflake-sdk');
  const sdk = ((mod as { default?: SnowflakeSdk }).default ?? mod) as SnowflakeSdk;
  sdk.configure({ logLevel: 'OFF' });
  const conn: Connection = sdk.createConnection({
    account: 'emulator',
    accessUrl: emulator.url,
    username: as?.username ?? 'model',
    password: as?.password ?? 'model-password',
    warehouse: 'COMPUTE_WH',
    sfRetryMaxLoginRetries: 1,
  } as ConnectionOptions);
  await new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())));
  const exec = (sqlText: string) =>
    new Promise<Record<string, unknown>[]>((resolve, reject) => {
      conn.execute({ sqlText, complete: (err, _stmt, rows) => (err ? reject(err) : resolve((rows ?? []) as Record<string, unknown>[])) });
    });
  return {
    exec,
    async holders(relation, privilege = 'SELECT', type = 'table') {
      const rows = await exec(`show grants on ${type} ${relation}`);
      return rows
        .filter((r) => r.privilege === privilege)
        .map((r) => String(r.grantee_name).toLowerCase())
        .sort();
    },
    close: () => new Promise<void>((resolve) => (conn.isUp() ? conn.destroy(() => resolve()) : resolve())),
  };
}

/** A profiles.yml building as the administrator; the CLI needs the env of `adminEnv`. */
export function adminProfile(profile: string, database: string, schema: string): string {
  return profilesYml(profile, 'sf', {
    sf: emulatorOutput({
      password: envVar('SF_PASSWORD'),
      warehouse: 'COMPUTE_WH',
      access_url: envVar('SF_ACCESS_URL'),
      database,
      schema,
      threads: 1,
    }),
  });
}

export function adminEnv(emulator: SnowflakeEmulator): Record<string, string> {
  return { SF_PASSWORD: 'model-password', SF_ACCESS_URL: emulator.url };
}
