// Snowflake-only adapter behaviour against the loopback emulator: key-pair (JWT) login, and HTTP
// timeouts that bound the login without cutting long queries short.

import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Adapter } from '../../src/warehouse/adapter.js';
import { createAdapter } from '../../src/adapters/create-adapter.js';
import { ProjectError } from '../../src/core/errors.js';
import { snowflakeTargetSchema, type TargetConfig } from '../../src/project/profiles.js';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '@model/snowflake-emulator';

const PASSPHRASE = 'key-passphrase-9731';
const scratch = mkdtempSync(path.join(os.tmpdir(), 'model-sf-adapter-'));

/** An RSA key pair; the private half written as an encrypted PKCS#8 file, as `openssl genrsa | openssl pkcs8 -v2 aes256` makes it. */
function keyPair(name: string): { publicPem: string; file: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASSPHRASE },
  });
  const file = path.join(scratch, `${name}.p8`);
  writeFileSync(file, privateKey, { mode: 0o600 });
  return { publicPem: publicKey, file };
}

let emulator: SnowflakeEmulator;
let registered: { publicPem: string; file: string };
let other: { publicPem: string; file: string };

beforeAll(async () => {
  registered = keyPair('registered');
  other = keyPair('other');
  emulator = await startSnowflakeEmulator({ port: 0, publicKeys: { keyuser: registered.publicPem } });
});
afterAll(async () => {
  await emulator?.close();
});

function target(fields: Record<string, unknown>): TargetConfig {
  const parsed = snowflakeTargetSchema.parse({ type: 'snowflake', account: 'emulator', access_url: emulator.url, database: 'sf_adapter_db', ...fields });
  return { ...parsed, name: 'sf', profileName: 'p' };
}

async function withAdapter<T>(t: TargetConfig, fn: (a: Adapter) => Promise<T>): Promise<T> {
  const adapter = await createAdapter(t, 'sf_adapter_db', scratch);
  try {
    await adapter.open();
    return await fn(adapter);
  } finally {
    await adapter.close();
  }
}

async function loginFailure(t: TargetConfig): Promise<ProjectError> {
  const error = await withAdapter(t, async () => undefined).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProjectError);
  return error as ProjectError;
}

describe('key-pair authentication (SNOWFLAKE_JWT)', () => {
  it('logs in with private_key_path and its passphrase, and runs queries', async () => {
    const failedBefore = emulator.stats.failedLogins;
    const rows = await withAdapter(target({ user: 'keyuser', private_key_path: registered.file, private_key_passphrase: PASSPHRASE }), (a) =>
      a.withConnection((c) => c.execute('select 1 + 1 as two')),
    );
    expect(rows.rows).toEqual([[2]]);
    expect(emulator.stats.failedLogins).toBe(failedBefore);
  });

  it('is refused, quickly and without the passphrase, when the key is not the registered one', async () => {
    const started = Date.now();
    const error = await loginFailure(target({ user: 'keyuser', private_key_path: other.file, private_key_passphrase: PASSPHRASE }));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(error.message).toMatch(/refused the login of user 'keyuser' on account 'emulator': JWT token is invalid/);
    expect(error.message).not.toContain(PASSPHRASE);
  });

  it('is refused for a user with no registered key, and does not fall back to a password', async () => {
    const error = await loginFailure(target({ user: 'model', private_key_path: registered.file, private_key_passphrase: PASSPHRASE }));
    expect(error.message).toMatch(/refused the login of user 'model'.*JWT token is invalid/);
  });

  it('says the key cannot be decrypted when the passphrase is wrong, without either secret', async () => {
    const wrong = 'not-the-passphrase-1234';
    const error = await loginFailure(target({ user: 'keyuser', private_key_path: registered.file, private_key_passphrase: wrong }));
    expect(error.message).toMatch(/cannot use the private key \(private_key_path .*registered\.p8\): private_key_passphrase does not decrypt it/);
    expect(error.message).not.toContain(wrong);
    expect(error.message).not.toContain(PASSPHRASE);
  });

  it('says so when the key is encrypted and no passphrase is set', async () => {
    const error = await loginFailure(target({ user: 'keyuser', private_key_path: registered.file }));
    expect(error.message).toContain('it is encrypted and the target sets no private_key_passphrase');
  });

  it('names the key file when it cannot be read', async () => {
    const error = await loginFailure(target({ user: 'keyuser', private_key_path: path.join(scratch, 'missing.p8') }));
    expect(error.message).toContain('cannot read the private key file');
    expect(error.message).toContain('missing.p8');
  });
});

describe('timeouts', () => {
  it('lets a query run longer than login_timeout: that bound is for the login, not for every request', async () => {
    // Snowflake holds a query request open for up to ~45 s before answering "still running".
    const result = await withAdapter(target({ user: 'model', password: 'model-password', login_timeout: 1 }), async (a) => {
      emulator.setFaults({ delayMs: 2500, target: 'query' });
      try {
        return await a.withConnection((c) => c.execute('select 42 as answer'));
      } finally {
        emulator.setFaults({});
      }
    });
    expect(result.rows).toEqual([[42]]);
  });
});
