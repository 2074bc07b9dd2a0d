// Issue 15: the shipped project's answer on both targets at scale. Generates N voucher rows, builds
// the shipped project on the embedded DuckDB and on Snowflake (the loopback emulator, loading
// through a stage), and compares dh_prod.segments_derived row for row.
//   npx tsx bench/target-parity-bench.ts --rows 10000000
// Writes bench/results-target-parity.json.

import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { generateVouchers } from '../app/datagen/generate-vouchers.js';
import { DEFAULT_USERS, startSnowflakeEmulator } from '../packages/snowflake-emulator/src/server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MODEL = path.join(ROOT, 'bin', 'model.js');
const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
};
const rows = Number(arg('rows') ?? 1_000_000);

function build(cwd: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string; seconds: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MODEL, 'build', ...args], {
      cwd,
      env: { ...process.env, ...env, NO_COLOR: '1', SNOWFLAKE_DISABLE_PLATFORM_DETECTION: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ code, out, seconds: (Date.now() - t0) / 1000 }));
  });
}

/** Rows as sorted JSON lines with lower-case keys and numbers as numbers, so both targets compare. */
function normalise(list: Record<string, unknown>[]): string[] {
  return list
    .map((r) =>
      JSON.stringify(
        Object.fromEntries(
          Object.entries(r)
            .map(([k, v]) => [k.toLowerCase(), typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v] as const)
            .sort(([a], [b]) => a.localeCompare(b)),
        ),
      ),
    )
    .sort();
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'target-parity-'));
for (const entry of ['project.yml', 'profiles.yml', 'models', 'seeds', 'macros', 'data-tests']) {
  if (existsSync(path.join(ROOT, entry))) cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
}
const file = path.join(dir, `vouchers-${rows}.parquet`);
await generateVouchers({ rows, out: file });
const vars = ['--vars', JSON.stringify({ vouchers_path: file })];
const emulator = await startSnowflakeEmulator({ port: 0 });
try {
  const env = {
    SNOWFLAKE_ACCOUNT: 'emulator',
    SNOWFLAKE_USER: 'model',
    // The emulator's own built-in test user, not a credential.
    SNOWFLAKE_PASSWORD: DEFAULT_USERS.model!,
    SNOWFLAKE_ACCESS_URL: emulator.url,
    SNOWFLAKE_WAREHOUSE: 'COMPUTE_WH',
  };
  const duck = await build(dir, vars, {});
  if (duck.code !== 0) throw new Error(`DuckDB build failed:\n${duck.out}`);
  const sf = await build(dir, ['--target', 'snowflake', ...vars], env);
  if (sf.code !== 0) throw new Error(`Snowflake build failed:\n${sf.out}`);
  const onSnowflake = normalise((await emulator.query('select * from dh_database.dh_prod.segments_derived')) as Record<string, unknown>[]);
  const instance = await DuckDBInstance.create(path.join(dir, 'target', 'dh_database.duckdb'), { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  const onDuckDb = normalise((await conn.runAndReadAll('select * from dh_prod.segments_derived')).getRowObjectsJson() as Record<string, unknown>[]);
  conn.closeSync();
  instance.closeSync();
  const identical = onSnowflake.length > 0 && JSON.stringify(onSnowflake) === JSON.stringify(onDuckDb);
  const result = {
    measuredAt: new Date().toISOString(),
    rows,
    answerRows: { duckdb: onDuckDb.length, snowflake: onSnowflake.length },
    identical,
    seconds: { duckdb: duck.seconds, snowflake: sf.seconds },
  };
  console.log(JSON.stringify(result));
  writeFileSync(path.join(ROOT, 'bench', 'results-target-parity.json'), `${JSON.stringify(result, null, 2)}\n`);
  if (!identical) process.exitCode = 1;
} finally {
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
}
